#pragma once
// Each cmd_<name>.cpp registers its subcommand with a static Registration, so
// adding a command touches no shared file:
//
//   static wkit::cli::Registration reg{"decode", 10, [](CLI::App& app) {
//     auto* sub = app.add_subcommand("decode", "...");
//     ...
//     sub->final_callback([opts] { throw wkit::cli::Exit{run(*opts)}; });
//   }};
#include <CLI/CLI.hpp>
#include <functional>
#include <string>
#include <vector>

namespace wkit::cli {

struct CommandSpec {
  std::string name;
  int order;  // position in `wkit --help`
  std::function<void(CLI::App&)> add;
};

std::vector<CommandSpec>& command_registry();

struct Registration {
  Registration(std::string name, int order, std::function<void(CLI::App&)> add) {
    command_registry().push_back({std::move(name), order, std::move(add)});
  }
};

// Thrown from a subcommand callback to end the program with an exit code
// (docs/cli.md: 0 ok, 1 check failed, 2 usage, 3 connection, 4 bad input, 5 internal).
struct Exit {
  int code;
};

}  // namespace wkit::cli
