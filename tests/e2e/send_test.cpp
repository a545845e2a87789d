// `wkit send` against real `wkit serve` processes.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "support/process.hpp"
#include "support/serve_process.hpp"
#include "support/wkit_commands.hpp"

using nlohmann::json;
using wkit::testing::Process;
using wkit::testing::ServeProcess;
using wkit::testing::run_wkit_lines;

namespace {

TEST(SendE2E, ForcedRetriesWithDedupKeepOneMessageId) {
  ServeProcess srv;
  auto r = run_wkit_lines({"send", "-s", srv.tcp(), "-u", "alice", "--to", "bob", "--text", "hi", "--retries", "2",
                           "--retry-interval", "50ms", "-o", "jsonl"});
  ASSERT_EQ(r.code, 0) << r.err;
  auto msgs = r.records("send");
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_EQ(msgs[0]["attempts"], 3);
  EXPECT_EQ(msgs[0]["sendacks"], 3);
  EXPECT_EQ(msgs[0]["message_ids"].size(), 1u);
  EXPECT_EQ(msgs[0]["reason"], "success");
  auto s = r.last();
  EXPECT_EQ(s["duplicates_created"], 0);
  EXPECT_EQ(s["verdict"], "idempotent");
  EXPECT_EQ(msgs[0]["verdict"], "idempotent");
  EXPECT_EQ(msgs[0]["message_idstrs"][0], std::to_string(msgs[0]["message_ids"][0].get<int64_t>()));
}

TEST(SendE2E, ForcedRetriesWithoutDedupExposeDuplicates) {
  ServeProcess srv({"--dedup", "off"});
  auto r = run_wkit_lines({"send", "-s", srv.tcp(), "-u", "alice", "--to", "bob", "--text", "hi", "--retries", "2",
                           "--retry-interval", "50ms", "--client-msg-no", "fixed-cmn-1", "-o", "jsonl"});
  EXPECT_EQ(r.code, 1) << r.err;
  auto msgs = r.records("send");
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_EQ(msgs[0]["client_msg_no"], "fixed-cmn-1");
  EXPECT_EQ(msgs[0]["message_ids"].size(), 3u);
  EXPECT_TRUE(msgs[0]["duplicate"].get<bool>());
  EXPECT_EQ(msgs[0]["verdict"], "duplicated");
  EXPECT_EQ(r.last()["duplicates_created"], 1);
  EXPECT_EQ(r.last()["verdict"], "duplicated");
  EXPECT_NE(r.err.find("1 duplicated"), std::string::npos) << r.err;
}

TEST(SendE2E, TextVerdictNamesTheDuplicate) {
  ServeProcess srv({"--dedup", "off"});
  auto r = run_wkit_lines({"send", "-s", srv.tcp(), "-u", "alice", "--to", "bob", "--text", "hi", "--retries", "1",
                           "--retry-interval", "50ms"});
  EXPECT_EQ(r.code, 1);
  std::string all;
  for (auto& l : r.out) all += l + "\n";
  EXPECT_NE(all.find("verdict: duplicated: the server stored this message 2 times"), std::string::npos) << all;
}

TEST(SendE2E, ReconnectBeforeRetryOverWebSocket) {
  ServeProcess srv;
  auto r = run_wkit_lines({"send", "-s", srv.ws(), "-u", "alice", "--to", "bob", "--text", "hi", "--retries", "2",
                           "--retry-interval", "100ms", "--reconnect-before-retry", "-o", "json"});
  ASSERT_EQ(r.code, 0) << r.err;
  json s = json::parse([&] { std::string t; for (auto& l : r.out) t += l; return t; }());
  EXPECT_EQ(s["reconnects"], 2);
  EXPECT_EQ(s["sends"], 3);
  EXPECT_EQ(s["duplicates_created"], 0);
  EXPECT_EQ(s["acknowledged"], 1);
}

// The seed scenario of issue 12: the first SENDACK is lost and the resend is
// answered. One message_id came back, but the first attempt was never
// answered, so the sender cannot know what the server holds: unverified, exit 1.
TEST(SendE2E, DroppedSendackRecoveredByRetryIsUnverified) {
  ServeProcess srv({"--fault", "drop:sendack:nth=1"});
  auto r = run_wkit_lines({"send", "-s", srv.tcp(), "-u", "alice", "--to", "bob", "--text", "hi", "--retry-mode",
                           "on-timeout", "--retries", "3", "--ack-timeout", "300ms", "-o", "jsonl"});
  EXPECT_EQ(r.code, 1) << r.err;
  auto msgs = r.records("send");
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_EQ(msgs[0]["attempts"], 2);  // the first SENDACK was dropped
  EXPECT_EQ(msgs[0]["sendacks"], 1);
  EXPECT_EQ(msgs[0]["message_ids"].size(), 1u);
  EXPECT_EQ(msgs[0]["verdict"], "unverified");
  EXPECT_EQ(r.last()["acknowledged"], 1);
  EXPECT_EQ(r.last()["verdict"], "unverified");
  EXPECT_EQ(r.last()["verdicts"]["unverified"], 1);
}

// The same fault against a server without de-duplication (WuKongIM 2.x): the
// store holds two message_ids. The sender alone says unverified; with a
// receiver, whose view decides, the run says duplicated.
TEST(SendE2E, DroppedSendackWithoutDedupIsDuplicatedOnceReceiversLook) {
  ServeProcess srv({"--dedup", "off", "--fault", "drop:sendack:nth=1"});
  auto alone = run_wkit_lines({"send", "-s", srv.tcp(), "-u", "alice", "--to", "bob", "--text", "x", "--retry-mode",
                               "on-timeout", "--retries", "3", "--ack-timeout", "300ms"});
  EXPECT_EQ(alone.code, 1) << alone.err;
  std::string text;
  for (auto& l : alone.out) text += l + "\n";
  EXPECT_NE(text.find("verdict: unverified"), std::string::npos) << text;
  EXPECT_NE(text.find("--verify"), std::string::npos) << text;  // says what would settle it
  EXPECT_EQ(text.find("ok"), std::string::npos) << text;

  auto verified = run_wkit_lines({"send", "-s", srv.tcp(), "-u", "carol", "--to", "dave", "--text", "x", "--retry-mode",
                                  "on-timeout", "--retries", "3", "--ack-timeout", "300ms", "--verify", "--receiver",
                                  "dave", "--verify-wait", "3s", "-o", "jsonl"});
  EXPECT_EQ(verified.code, 1) << verified.err;
  auto msgs = verified.records("send");
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_EQ(msgs[0]["verdict"], "duplicated");
  EXPECT_EQ(msgs[0]["message_ids"].size(), 2u);
  EXPECT_EQ(verified.last()["verdict"], "duplicated");
  EXPECT_EQ(verified.last()["verify"]["duplicated"]["distinct_message_ids"], 1);
}

// With de-duplication the receivers see one message_id: the resend is proven
// harmless and the message is idempotent.
TEST(SendE2E, DroppedSendackWithDedupIsIdempotentOnceReceiversLook) {
  ServeProcess srv({"--fault", "drop:sendack:nth=1"});
  auto r = run_wkit_lines({"send", "-s", srv.tcp(), "-u", "alice", "--to", "bob", "--text", "x", "--retry-mode",
                           "on-timeout", "--retries", "3", "--ack-timeout", "300ms", "--verify", "--receiver", "bob",
                           "--verify-wait", "3s", "-o", "jsonl"});
  EXPECT_EQ(r.code, 0) << r.err;
  auto msgs = r.records("send");
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_EQ(msgs[0]["verdict"], "idempotent");
  EXPECT_EQ(r.last()["verdict"], "idempotent");
}

TEST(SendE2E, DroppedSendackWithoutRetriesIsNotAcknowledged) {
  ServeProcess srv({"--fault", "drop:sendack:nth=1"});
  auto r = run_wkit_lines({"send", "-s", srv.tcp(), "-u", "alice", "--to", "bob", "--text", "hi", "--retry-mode",
                           "on-timeout", "--ack-timeout", "200ms", "-o", "json"});
  EXPECT_EQ(r.code, 1);
  std::string t;
  for (auto& l : r.out) t += l;
  auto s = json::parse(t);
  EXPECT_EQ(s["not_acknowledged"], 1);
  EXPECT_EQ(s["reasons"]["no_ack"], 1);
  EXPECT_EQ(s["verdict"], "unverified");
}

TEST(SendE2E, AuthFailureIsExit3WithReasonName) {
  ServeProcess* dummy = nullptr;
  (void)dummy;
  wkit::testing::TempDir dir;
  auto tokens = (dir.path / "tokens").string();
  std::ofstream(tokens) << "alice:right\n";
  ServeProcess srv({"--tokens", tokens});
  auto r = run_wkit_lines({"send", "-s", srv.tcp(), "-u", "alice", "-t", "wrong", "--to", "bob", "--text", "x"});
  EXPECT_EQ(r.code, 3);
  EXPECT_NE(r.err.find("auth_fail"), std::string::npos) << r.err;
  auto ok = run_wkit_lines({"send", "-s", srv.tcp(), "-u", "alice", "-t", "right", "--to", "bob", "--text", "x"});
  EXPECT_EQ(ok.code, 0) << ok.err;
}

TEST(SendE2E, UsageErrorsAreExit2) {
  auto r = run_wkit_lines({"send", "-s", "tcp://nowhere", "-u", "a", "--to", "b"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("'tcp://nowhere'"), std::string::npos) << r.err;
  auto noport = run_wkit_lines({"send", "-u", "a", "--to", "b", "--ack-timeout", "soon"});
  EXPECT_EQ(noport.code, 2);
}

TEST(SendE2E, ConnectionRefusedIsExit3) {
  std::string url;
  {
    ServeProcess srv;
    url = srv.tcp();
  }
  auto r = run_wkit_lines({"send", "-s", url, "-u", "a", "--to", "b", "--connect-timeout", "2s"});
  EXPECT_EQ(r.code, 3) << r.err;
}

TEST(SendE2E, VerifyModeAccountsEveryMessage) {
  ServeProcess srv;
  auto r = run_wkit_lines({"send", "-s", srv.tcp(), "-u", "alice", "--to", "bob", "--count", "300", "--window", "32",
                           "--verify", "--receiver", "bob", "-o", "json"});
  ASSERT_EQ(r.code, 0) << r.err;
  std::string t;
  for (auto& l : r.out) t += l;
  auto s = json::parse(t);
  const auto& v = s["verify"];
  EXPECT_EQ(v["attempted"], 300);
  EXPECT_EQ(v["acknowledged"], 300);
  EXPECT_EQ(v["delivered"], 300);
  EXPECT_EQ(v["lost"], 0);
  EXPECT_EQ(v["unexpected"], 0);
  EXPECT_EQ(v["duplicated"]["distinct_message_ids"], 0);
}

TEST(SendE2E, VerifyModeReportsServerCreatedDuplicates) {
  ServeProcess srv({"--dedup", "off"});
  auto r = run_wkit_lines({"send", "-s", srv.tcp(), "-u", "alice", "--to", "bob", "--count", "5", "--window", "5",
                           "--retries", "1", "--retry-interval", "50ms", "--verify", "--receiver", "bob",
                           "--verify-wait", "3s", "--fail-on-duplicate", "-o", "json"});
  EXPECT_EQ(r.code, 1);
  std::string t;
  for (auto& l : r.out) t += l;
  auto s = json::parse(t);
  EXPECT_EQ(s["duplicates_created"], 5);
  EXPECT_EQ(s["verify"]["duplicated"]["distinct_message_ids"], 5);
  EXPECT_EQ(s["verify"]["lost"], 0);
}

// One duplicates rule: server-created duplicates fail the check whether or
// not --fail-on-duplicate was given (that flag only adds redeliveries).
TEST(SendE2E, VerifyServerCreatedDuplicatesExit1WithoutFailOnDuplicate) {
  ServeProcess srv({"--dedup", "off"});
  auto r = run_wkit_lines({"send", "-s", srv.tcp(), "-u", "alice", "--to", "bob", "--count", "3", "--window", "3",
                           "--retries", "1", "--retry-interval", "50ms", "--verify", "--receiver", "bob",
                           "--verify-wait", "3s", "-o", "json"});
  EXPECT_EQ(r.code, 1) << r.err;
  std::string t;
  for (auto& l : r.out) t += l;
  auto s = json::parse(t);
  EXPECT_EQ(s["verdicts"]["duplicated"], 3);
  EXPECT_EQ(s["verdict"], "duplicated");
}

TEST(SendE2E, LoadRunOf10000MessagesHasExactCounts) {
  ServeProcess srv({"--in-memory"});
  auto hist = (std::filesystem::temp_directory_path() / ("wkit-hist-" + std::to_string(::getpid()) + ".json")).string();
  auto r = run_wkit_lines({"send", "-s", srv.tcp(), "-u", "alice", "--to", "user{i}", "--channels", "10", "--count",
                           "10000", "--connections", "4", "--window", "64", "--payload-size", "100", "--hist-out", hist,
                           "-o", "json"});
  ASSERT_EQ(r.code, 0) << r.err;
  std::string t;
  for (auto& l : r.out) t += l;
  auto s = json::parse(t);
  EXPECT_EQ(s["attempted"], 10000);
  EXPECT_EQ(s["sends"], 10000);
  EXPECT_EQ(s["acknowledged"], 10000);
  EXPECT_EQ(s["reasons"]["success"], 10000);
  EXPECT_EQ(s["reasons"].size(), 1u);
  EXPECT_EQ(s["duplicates_created"], 0);
  EXPECT_EQ(s["latency"]["count"], 10000);
  // The histogram file merges with itself to twice the count.
  auto m = run_wkit_lines({"send", "merge-hist", hist, hist, "-o", "json"});
  ASSERT_EQ(m.code, 0) << m.err;
  std::string mt;
  for (auto& l : m.out) mt += l;
  EXPECT_EQ(json::parse(mt)["count"], 20000);
  std::filesystem::remove(hist);
}

TEST(SendE2E, RateRunReportsSchedule) {
  ServeProcess srv({"--in-memory"});
  auto r = run_wkit_lines({"send", "-s", srv.tcp(), "-u", "alice", "--to", "bob", "--count", "200", "--rate", "2000/s",
                           "--window", "50", "-o", "json"});
  ASSERT_EQ(r.code, 0) << r.err;
  std::string t;
  for (auto& l : r.out) t += l;
  auto s = json::parse(t);
  ASSERT_TRUE(s.contains("schedule"));
  EXPECT_EQ(s["schedule"]["rate_per_s"], 2000.0);
  EXPECT_EQ(s["acknowledged"], 200);
}

// A rate has a period, like a duration has a unit: a bare number is refused
// before anything is sent (exit 2, not 3 for the closed port), with the fix.
TEST(SendE2E, RateNeedsAPeriod) {
  auto bare = run_wkit_lines({"send", "-s", "tcp://127.0.0.1:1", "-u", "alice", "--to", "bob", "--count", "2", "--rate",
                              "500"});
  EXPECT_EQ(bare.code, 2);
  EXPECT_EQ(bare.err, "wkit send: bad --rate '500': invalid rate \"500\": missing period; write 500/s\n");
  EXPECT_TRUE(bare.out.empty());

  ServeProcess srv({"--in-memory"});
  auto r = run_wkit_lines({"send", "-s", srv.tcp(), "-u", "alice", "--to", "bob", "--count", "2", "--rate", "50/10s",
                           "-o", "json"});
  ASSERT_EQ(r.code, 0) << r.err;
  std::string t;
  for (auto& l : r.out) t += l;
  auto s = json::parse(t);
  EXPECT_EQ(s["schedule"]["rate_per_s"], 5.0);
  EXPECT_EQ(s["acknowledged"], 2);
}

TEST(SendE2E, MergeHistRejectsBadFile) {
  wkit::testing::TempDir dir;
  auto bad = (dir.path / "bad.json").string();
  std::ofstream(bad) << "{not json";
  auto r = run_wkit_lines({"send", "merge-hist", bad});
  EXPECT_EQ(r.code, 4);
  EXPECT_NE(r.err.find(bad), std::string::npos) << r.err;
}

}  // namespace

namespace {

TEST(SendE2E, DurationRunSendsUntilTheClockRunsOut) {
  ServeProcess srv({"--in-memory"});
  auto r = run_wkit_lines({"send", "-s", srv.tcp(), "-u", "alice", "--to", "bob", "--duration", "500ms", "--rate",
                           "200/s", "--window", "16", "-o", "json"});
  ASSERT_EQ(r.code, 0) << r.err;
  std::string t;
  for (auto& l : r.out) t += l;
  auto s = json::parse(t);
  // 200/s for 0.5 s: about 100 scheduled sends, every one acknowledged.
  EXPECT_GT(s["attempted"].get<int>(), 50);
  EXPECT_LE(s["attempted"].get<int>(), 101);
  EXPECT_EQ(s["acknowledged"], s["attempted"]);
}

TEST(SendE2E, UsersFileAndGroupTargetWithVerify) {
  wkit::testing::TempDir dir;
  auto users = (dir.path / "users").string();
  std::ofstream(users) << "# senders\nu1:t\nu2:t\n";
  ServeProcess srv({"--in-memory", "--group", "g1=u1,u2,carol"});
  auto r = run_wkit_lines({"send", "-s", srv.tcp(), "--users-file", users, "--connections", "2", "--channel", "g1",
                           "--channel-type", "2", "--count", "100", "--window", "10", "--verify", "--receiver", "carol",
                           "-o", "json"});
  ASSERT_EQ(r.code, 0) << r.err;
  std::string t;
  for (auto& l : r.out) t += l;
  auto s = json::parse(t);
  EXPECT_EQ(s["acknowledged"], 100);
  EXPECT_EQ(s["verify"]["delivered"], 100);
  EXPECT_EQ(s["verify"]["lost"], 0);
}

TEST(SendE2E, BadUsersFileIsExit4WithFileAndLine) {
  wkit::testing::TempDir dir;
  auto users = (dir.path / "users").string();
  std::ofstream(users) << "ok\nnot ok\n";
  auto r = run_wkit_lines({"send", "--users-file", users, "--to", "bob"});
  EXPECT_EQ(r.code, 4);
  EXPECT_NE(r.err.find(users + ":2"), std::string::npos) << r.err;
}

}  // namespace

namespace {

TEST(SendE2E, VersionNegotiationAgainstServe) {
  ServeProcess srv({"--in-memory"});
  // Asked version -> version the CONNACK settles on (wkit serve speaks up to 6).
  for (auto [asked, agreed] : std::vector<std::pair<int, int>>{{2, 2}, {3, 3}, {4, 4}, {5, 5}, {6, 6}, {9, 6}}) {
    auto r = run_wkit_lines({"send", "-s", srv.tcp(), "-u", "alice", "--to", "bob", "--proto-version",
                             std::to_string(asked), "-o", "json"});
    ASSERT_EQ(r.code, 0) << asked << ": " << r.err;
    std::string t;
    for (auto& l : r.out) t += l;
    EXPECT_EQ(json::parse(t)["proto_version"], agreed) << asked;
  }
}

TEST(SendE2E, NoEncryptReachesTheReceiverAsPlaintext) {
  ServeProcess srv({"--in-memory"});
  Process rx({WKIT_BINARY, "recv", "-s", srv.tcp(), "-u", "zed", "--count", "1", "--timeout", "20s", "-o", "jsonl"});
  ASSERT_TRUE(rx.wait_stderr([](const std::string& l) { return l.find("receiving as") != std::string::npos; },
                             std::chrono::seconds(20)));
  auto r = run_wkit_lines({"send", "-s", srv.tcp(), "-u", "alice", "--to", "zed", "--no-encrypt", "--text", "plain",
                           "-o", "json"});
  ASSERT_EQ(r.code, 0) << r.err;
  ASSERT_EQ(rx.wait_exit(std::chrono::seconds(30)), 0) << rx.stderr_text();
  auto first = json::parse(rx.stdout_lines().at(0));
  EXPECT_EQ(first["check"], "not_encrypted");
  EXPECT_EQ(json::parse(first["payload"].get<std::string>())["content"], "plain");
}

}  // namespace
