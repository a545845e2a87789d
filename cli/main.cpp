// Builds the command tree from the registered commands and maps outcomes to
// the exit codes of docs/cli.md.
#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <iostream>

#include "command_registry.hpp"
#include "did_you_mean.hpp"
#include "examples.hpp"
#include "git_commit.hpp"

namespace wkit::cli {
std::vector<CommandSpec>& command_registry() {
  static std::vector<CommandSpec> specs;
  return specs;
}
}  // namespace wkit::cli

CLI::App& wkit_build_app(CLI::App& app);

CLI::App& wkit_build_app(CLI::App& app) {
  using namespace wkit::cli;
  app.set_version_flag("-V,--version", std::string("wkit ") + WKIT_VERSION + " (commit " + WKIT_GIT_COMMIT + ")");
  app.require_subcommand(1);
  app.fallthrough(false);
  // Errors name the command they belong to, like every other wkit error
  // ("wkit send: --output: yaml not in {text,json,jsonl}").
  app.failure_message([](const CLI::App* root, const CLI::Error& e) {
    std::string path = "wkit";
    for (const CLI::App* a = root;;) {
      auto parsed = a->get_subcommands();
      if (parsed.empty()) break;
      a = parsed.front();
      path += " " + a->get_name();
    }
    return path + ": " + e.what() + "\nRun '" + path + " --help' for more information.\n";
  });
  auto specs = command_registry();
  std::sort(specs.begin(), specs.end(), [](auto& a, auto& b) { return a.order < b.order; });
  for (auto& s : specs) s.add(app);
  attach_examples(app);
  return app;
}

namespace {

// WKIT_PARSE_ONLY=1: check the command line (flags, values, choices, required
// arguments) and exit 0 without running the command; usage errors still exit
// 2. Used to prove the documented examples parse (docs/cli.md).
bool parse_only() {
  const char* v = std::getenv("WKIT_PARSE_ONLY");
  return v != nullptr && std::string_view(v) == "1";
}

}  // namespace

int main(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);
  CLI::App app{"wkit: tools for the WuKongIM protocol (WKProto): send, receive, serve, "
               "decode, proxy, replay and audit, with a focus on duplicates and losses",
               "wkit"};
  wkit_build_app(app);
  // The root's parse-complete callback runs once parsing and validation are
  // done, before any command's callback (which would run the command).
  if (parse_only()) app.parse_complete_callback([] { throw wkit::cli::Exit{0}; });
  // `wkit help <command>` as an alias of `wkit <command> --help`.
  if (argc >= 2 && std::string_view(argv[1]) == "help") {
    std::vector<std::string> args;
    for (int i = 2; i < argc; ++i) args.emplace_back(argv[i]);
    args.emplace_back("--help");
    std::reverse(args.begin(), args.end());
    try {
      app.parse(args);
    } catch (const CLI::ParseError& e) {
      return app.exit(e) == 0 ? 0 : 2;
    } catch (const wkit::cli::Exit& e) {
      return e.code;
    }
    return 0;
  }
  if (argc == 1) {
    // Bare `wkit`: what there is to run, not CLI11's "A subcommand is required".
    std::string names;
    for (const auto* sub : app.get_subcommands([](const CLI::App* a) { return !a->get_group().empty(); }))
      names += (names.empty() ? "" : ", ") + sub->get_name();
    std::cerr << "wkit: a command is required: " << names << "\nRun 'wkit --help' for more information.\n";
    return 2;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() != 0) {
      // A mistyped command or flag: the closest name instead of CLI11's
      // "A subcommand is required" or "arguments were not expected".
      if (auto hint = wkit::cli::did_you_mean(app, argc, argv); !hint.empty()) {
        std::cerr << hint << "\nRun '" << hint.substr(0, hint.find(':')) << " --help' for more information.\n";
        return 2;
      }
    }
    int rc = app.exit(e);  // prints help/version or the error
    return rc == 0 ? 0 : 2;
  } catch (const wkit::cli::Exit& e) {
    return e.code;
  } catch (const std::exception& e) {
    std::cerr << "wkit: internal error: " << e.what() << "\n";
    return 5;
  }
  return 0;
}
