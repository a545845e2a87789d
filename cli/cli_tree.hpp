#pragma once
// A plain description of the CLI11 command tree, for generating shell
// completions and the man page from the same source as `--help`.
#include <CLI/CLI.hpp>
#include <string>
#include <vector>

namespace wkit::cli {

struct OptionInfo {
  std::vector<std::string> names;    // "--output", "-o"
  std::string description;
  bool takes_value = false;
  std::vector<std::string> choices;  // from CLI::IsMember
  bool is_path = false;              // value is a file or directory
  std::string value_name;            // "TEXT", "UINT", ...
};

struct CommandInfo {
  std::string path;  // "wkit", "wkit send", "wkit audit merge"
  std::string name;
  std::string description;
  std::vector<OptionInfo> options;
  std::vector<CommandInfo> subcommands;  // visible ones only
  bool has_positional_files = false;
  std::vector<std::string> positional_choices;
};

CommandInfo describe(const CLI::App& app, const std::string& parent_path = "");

std::string bash_completion(const CommandInfo& root);
std::string zsh_completion(const CommandInfo& root);
std::string fish_completion(const CommandInfo& root);
std::string man_page(const CommandInfo& root, const std::string& version);

}  // namespace wkit::cli
