// docs/verdicts.md carries the scenario table people read; kScenarios
// (expected_outcomes.hpp) is what the scenario tests assert. They must be the
// same table: every scenario of the suite has its row, every row a scenario,
// and every cell says what the test asserts.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "expected_outcomes.hpp"

#ifndef WKIT_SOURCE_DIR
#error "WKIT_SOURCE_DIR must name the source tree"
#endif

namespace wkit::scenarios {
namespace {

const char* kBegin = "<!-- scenario-table:begin -->";
const char* kEnd = "<!-- scenario-table:end -->";

// "  `idempotent` / 0 " -> "idempotent / 0"; an em dash means "not run": "-".
std::string normalize(std::string s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '`') continue;
    if (s.compare(i, 3, "\xE2\x80\x94") == 0) {  // U+2014
      out += '-';
      i += 2;
      continue;
    }
    if (s[i] == ' ' && (out.empty() || out.back() == ' ')) continue;
    out += s[i];
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

std::vector<std::string> cells_of(const std::string& row) {
  std::vector<std::string> cells;
  std::string cur;
  for (size_t i = 1; i < row.size(); ++i) {  // row[0] is the leading '|'
    if (row[i] == '|') {
      cells.push_back(normalize(cur));
      cur.clear();
    } else {
      cur += row[i];
    }
  }
  return cells;
}

// Rows of the table between the markers: scenario name -> its cells.
std::map<std::string, std::vector<std::string>> doc_rows() {
  std::ifstream in(std::string(WKIT_SOURCE_DIR) + "/docs/verdicts.md");
  EXPECT_TRUE(in) << "cannot read docs/verdicts.md";
  std::map<std::string, std::vector<std::string>> rows;
  bool inside = false;
  int line_no = 0;
  for (std::string line; std::getline(in, line);) {
    ++line_no;
    if (line.find(kBegin) != std::string::npos) inside = true;
    else if (line.find(kEnd) != std::string::npos) inside = false;
    else if (inside && line.rfind("|", 0) == 0) {
      auto cells = cells_of(line);
      if (cells.empty() || cells[0] == "scenario" || cells[0].find("---") == 0) continue;  // header, rule
      EXPECT_EQ(cells.size(), 8u) << "docs/verdicts.md:" << line_no << ": a scenario row has 8 columns: " << line;
      EXPECT_FALSE(rows.count(cells[0])) << "docs/verdicts.md:" << line_no << ": scenario listed twice";
      rows[cells[0]] = cells;
    }
  }
  return rows;
}

TEST(VerdictsDoc, ScenarioTableMatchesTheSuite) {
  auto rows = doc_rows();
  ASSERT_FALSE(rows.empty()) << "no scenario table between " << kBegin << " and " << kEnd << " in docs/verdicts.md";
  std::set<std::string> suite;
  for (auto& e : kScenarios) {
    suite.insert(e.name);
    auto it = rows.find(e.name);
    if (it == rows.end()) {
      ADD_FAILURE() << "scenario " << e.name << " is missing from the table in docs/verdicts.md";
      continue;
    }
    const auto& c = it->second;
    if (c.size() != 8) continue;
    EXPECT_EQ(c[2], e.send) << e.name << ": column `wkit send`";
    EXPECT_EQ(c[3], e.send_verify) << e.name << ": column `send --verify`";
    EXPECT_EQ(c[4], e.recv) << e.name << ": column `wkit recv`";
    EXPECT_EQ(c[5], e.audit) << e.name << ": column `wkit audit`";
    EXPECT_EQ(c[6], e.audit_capture) << e.name << ": column `audit` of the capture";
    EXPECT_EQ(c[7], e.replay) << e.name << ": column `replay --expect-same`";
  }
  for (auto& [name, c] : rows)
    EXPECT_TRUE(suite.count(name)) << "docs/verdicts.md lists scenario " << name << ", which the suite does not run";
}

// Every row of kScenarios is a test of this binary and every scenario test
// has a row (a DISABLED_ test keeps its row: the doc then names the bug).
// Suites named *RegressionCheck hold checks of single bugs the scenarios exposed, not rows.
TEST(VerdictsDoc, EveryScenarioTestHasARow) {
  std::set<std::string> suite;
  for (auto& e : kScenarios) suite.insert(e.name);
  std::set<std::string> tests;
  auto* unit = ::testing::UnitTest::GetInstance();
  for (int i = 0; i < unit->total_test_suite_count(); ++i) {
    auto* ts = unit->GetTestSuite(i);
    const std::string suite_name = ts->name();
    if (suite_name == "VerdictsDoc" || suite_name.ends_with("RegressionCheck")) continue;
    for (int j = 0; j < ts->total_test_count(); ++j) {
      std::string name = ts->GetTestInfo(j)->name();
      if (name.rfind("DISABLED_", 0) == 0) name = name.substr(9);
      tests.insert(name);
      EXPECT_TRUE(suite.count(name)) << ts->name() << "." << name << " has no row in kScenarios";
    }
  }
  for (auto& name : suite) EXPECT_TRUE(tests.count(name)) << "kScenarios row " << name << " has no test";
}

}  // namespace
}  // namespace wkit::scenarios
