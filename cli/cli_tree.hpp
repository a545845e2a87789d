#pragma once
// A plain description of the CLI11 command tree, for generating shell
// completions and the man page from the same source as `--help`.
#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "examples.hpp"

namespace wkit::cli {

struct OptionInfo {
  std::vector<std::string> names;    // "--output", "-o"
  std::string description;
  bool takes_value = false;
  std::vector<std::string> choices;  // from CLI::IsMember
  bool is_path = false;              // value is a file or directory
  std::string value_name;            // "TEXT", "UINT", ...
  std::string default_value;         // shown as "(default: ...)"; "" = none shown
};

struct PositionalInfo {
  std::string name;  // "input", "files"
  std::string description;
  bool required = false;
  bool repeatable = false;  // takes several values ("files...")
  std::string default_value;
};

struct CommandInfo {
  std::string path;  // "wkit", "wkit send", "wkit audit merge"
  std::string name;
  std::string description;
  std::vector<OptionInfo> options;
  std::vector<CommandInfo> subcommands;  // visible ones (all with include_hidden)
  bool has_positional_files = false;
  std::vector<std::string> positional_choices;
  std::vector<PositionalInfo> positionals;  // in command-line order
  bool requires_subcommand = false;
  std::vector<Example> examples;
};

// Hidden commands (no group, like `manpage`) are left out unless
// include_hidden: the completion scripts offer only what `--help` lists.
CommandInfo describe(const CLI::App& app, const std::string& parent_path = "", bool include_hidden = false);

// "wkit capture import [OPTIONS] input", "wkit send merge-hist [OPTIONS] files..."
std::string synopsis(const CommandInfo& c);

std::string bash_completion(const CommandInfo& root);
std::string zsh_completion(const CommandInfo& root);
std::string fish_completion(const CommandInfo& root);
std::string man_page(const CommandInfo& root, const std::string& version);

}  // namespace wkit::cli
