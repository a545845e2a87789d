// `wkit demo` (the README's main job) runs the whole story in one process and
// must reach the right verdict for both server behaviours.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "support/wkit_commands.hpp"

namespace {

using wkit::testing::run_wkit;

TEST(Demo, DedupOnIsIdempotentAndDedupOffIsCaughtBySendRecvAndAudit) {
  auto r = run_wkit({"demo", "--messages", "4", "--retries", "2", "-o", "json"});
  ASSERT_EQ(r.code, 0) << r.err << r.out;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_TRUE(j["ok"].get<bool>());
  ASSERT_EQ(j["scenarios"].size(), 2u);
  const auto& on = j["scenarios"][0];
  const auto& off = j["scenarios"][1];
  EXPECT_EQ(on["server"], "--dedup on");
  EXPECT_EQ(on["send"]["attempted"], 4);
  EXPECT_EQ(on["send"]["duplicates_created"], 0);
  EXPECT_EQ(on["audit_summary"]["duplicate_client_msg_no"], 0);
  EXPECT_EQ(off["server"], "--dedup off");
  EXPECT_EQ(off["send"]["duplicates_created"], 4);          // every message got 3 ids
  EXPECT_EQ(off["send"]["duplicate_message_ids"], 8);       // 2 extra ids each
  EXPECT_EQ(off["audit_summary"]["duplicate_client_msg_no"], 4);
  EXPECT_EQ(off["send"]["verify"]["lost"], 0);
}

TEST(Demo, BadFlagIsAUsageError) {
  EXPECT_EQ(run_wkit({"demo", "--retries", "0"}).code, 2);
}

}  // namespace
