// `wkit send --check-via http://...` (docs/send.md "Settling with the
// server's store"): after the run, the server's messagesync settles each
// message with the message_ids its store holds. Real `wkit serve` processes
// with a tcp:// and an http:// listener on port 0, faults that lose a
// SENDACK or a SEND, and check URLs that cannot answer.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "support/api_serve.hpp"
#include "support/process.hpp"
#include "support/wkit_commands.hpp"

using namespace wkit::testing;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

struct SendRun {
  Done done;
  json message;  // the per-message line
  json summary;
};

// One message from alice to bob, -o jsonl.
SendRun send_one(const std::string& server, std::vector<std::string> extra) {
  std::vector<std::string> args = {"send", "-s", server, "-u", "alice", "--to", "bob", "--text", "hi", "-o", "jsonl"};
  args.insert(args.end(), extra.begin(), extra.end());
  SendRun r;
  r.done = run_wkit(args, 60s);
  for (auto& j : jsonl(r.done.out)) {
    if (j["type"] == "send") r.message = j;
    if (j["type"] == "summary") r.summary = j;
  }
  return r;
}

TEST(SendCheckVia, LostSendackIsUnverifiedWithoutAndIdempotentWithTheStore) {
  // Each connection's first SENDACK is lost; the one attempt is stored.
  ApiServe srv({"--fault", "drop:sendack:nth=1"});
  auto plain = send_one(srv.tcp(), {"--retries", "0", "--ack-timeout", "300ms"});
  ASSERT_EQ(plain.done.code, 1) << plain.done.out << plain.done.err;
  EXPECT_EQ(plain.message["verdict"], "unverified") << plain.done.out;
  EXPECT_FALSE(plain.message.contains("store_message_ids"));
  EXPECT_FALSE(plain.summary.contains("checked_via"));

  auto checked = send_one(srv.tcp(), {"--retries", "0", "--ack-timeout", "300ms", "--check-via", srv.http()});
  ASSERT_EQ(checked.done.code, 0) << checked.done.out << checked.done.err;
  EXPECT_EQ(checked.message["sendacks"], 0) << checked.done.out;
  EXPECT_EQ(checked.message["verdict"], "idempotent") << checked.done.out;
  ASSERT_EQ(checked.message["store_message_idstrs"].size(), 1u) << checked.done.out;
  EXPECT_EQ(checked.message["store_message_idstrs"][0].get<std::string>(),
            std::to_string(checked.message["store_message_ids"][0].get<int64_t>()));
  const json& c = checked.summary["checked_via"];
  EXPECT_EQ(c["url"], srv.http());
  EXPECT_EQ(c["checked"], true);
  EXPECT_EQ(c["settled"]["idempotent"], 1) << c.dump();
  EXPECT_EQ(c["settled"]["duplicated"], 0);
  EXPECT_EQ(c["settled"]["failed"], 0);
  // Only this run's message: the first run's copy is before the channel head read at the start.
  EXPECT_EQ(c["messages_read"], 1) << c.dump();
  EXPECT_EQ(checked.summary["verdicts"]["unverified"], 0);
  EXPECT_EQ(checked.summary["verdict"], "idempotent");

  // Text: the store's view next to the verdict.
  auto text = run_wkit({"send", "-s", srv.tcp(), "-u", "alice", "--to", "bob", "--text", "hi", "--retries", "0",
                        "--ack-timeout", "300ms", "--check-via", srv.http()},
                       60s);
  ASSERT_EQ(text.code, 0) << text.out << text.err;
  EXPECT_NE(text.out.find("store holds [\""), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("verdict: idempotent: the server's store holds it once"), std::string::npos) << text.out;
  EXPECT_EQ(srv.stop(), std::optional<int>(0));
}

TEST(SendCheckVia, ResendStoredTwiceIsSettledDuplicated) {
  // No dedup: the resend after the lost SENDACK is a second stored copy.
  ApiServe srv({"--dedup", "off", "--fault", "drop:sendack:nth=1"});
  const std::vector<std::string> retry = {"--retries", "1", "--retry-mode", "on-timeout", "--ack-timeout", "300ms"};
  auto plain = send_one(srv.tcp(), retry);
  ASSERT_EQ(plain.done.code, 1) << plain.done.out << plain.done.err;
  EXPECT_EQ(plain.message["attempts"], 2) << plain.done.out;
  EXPECT_EQ(plain.message["sendacks"], 1);
  EXPECT_EQ(plain.message["verdict"], "unverified") << plain.done.out;

  auto args = retry;
  args.insert(args.end(), {"--check-via", srv.http()});
  auto checked = send_one(srv.tcp(), args);
  ASSERT_EQ(checked.done.code, 1) << checked.done.out << checked.done.err;
  EXPECT_EQ(checked.message["verdict"], "duplicated") << checked.done.out;
  ASSERT_EQ(checked.message["store_message_idstrs"].size(), 2u) << checked.done.out;
  EXPECT_NE(checked.message["store_message_idstrs"][0], checked.message["store_message_idstrs"][1]);
  EXPECT_EQ(checked.message["duplicate"], true);
  EXPECT_EQ(checked.summary["checked_via"]["settled"]["duplicated"], 1) << checked.summary.dump();
  EXPECT_EQ(checked.summary["verdict"], "duplicated");
  EXPECT_NE(checked.summary["findings"].get<std::string>().find("duplicated"), std::string::npos);
  EXPECT_EQ(srv.stop(), std::optional<int>(0));
}

