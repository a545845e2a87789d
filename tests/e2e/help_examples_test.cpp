// The examples in `--help` and docs/wkit.1 (one table, cli/examples.cpp):
// every command has at least two, each one parses through the real binary
// (WKIT_PARSE_ONLY=1: CLI11 parsing only, nothing runs), and both `--help`
// and the man page show them.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <sstream>

#include "support/wkit_commands.hpp"

using wkit::testing::run_wkit;

namespace {

struct Row {
  std::string path, command, explanation;
};

std::vector<Row> registry_examples() {
  auto d = run_wkit({"manpage", "--examples"}, std::chrono::seconds(20));
  EXPECT_EQ(d.code, 0) << d.err;
  std::vector<Row> rows;
  std::istringstream in(d.out);
  for (std::string line; std::getline(in, line);) {
    auto t1 = line.find('\t'), t2 = line.find('\t', t1 + 1);
    EXPECT_NE(t2, std::string::npos) << line;
    if (t2 == std::string::npos) continue;
    rows.push_back({line.substr(0, t1), line.substr(t1 + 1, t2 - t1 - 1), line.substr(t2 + 1)});
  }
  return rows;
}

std::vector<std::string> split_words(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

// The shell words of the wkit part of an example: quotes and backslashes
// removed, up to the first unquoted |, <, >, ; or &. "" in *error when the
// line is not one a shell would read that way.
std::vector<std::string> shell_words(const std::string& line, std::string* error) {
  std::vector<std::string> words;
  std::string cur;
  bool in_word = false;
  for (size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (c == '\'' || c == '"') {
      size_t end = line.find(c, i + 1);
      if (end == std::string::npos) {
        *error = "unterminated quote";
        return words;
      }
      cur += line.substr(i + 1, end - i - 1);
      in_word = true;
      i = end;
    } else if (c == '\\' && i + 1 < line.size()) {
      cur += line[++i];
      in_word = true;
    } else if (c == ' ') {
      if (in_word) words.push_back(cur);
      cur.clear();
      in_word = false;
    } else if (std::string("|<>;&").find(c) != std::string::npos) {
      break;
    } else {
      cur += c;
      in_word = true;
    }
  }
  if (in_word) words.push_back(cur);
  return words;
}

// Command paths listed by `--help`, recursively ("wkit send merge-hist").
void visible_commands(const std::string& path, std::vector<std::string>& out) {
  auto args = split_words(path);
  args.erase(args.begin());
  args.push_back("--help");
  auto d = run_wkit(args, std::chrono::seconds(20));
  ASSERT_EQ(d.code, 0) << path << d.err;
  std::istringstream in(d.out);
  bool listing = false;
  for (std::string line; std::getline(in, line);) {
    if (line == "Subcommands:") {
      listing = true;
      continue;
    }
    if (listing && line.empty()) break;
    if (listing && line.size() > 2 && line[2] != ' ') {  // not a wrapped description
      std::string sub = split_words(line).at(0);
      out.push_back(path + " " + sub);
      visible_commands(path + " " + sub, out);
    }
  }
}

struct ParseOnly {
  ParseOnly() { ::setenv("WKIT_PARSE_ONLY", "1", 1); }
  ~ParseOnly() { ::unsetenv("WKIT_PARSE_ONLY"); }
};

std::string roff(const std::string& s) {
  std::string out;
  for (char c : s) out += c == '-' ? std::string("\\-") : c == '\\' ? std::string("\\e") : std::string(1, c);
  return out;
}

}  // namespace

TEST(HelpExamples, EveryCommandHasAtLeastTwo) {
  std::vector<std::string> commands;
  visible_commands("wkit", commands);
  commands.push_back("wkit manpage");  // hidden, but documented in the man page
  ASSERT_GE(commands.size(), 15u);     // demo, send, merge-hist, recv, ..., completion
  std::map<std::string, int> count;
  for (auto& r : registry_examples()) ++count[r.path];
  for (auto& c : commands) EXPECT_GE(count[c], 2) << c;
  // And no examples for a command that does not exist (a renamed one).
  for (auto& [path, n] : count)
    EXPECT_NE(std::find(commands.begin(), commands.end(), path), commands.end()) << path;
}

TEST(HelpExamples, EveryExampleParses) {
  auto rows = registry_examples();
  ASSERT_FALSE(rows.empty());
  ParseOnly parse_only;
  for (auto& r : rows) {
    std::string error;
    auto words = shell_words(r.command, &error);
    ASSERT_TRUE(error.empty()) << r.command << ": " << error;
    // An example of `wkit audit merge` runs `wkit audit merge ...` (those of
    // a parent like `wkit capture` may run one of its subcommands).
    auto path = split_words(r.path);
    ASSERT_GE(words.size(), path.size()) << r.command;
    EXPECT_TRUE(std::equal(path.begin(), path.end(), words.begin())) << r.path << ": " << r.command;
    EXPECT_FALSE(r.explanation.empty()) << r.command;
    words.erase(words.begin());
    auto d = run_wkit(words, std::chrono::seconds(20));
    EXPECT_EQ(d.code, 0) << r.command << "\n" << d.err;
    EXPECT_EQ(d.err.find("for more information"), std::string::npos) << r.command << "\n" << d.err;
  }
}

// Parse-only mode stops before running (a server would not exit) but still
// rejects what the parser rejects.
TEST(HelpExamples, ParseOnlyRunsNothingAndStillRejectsUsageErrors) {
  ParseOnly parse_only;
  auto serve = run_wkit({"serve", "--in-memory", "--listen", "tcp://127.0.0.1:0"}, std::chrono::seconds(20));
  EXPECT_EQ(serve.code, 0) << serve.err;
  EXPECT_EQ(serve.out, "");
  auto typo = run_wkit({"send", "-u", "a", "--to", "b", "--countt", "3"}, std::chrono::seconds(20));
  EXPECT_EQ(typo.code, 2) << typo.err;
  auto missing = run_wkit({"capture", "info"}, std::chrono::seconds(20));
  EXPECT_EQ(missing.code, 2) << missing.err;
  auto choice = run_wkit({"audit", "sql", "--dialect", "oracle"}, std::chrono::seconds(20));
  EXPECT_EQ(choice.code, 2) << choice.err;
}

TEST(HelpExamples, HelpAndManPageShowThemWithPositionalsAndDefaults) {
  auto man = run_wkit({"manpage"}, std::chrono::seconds(20));
  ASSERT_EQ(man.code, 0) << man.err;
  std::map<std::string, std::string> help;
  for (auto& r : registry_examples()) {
    if (!help.count(r.path)) {
      auto args = split_words(r.path);
      args.erase(args.begin());
      args.push_back("--help");
      help[r.path] = run_wkit(args, std::chrono::seconds(20)).out;
    }
    const std::string& h = help[r.path];
    EXPECT_NE(h.find("Examples:\n"), std::string::npos) << r.path;
    EXPECT_NE(h.find("  " + r.command + "\n      " + r.explanation + "\n"), std::string::npos) << r.path << h;
    EXPECT_NE(man.out.find(".TP\n\\fB" + roff(r.command) + "\\fR\n"), std::string::npos) << r.command;
  }
  // Per command: a synopsis with its positionals, arguments, option defaults.
  EXPECT_NE(man.out.find(".SS wkit capture import\n"), std::string::npos);
  EXPECT_NE(man.out.find("\\fBwkit capture import\\fR [OPTIONS] input\n"), std::string::npos);
  EXPECT_NE(man.out.find("\\fBwkit send merge\\-hist\\fR [OPTIONS] files...\n"), std::string::npos);
  EXPECT_NE(man.out.find("\\fBwkit decode\\fR [OPTIONS] [FILE...]\n"), std::string::npos);
  EXPECT_NE(man.out.find(".TP\n.I input\npcap or pcapng file (tcpdump \\-w) (required)\n"), std::string::npos);
  EXPECT_NE(man.out.find("(default: 5s)"), std::string::npos);
  EXPECT_NE(man.out.find(".SS wkit manpage\n"), std::string::npos);
  EXPECT_NE(help["wkit capture info"].find("Positionals:\n  file TEXT REQUIRED"), std::string::npos)
      << help["wkit capture info"];
}
