// An audit stopped by a signal (AuditOptions::stop) reports what it read,
// marked `interrupted`, and never says "clean"; a partial report of an
// interrupted shard cannot be merged. (The signal itself: tests/e2e/signal_stop_test.cpp.)
#include <csignal>

#include "audit_test_util.hpp"

namespace wkit::audit::test {
namespace {

std::string line(uint64_t id, const std::string& cmn) {
  return R"({"message_id":)" + std::to_string(id) + R"(,"client_msg_no":")" + cmn +
         R"(","from_uid":"u1","channel_id":"g1","channel_type":2,"timestamp":100})" + "\n";
}

TEST(AuditInterrupted, StoppedBeforeReadingIsUnverifiedWithEveryInputNotRead) {
  TempDir dir;
  write_file(dir.file("a.jsonl"), line(1, "a") + line(2, "b"));
  std::atomic<int> stop{SIGINT};
  AuditOptions o;
  o.inputs = {dir.file("a.jsonl"), dir.file("missing.jsonl")};  // not opened: not an error once stopped
  o.stop = &stop;
  o.allow_unreadable = true;
  auto r = audit_ok(o);
  EXPECT_EQ(r["interrupted"], "SIGINT");
  EXPECT_EQ(r["rows"], 0u);
  EXPECT_EQ(r["status"], "unverified");
  EXPECT_EQ(report_exit_code(r), 1);  // --allow-unreadable does not cover it
  ASSERT_EQ(r["inputs"].size(), 2u);
  EXPECT_EQ(r["inputs"][0]["not_read"], true);
  EXPECT_EQ(r["inputs"][1]["name"], dir.file("missing.jsonl"));
  const std::string text = render_text(r, false);
  EXPECT_NE(text.find("result: unverified: interrupted (SIGINT) after 0 rows"), std::string::npos) << text;
  EXPECT_NE(render_markdown(r).find("(not read, 0 rows)"), std::string::npos);
}

TEST(AuditInterrupted, FindingsStayFindings) {
  nlohmann::json r = {{"options", {{"fail_on", {"duplicate_client_msg_no"}}, {"allow_unreadable", false}}},
                      {"interrupted", "SIGTERM"},
                      {"rows", 2},
                      {"unreadable", {{"count", 0}}},
                      {"findings", nlohmann::json::object()}};
  for (const char* name : kFindingNames)
    r["findings"][name] = {{"count", std::string(name) == "duplicate_client_msg_no" ? 1 : 0},
                           {"items", nlohmann::json::array()},
                           {"channels", nlohmann::json::array()},
                           {"senders", nlohmann::json::array()}};
  finalize_report(r);
  EXPECT_EQ(r["status"], "findings");
  EXPECT_EQ(report_exit_code(r), 1);
  r["findings"]["duplicate_client_msg_no"]["count"] = 0;
  finalize_report(r);
  EXPECT_EQ(r["status"], "unverified");
  r.erase("interrupted");
  finalize_report(r);
  EXPECT_EQ(r["status"], "clean");
}

TEST(AuditInterrupted, AnInterruptedShardIsNotMerged) {
  TempDir dir;
  write_file(dir.file("a.jsonl"), line(1, "a") + line(2, "b"));
  std::vector<nlohmann::json> parts;
  for (uint32_t k = 0; k < 2; ++k) {
    AuditOptions o;
    o.inputs = {dir.file("a.jsonl")};
    o.shard = k;
    o.shards = 2;
    parts.push_back(audit_ok(o));
  }
  EXPECT_TRUE(merge_reports(parts).ok());
  parts[1]["interrupted"] = "SIGINT";
  auto merged = merge_reports(parts);
  ASSERT_FALSE(merged.ok());
  EXPECT_NE(merged.error().message.find("partial report 2 was interrupted (SIGINT)"), std::string::npos)
      << merged.error().message;
}

}  // namespace
}  // namespace wkit::audit::test
