// The command line as a user mistypes it: "did you mean" hints for unknown
// commands and flags (exit 2), and `wkit --version` / `-V` naming the commit.
#include <gtest/gtest.h>

#include <regex>

#include "support/wkit_commands.hpp"

using wkit::testing::run_wkit;

namespace {

struct Typo {
  std::vector<std::string> args;
  std::string hint;  // the stderr line expected; "" = no hint
};

TEST(CliUsage, MistypedCommandsAndFlagsGetTheClosestName) {
  const std::vector<Typo> typos = {
      {{"sned", "-u", "a"}, "wkit: unknown command 'sned'; did you mean 'send'?"},
      {{"serv"}, "wkit: unknown command 'serv'; did you mean 'serve'?"},
      {{"capture", "imprt", "x.pcap"}, "wkit capture: unknown command 'imprt'; did you mean 'import'?"},
      {{"send", "-u", "a", "--to", "b", "--countt", "3"}, "wkit send: unknown flag '--countt'; did you mean '--count'?"},
      {{"serve", "--dedup-windw", "5"}, "wkit serve: unknown flag '--dedup-windw'; did you mean '--dedup-window'?"},
      {{"audit", "--fail-onn=x", "f"}, "wkit audit: unknown flag '--fail-onn'; did you mean '--fail-on'?"},
      // Nothing close: CLI11's own message only.
      {{"xyzzy"}, ""},
      {{"send", "--completely-unknown", "1"}, ""},
  };
  for (const auto& t : typos) {
    auto d = run_wkit(t.args, std::chrono::seconds(20));
    std::string cmd;
    for (auto& a : t.args) cmd += a + " ";
    EXPECT_EQ(d.code, 2) << cmd << d.err;
    if (t.hint.empty()) {
      EXPECT_EQ(d.err.find("did you mean"), std::string::npos) << cmd << d.err;
    } else {
      // The hint first, instead of CLI11's words for the same mistake.
      EXPECT_EQ(d.err.rfind(t.hint + "\n", 0), 0u) << cmd << d.err;
      EXPECT_EQ(d.err.find("A subcommand is required"), std::string::npos) << cmd << d.err;
      EXPECT_EQ(d.err.find("not expected"), std::string::npos) << cmd << d.err;
      EXPECT_NE(d.err.find("--help' for more information"), std::string::npos) << cmd << d.err;
    }
  }
}

TEST(CliUsage, BareWkitListsTheCommands) {
  auto d = run_wkit({}, std::chrono::seconds(20));
  EXPECT_EQ(d.code, 2) << d.err;
  EXPECT_EQ(d.err.rfind("wkit: a command is required: ", 0), 0u) << d.err;
  for (const char* c : {"send", "recv", "serve", "audit", "decode", "proxy", "capture", "replay"})
    EXPECT_NE(d.err.find(c), std::string::npos) << c << " missing from: " << d.err;
  EXPECT_EQ(d.err.find("manpage"), std::string::npos) << "hidden commands stay hidden: " << d.err;
}

TEST(CliUsage, ParseErrorsNameTheCommand) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"send", "-u", "a", "--to", "b", "-o", "yaml"}, "wkit send: --output: yaml not in {"},
      {{"capture", "info"}, "wkit capture info: "},
      {{"serve", "--dedup", "maybe"}, "wkit serve: --dedup: maybe not in {"},
      {{"send", "-u", "a", "--to", "b", "--count", "many"}, "wkit send: Could not convert: --count"},
  };
  for (const auto& [args, prefix] : cases) {
    auto d = run_wkit(args, std::chrono::seconds(20));
    EXPECT_EQ(d.code, 2) << d.err;
    EXPECT_EQ(d.err.rfind(prefix, 0), 0u) << d.err;
    EXPECT_NE(d.err.find("--help' for more information"), std::string::npos) << d.err;
  }
}

TEST(CliUsage, VersionNamesTheCommit) {
  for (const char* flag : {"--version", "-V"}) {
    auto d = run_wkit({flag}, std::chrono::seconds(20));
    EXPECT_EQ(d.code, 0) << d.err;
    EXPECT_TRUE(std::regex_search(d.out, std::regex(R"(^wkit \d+\.\d+\.\d+ \(commit ([0-9a-f]{12}(-dirty)?|unknown)\))")))
        << flag << ": " << d.out;
  }
}

}  // namespace
