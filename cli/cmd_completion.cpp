// `wkit completion bash|zsh|fish` and the hidden `wkit manpage` (man page,
// or with --examples the example table): generated from the live command
// tree, so they cannot drift from `--help`.
#include <iostream>

#include "cli_tree.hpp"
#include "command_registry.hpp"

namespace {

void print_examples(const wkit::cli::CommandInfo& c) {
  for (auto& e : c.examples) std::cout << c.path << '\t' << e.command << '\t' << e.explanation << '\n';
  for (auto& s : c.subcommands) print_examples(s);
}

// Registered last so that the tree it describes is complete.
wkit::cli::Registration completion_reg{"completion", 1000, [](CLI::App& app) {
  auto* sub = app.add_subcommand("completion", "Print a shell completion script (bash, zsh or fish)");
  auto shell = std::make_shared<std::string>();
  sub->add_option("shell", *shell, "Shell to generate for")->required()->check(CLI::IsMember({"bash", "zsh", "fish"}));
  CLI::App* root = &app;
  sub->final_callback([root, shell] {
    auto tree = wkit::cli::describe(*root);
    if (*shell == "bash") std::cout << wkit::cli::bash_completion(tree);
    else if (*shell == "zsh") std::cout << wkit::cli::zsh_completion(tree);
    else std::cout << wkit::cli::fish_completion(tree);
    throw wkit::cli::Exit{0};
  });

  auto* man = app.add_subcommand("manpage", "Print the wkit(1) man page (troff)");
  man->group("");  // hidden: used to regenerate docs/wkit.1
  auto examples = std::make_shared<bool>(false);
  man->add_flag("--examples", *examples,
                "Print every command's examples instead, one per line: PATH<TAB>COMMAND LINE<TAB>EXPLANATION");
  man->final_callback([root, examples] {
    auto tree = wkit::cli::describe(*root, "", true);
    if (*examples) print_examples(tree);
    else std::cout << wkit::cli::man_page(tree, WKIT_VERSION);
    throw wkit::cli::Exit{0};
  });
}};

}  // namespace