TEST(SendCheckVia, AGroupReadOnceForSeveralSenders) {
  // Two connections send as alice-0 and alice-1 into one group; the first
  // SENDACK of each is lost. One channel is read and each message matched
  // by its sender and client_msg_no.
  ApiServe srv({"--fault", "drop:sendack:nth=1", "--group", "g1=alice-0,alice-1"});
  auto r = run_wkit({"send", "-s", srv.tcp(), "-u", "alice", "--channel", "g1", "--connections", "2", "--count", "6",
                     "--window", "3", "--ack-timeout", "300ms", "--check-via", srv.http(), "-o", "jsonl"},
                    60s);
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  size_t messages = 0, unanswered = 0;
  json summary;
  for (auto& j : jsonl(r.out)) {
    if (j["type"] == "summary") summary = j;
    if (j["type"] != "send") continue;
    ++messages;
    unanswered += j["sendacks"] == 0;
    EXPECT_EQ(j["verdict"], "idempotent") << j.dump();
    EXPECT_EQ(j["store_message_ids"].size(), 1u) << j.dump();
  }
  EXPECT_EQ(messages, 6u);
  EXPECT_EQ(unanswered, 2u);
  EXPECT_EQ(summary["checked_via"]["channels"], 1) << summary.dump();
  EXPECT_EQ(summary["checked_via"]["matched"], 6);
  EXPECT_EQ(summary["checked_via"]["settled"]["idempotent"], 2);
  EXPECT_EQ(srv.stop(), std::optional<int>(0));
}

TEST(SendCheckVia, ASendNeverStoredIsFailed) {
  // The server ignores each connection's first SEND: no SENDACK, nothing stored.
  ApiServe srv({"--fault", "drop:send:nth=1"});
  auto plain = send_one(srv.tcp(), {"--ack-timeout", "300ms"});
  ASSERT_EQ(plain.done.code, 1) << plain.done.out << plain.done.err;
  EXPECT_EQ(plain.message["verdict"], "unverified") << plain.done.out;

  auto checked = send_one(srv.tcp(), {"--ack-timeout", "300ms", "--check-via", srv.http()});
  ASSERT_EQ(checked.done.code, 1) << checked.done.out << checked.done.err;
  EXPECT_EQ(checked.message["verdict"], "failed") << checked.done.out;
  EXPECT_TRUE(checked.message["store_message_ids"].empty()) << checked.done.out;
  EXPECT_EQ(checked.summary["checked_via"]["settled"]["failed"], 1) << checked.summary.dump();
  EXPECT_EQ(checked.summary["verdict"], "failed");

  auto text = run_wkit({"send", "-s", srv.tcp(), "-u", "alice", "--to", "bob", "--text", "hi", "--ack-timeout",
                        "300ms", "--check-via", srv.http()},
                       60s);
  ASSERT_EQ(text.code, 1) << text.out << text.err;
  EXPECT_NE(text.out.find("verdict: failed: not stored"), std::string::npos) << text.out;
  EXPECT_EQ(srv.stop(), std::optional<int>(0));
}

TEST(SendCheckVia, ACheckThatCannotRunLeavesTheMessageUnverified) {
  ApiServe srv({"--fault", "drop:sendack:nth=1"});
  // Nothing listens on port 1; the tcp:// listener does not speak HTTP.
  for (const std::string& api : {std::string("http://127.0.0.1:1"), "http://" + srv.tcp().substr(6)}) {
    auto r = send_one(srv.tcp(), {"--ack-timeout", "300ms", "--check-via", api});
    ASSERT_EQ(r.done.code, 1) << api << "\n" << r.done.out << r.done.err;
    EXPECT_EQ(r.message["verdict"], "unverified") << r.done.out;
    EXPECT_FALSE(r.message.contains("store_message_ids"));
    EXPECT_EQ(r.summary["checked_via"]["checked"], false) << r.summary.dump();
    EXPECT_FALSE(r.summary["checked_via"]["error"].get<std::string>().empty());
    // One line says why, naming the flag and the URL.
    size_t why = 0;
    std::istringstream err(r.done.err);
    for (std::string l; std::getline(err, l);)
      if (l.rfind("wkit send: --check-via " + api + ": ", 0) == 0) {
        ++why;
        EXPECT_NE(l.find("stay unverified"), std::string::npos) << l;
      }
    EXPECT_EQ(why, 1u) << r.done.err;
    EXPECT_LE(count_lines(r.done.err), 2u) << r.done.err;
  }
  auto usage = run_wkit({"send", "-s", srv.tcp(), "-u", "alice", "--to", "bob", "--check-via", srv.tcp()}, 30s);
  EXPECT_EQ(usage.code, 2) << usage.err;
  EXPECT_NE(usage.err.find("--check-via takes http://"), std::string::npos) << usage.err;
  EXPECT_EQ(srv.stop(), std::optional<int>(0));
}

}  // namespace
