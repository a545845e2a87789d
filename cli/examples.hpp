#pragma once
// Worked examples per command, one table (examples.cpp) keyed by command
// path. `--help` shows them as an "Examples:" footer and `wkit manpage`
// writes them under each command, so both come from the same source; the
// e2e test help_examples_test parses every one of them through the binary.
#include <CLI/CLI.hpp>
#include <string>
#include <vector>

namespace wkit::cli {

struct Example {
  std::string command;      // a complete command line, as typed in a shell
  std::string explanation;  // one line: what it does
};

// The examples of "wkit send", "wkit audit merge", ...; empty when none.
const std::vector<Example>& examples_for(const std::string& path);

// Appends the "Examples:" block to the footer of every (sub)command of
// `root` that has examples. Call once, after every command is registered.
void attach_examples(CLI::App& root);

}  // namespace wkit::cli
