#pragma once
// "Did you mean" for a mistyped subcommand or long flag: after CLI11 refused
// the command line, walk it again through the command tree and name the
// closest known word (edit distance) at the level where it went wrong.
#include <CLI/CLI.hpp>
#include <string>

namespace wkit::cli {

// One line such as "wkit: unknown command 'sned'; did you mean 'send'?", or
// "" when nothing is close enough or nothing was unknown.
std::string did_you_mean(CLI::App& root, int argc, const char* const* argv);

// Edit distance: insert, delete, substitute or swap two adjacent letters, 1 each.
size_t edit_distance(const std::string& a, const std::string& b);

}  // namespace wkit::cli
