// `wkit recv` against real `wkit serve` processes.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "support/process.hpp"
#include "support/serve_process.hpp"
#include "support/wkit_commands.hpp"

using nlohmann::json;
using wkit::testing::Process;
using wkit::testing::ServeProcess;
using wkit::testing::start_recv;
using wkit::testing::lines_of_type;

namespace {

int send_n(const std::string& url, const std::string& to, int n) {
  Process p({WKIT_BINARY, "send", "-s", url, "-u", "alice", "--to", to, "--count", std::to_string(n), "--window",
             "8", "-o", "json"});
  return p.wait_exit(std::chrono::seconds(60)).value_or(-1);
}

TEST(RecvE2E, ReceivesDecryptsAndCountsToN) {
  ServeProcess srv;
  auto rx = start_recv(srv.tcp(), {"-u", "bob", "--count", "20", "--timeout", "30s", "-o", "jsonl"});
  ASSERT_EQ(send_n(srv.tcp(), "bob", 20), 0);
  auto code = rx->wait_exit(std::chrono::seconds(40));
  ASSERT_EQ(code, 0) << rx->stderr_text();
  auto recvs = lines_of_type(*rx, "recv");
  ASSERT_EQ(recvs.size(), 20u);
  for (auto& r : recvs) {
    EXPECT_EQ(r["check"], "ok");
    EXPECT_EQ(r["from_uid"], "alice");
    EXPECT_EQ(r["acked"], "yes");
    EXPECT_EQ(r["payload"].get<std::string>().rfind("wkit:ts=", 0), 0u);
    EXPECT_TRUE(r.contains("latency_ms"));
  }
  auto s = lines_of_type(*rx, "summary");
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0]["unique"], 20);
  EXPECT_EQ(s[0]["duplicates"]["by_message_id"], 0);
  EXPECT_EQ(s[0]["seq_gaps"]["missing"], 0);
  EXPECT_EQ(s[0]["latency"]["count"], 20);
}

TEST(RecvE2E, AckNeverMakesTheServerRedeliverAndRecvReportsIt) {
  ServeProcess srv({"--redeliver-interval", "200ms", "--redeliver-max", "2"});
  auto rx = start_recv(srv.tcp(), {"-u", "bob", "--ack", "never", "--timeout", "3s", "-o", "jsonl"});
  ASSERT_EQ(send_n(srv.tcp(), "bob", 3), 0);
  auto code = rx->wait_exit(std::chrono::seconds(30));
  ASSERT_EQ(code, 0) << rx->stderr_text();
  auto s = lines_of_type(*rx, "summary");
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0]["unique"], 3);
  EXPECT_EQ(s[0]["acked"], 0);
  // Every message came again, with the same message_id (a redelivery, not a new message).
  EXPECT_GE(s[0]["duplicates"]["by_message_id"].get<int>(), 3);
  EXPECT_EQ(s[0]["duplicates"]["server_created"], 0);
  EXPECT_EQ(s[0]["received"].get<int>(), 3 + s[0]["duplicates"]["by_message_id"].get<int>());
  int redeliveries = 0;
  for (auto& r : lines_of_type(*rx, "recv")) redeliveries += r["duplicate"] == "redelivery";
  EXPECT_EQ(redeliveries, s[0]["duplicates"]["by_message_id"].get<int>());
}

TEST(RecvE2E, AckAlwaysStopsRedelivery) {
  ServeProcess srv({"--redeliver-interval", "200ms", "--redeliver-max", "2"});
  auto rx = start_recv(srv.tcp(), {"-u", "bob", "--timeout", "2s", "-o", "json"});
  ASSERT_EQ(send_n(srv.tcp(), "bob", 3), 0);
  ASSERT_EQ(rx->wait_exit(std::chrono::seconds(30)), 0) << rx->stderr_text();
  std::string t;
  for (auto& l : rx->stdout_lines()) t += l;
  auto s = json::parse(t);
  EXPECT_EQ(s["received"], 3);
  EXPECT_EQ(s["duplicates"]["by_message_id"], 0);
}

TEST(RecvE2E, CountNotReachedIsExit1) {
  ServeProcess srv;
  auto rx = start_recv(srv.tcp(), {"-u", "bob", "--count", "5", "--timeout", "500ms", "-o", "json"});
  EXPECT_EQ(rx->wait_exit(std::chrono::seconds(20)), 1);
}

TEST(RecvE2E, BadAckPolicyIsUsageError) {
  Process p({WKIT_BINARY, "recv", "-u", "bob", "--ack", "sometimes"});
  EXPECT_EQ(p.wait_exit(std::chrono::seconds(10)), 2);
  EXPECT_NE(p.stderr_text().find("'sometimes'"), std::string::npos);
}

}  // namespace
