// `wkit send --protocol jsonrpc` and `wkit recv --protocol jsonrpc` against a
// real `wkit serve` (which speaks the JSON-RPC dialect on the same listeners).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "support/process.hpp"
#include "support/serve_process.hpp"
#include "support/wkit_commands.hpp"

using nlohmann::json;
using wkit::testing::Process;
using wkit::testing::ServeProcess;
using wkit::testing::run_wkit_lines;
using wkit::testing::start_recv;
using wkit::testing::lines_of_type;

// N messages sent as JSON-RPC over ws://, received by a JSON-RPC receiver and
// (sent again to another user) by a binary one: both dialects meet in one server.
TEST(SendRecvJsonrpcE2E, LoadOverWebSocketReachesJsonrpcAndBinaryReceivers) {
  ServeProcess srv({"--in-memory"});
  auto rx_rpc = start_recv(srv.ws(), {"--protocol", "jsonrpc", "-u", "bob", "--count", "50", "--timeout", "30s",
                                      "-o", "jsonl"});
  auto rx_bin = start_recv(srv.tcp(), {"-u", "carol", "--count", "50", "--timeout", "30s", "-o", "jsonl"});
  for (const char* to : {"bob", "carol"}) {
    auto r = run_wkit_lines({"send", "--protocol", "jsonrpc", "-s", srv.ws(), "-u", "alice", "--to", to, "--count",
                             "50", "--window", "16", "-o", "json"});
    ASSERT_EQ(r.code, 0) << r.err;
    json s = json::parse([&] { std::string t; for (auto& l : r.out) t += l; return t; }());
    EXPECT_EQ(s["acknowledged"], 50);
    EXPECT_EQ(s["unmatched_sendacks"], 0);
    EXPECT_EQ(s["protocol"], "jsonrpc");
    EXPECT_EQ(s["jsonrpc_compat"], "2.2.3");
    EXPECT_EQ(s["latency"]["count"], 50);
  }
  for (auto* rx : {rx_rpc.get(), rx_bin.get()}) {
    ASSERT_EQ(rx->wait_exit(std::chrono::seconds(40)), 0) << rx->stderr_text();
    auto recvs = lines_of_type(*rx, "recv");
    ASSERT_EQ(recvs.size(), 50u);
    for (auto& m : recvs) {
      EXPECT_EQ(m["from_uid"], "alice");
      EXPECT_EQ(m["acked"], "yes");
      EXPECT_EQ(m["payload"].get<std::string>().rfind("wkit:ts=", 0), 0u);
    }
    EXPECT_EQ(recvs[0]["check"], rx == rx_rpc.get() ? "not_encrypted" : "ok");
    auto s = lines_of_type(*rx, "summary");
    ASSERT_EQ(s.size(), 1u);
    EXPECT_EQ(s[0]["unique"], 50);
    EXPECT_EQ(s[0]["duplicates"]["by_message_id"], 0);
  }
}

// The first send result is dropped by the server; forced retries resend the
// message (same clientMsgNo, new request id). With de-duplication the
// receiver sees one message_id: idempotent.
TEST(SendRecvJsonrpcE2E, DroppedResultWithDedupIsIdempotent) {
  ServeProcess srv({"--in-memory", "--fault", "drop:sendack:nth=1"});
  auto r = run_wkit_lines({"send", "--protocol", "jsonrpc", "-s", srv.ws(), "-u", "alice", "--to", "bob", "--text", "x",
                           "--retries", "2", "--retry-interval", "200ms", "--verify", "--receiver", "bob",
                           "--verify-wait", "3s", "-o", "jsonl"});
  EXPECT_EQ(r.code, 0) << r.err;
  auto msgs = r.records("send");
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_EQ(msgs[0]["attempts"], 3);
  EXPECT_EQ(msgs[0]["sendacks"], 2);  // the first was dropped
  EXPECT_EQ(msgs[0]["message_ids"].size(), 1u);
  EXPECT_EQ(msgs[0]["verdict"], "idempotent");
  EXPECT_EQ(r.last()["verdict"], "idempotent");
}

TEST(SendRecvJsonrpcE2E, DroppedResultWithoutDedupIsDuplicated) {
  ServeProcess srv({"--in-memory", "--dedup", "off", "--fault", "drop:sendack:nth=1"});
  auto r = run_wkit_lines({"send", "--protocol", "jsonrpc", "-s", srv.ws(), "-u", "alice", "--to", "bob", "--text", "x",
                           "--retries", "2", "--retry-interval", "200ms", "--verify", "--receiver", "bob",
                           "--verify-wait", "3s", "-o", "jsonl"});
  EXPECT_EQ(r.code, 1) << r.err;
  auto msgs = r.records("send");
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_EQ(msgs[0]["verdict"], "duplicated");
  EXPECT_EQ(msgs[0]["message_ids"].size(), 3u);
  EXPECT_EQ(r.last()["verdict"], "duplicated");
}

// Each wire generation once: the server and both clients at the same
// generation; 2.1 and 2.2 embed the JSON payload, "3" (= 2.2.3) carries it as
// base64 and goes over tcp:// here.
class JsonrpcCompat : public ::testing::TestWithParam<std::string> {};

TEST_P(JsonrpcCompat, JsonPayloadArrivesIntact) {
  const std::string compat = GetParam();
  ServeProcess srv({"--in-memory", "--jsonrpc-compat", compat == "3" ? "2.2.3" : compat});
  const std::string url = compat == "3" ? srv.tcp() : srv.ws();
  auto rx = start_recv(url, {"--protocol", "jsonrpc", "--jsonrpc-compat", compat, "-u", "bob", "--count", "3",
                             "--timeout", "20s", "-o", "jsonl"});
  auto r = run_wkit_lines({"send", "--protocol", "jsonrpc", "--jsonrpc-compat", compat, "-s", url, "-u", "alice",
                           "--to", "bob", "--text", "hé \"there\"", "--count", "3", "-o", "json"});
  ASSERT_EQ(r.code, 0) << r.err;
  ASSERT_EQ(rx->wait_exit(std::chrono::seconds(30)), 0) << rx->stderr_text();
  auto recvs = lines_of_type(*rx, "recv");
  ASSERT_EQ(recvs.size(), 3u);
  for (auto& m : recvs) {
    json payload = json::parse(m["payload"].get<std::string>());
    EXPECT_EQ(payload["type"], 1);
    EXPECT_EQ(payload["content"], "hé \"there\"");
  }
}

INSTANTIATE_TEST_SUITE_P(Generations, JsonrpcCompat, ::testing::Values("2.1", "2.2", "3"),
                         [](const auto& info) { return info.param == "2.1" ? "v2_1" : info.param == "2.2" ? "v2_2" : "v3"; });

TEST(SendRecvJsonrpcE2E, NonJsonPayloadAt22IsAClearFailure) {
  ServeProcess srv({"--in-memory", "--jsonrpc-compat", "2.2"});
  auto r = run_wkit_lines({"send", "--protocol", "jsonrpc", "--jsonrpc-compat", "2.2", "-s", srv.ws(), "-u", "alice",
                           "--to", "bob", "--text", "plain", "--raw-payload"});
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.err.find("cannot encode SEND"), std::string::npos) << r.err;
}
