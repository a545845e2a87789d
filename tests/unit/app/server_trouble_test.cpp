// TroubleLog: one stderr line per kind at most once per interval, with the
// count so far and how many were held back; hostile text quoted.
#include "wkit/app/server_trouble.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <vector>

using wkit::app::quote_for_log;
using wkit::app::TroubleLog;

namespace {

// The lines written to a temporary FILE*.
std::vector<std::string> lines_of(std::FILE* f) {
  std::fflush(f);
  std::rewind(f);
  std::vector<std::string> out;
  char buf[512];
  while (std::fgets(buf, sizeof buf, f)) out.emplace_back(buf);
  return out;
}

}  // namespace

TEST(TroubleLog, OneLinePerKindPerIntervalWithCounts) {
  std::FILE* f = std::tmpfile();
  ASSERT_NE(f, nullptr);
  {
    TroubleLog log("wkit serve: ", f, 5000);
    log.report("connect_refused", "first", 0);
    log.report("connect_refused", "second", 100);      // held
    log.report("connect_refused", "third", 4999);      // held
    log.report("upgrade_failed", "other kind", 200);   // its own kind: shown
    log.report("connect_refused", "fourth", 5000);     // interval over: shown with the held count
    log.report("connect_refused", "fifth", 5001);      // held, flushed at the end
    EXPECT_EQ(log.count("connect_refused"), 5u);
    EXPECT_EQ(log.count("upgrade_failed"), 1u);
    EXPECT_EQ(log.count("accept_failed"), 0u);
  }
  auto lines = lines_of(f);
  std::fclose(f);
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[0], "wkit serve: connect_refused: first (1 so far)\n");
  EXPECT_EQ(lines[1], "wkit serve: upgrade_failed: other kind (1 so far)\n");
  EXPECT_EQ(lines[2], "wkit serve: connect_refused: fourth (4 so far, 2 not shown)\n");
  EXPECT_EQ(lines[3], "wkit serve: connect_refused: 1 more not shown (5 in all)\n");
}

TEST(TroubleLog, QuotesHostileText) {
  EXPECT_EQ(quote_for_log("bob@example.com"), "'bob@example.com'");
  EXPECT_EQ(quote_for_log("a\nb'c\\"), "'a\\x0ab\\x27c\\x5c'");
  EXPECT_EQ(quote_for_log("\xc3\xa9"), "'\\xc3\\xa9'");
  EXPECT_EQ(quote_for_log(std::string(100, 'x'), 4), "'xxxx'...");
}
