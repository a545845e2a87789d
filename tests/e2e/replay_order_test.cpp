// `wkit replay` keeps the recorded connection order of one uid and
// device_flag: a capture (made through `wkit proxy --capture`) of reconnects
// replays at --speed max without the server kicking the earlier connections.
// A connection the server refuses or kicks is a failed connection with its
// reason, never a list of false differences.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "support/process.hpp"
#include "support/serve_process.hpp"
#include "support/silent_peer.hpp"
#include "support/wkit_commands.hpp"

using nlohmann::json;
using wkit::testing::Process;
using wkit::testing::ProxyProcess;
using wkit::testing::run_wkit;
using wkit::testing::ServeProcess;
using wkit::testing::TempDir;

namespace {

// Records `runs` one after another through a capturing proxy: each is one
// `wkit send` (one connection) with its extra arguments.
void record(const std::string& capture, const std::vector<std::vector<std::string>>& runs) {
  ServeProcess serve({"--in-memory", "--dedup", "on"});
  ProxyProcess proxy("tcp://127.0.0.1:0", serve.tcp(), {"--capture", capture});
  for (const auto& extra : runs) {
    std::vector<std::string> args = {"send", "-s", proxy.url(), "--to", "bob", "-o", "json"};
    args.insert(args.end(), extra.begin(), extra.end());
    auto sent = run_wkit(args);
    ASSERT_EQ(sent.code, 0) << sent.err << sent.out;
  }
  ASSERT_EQ(proxy.stop(), 0) << proxy.process().stderr_text();
}

size_t count_events(const ServeProcess& serve, const std::string& type) { return serve.events(type).size(); }

}  // namespace

// Three recorded connections, one after another: alice twice and dave once,
// all on device "phone" (device_flag app). With dave mapped to alice they are
// three reconnects of one uid and device_flag.
TEST(ReplayOrder, ReconnectsOfOneUidAndDeviceReplayInOrderAtSpeedMax) {
  TempDir dir;
  std::string capture = (dir.path / "reconnects.wkcap").string();
  record(capture, {{"-u", "alice", "--device-id", "phone", "--count", "20"},
                   {"-u", "alice", "--device-id", "phone", "--count", "20"},
                   {"-u", "dave", "--device-id", "phone", "--count", "10"}});
  if (HasFatalFailure()) return;
  auto info = json::parse(run_wkit({"capture", "info", capture, "-o", "json"}).out);
  ASSERT_EQ(info["frames_by_type"]["SEND"], 50) << info.dump();

  for (int round = 0; round < 2; ++round) {
    ServeProcess target({"--in-memory", "--dedup", "on"});
    std::vector<std::string> args = {"replay", capture, "-s", target.tcp(), "--speed", "max", "--expect-same",
                                     "-o", "json"};
    if (round == 1) args.insert(args.end(), {"--map-uid", "dave=alice"});
    auto r = run_wkit(args);
    EXPECT_EQ(r.code, 0) << r.err << r.out;
    auto rj = json::parse(r.out);
    EXPECT_EQ(rj["connections"], 3);
    EXPECT_EQ(rj["failed_connections"], 0) << rj["failures"].dump();
    EXPECT_TRUE(rj["failures"].empty());
    EXPECT_TRUE(rj["differences"].empty()) << rj["differences"].dump();
    EXPECT_EQ(rj["sends"], 50);
    EXPECT_EQ(rj["sendacks"], 50);
    EXPECT_EQ(rj["sends_not_compared"], 0);
    ASSERT_EQ(target.stop(), 0);
    // The server kicked nobody and stored every message once.
    EXPECT_EQ(count_events(target, "kick"), 0u);
    EXPECT_EQ(count_events(target, "send"), 50u);
    // Each reconnect of alice opened only after the previous one ended.
    int open = 0;
    for (auto& e : target.events()) {
      if (e.value("uid", "") != "alice") continue;
      if (e["event"] == "connect") {
        EXPECT_EQ(++open, 1) << "two alice connections at once (round " << round << ")";
      }
      if (e["event"] == "disconnect") --open;
    }
  }
}

// The server refuses a token: that connection is a failed connection (with
// the CONNACK reason), its SENDs are not differences. All refused: exit 3.
TEST(ReplayOrder, RefusedConnectionIsAFailureNotDifferences) {
  TempDir dir;
  std::string capture = (dir.path / "two-users.wkcap").string();
  record(capture, {{"-u", "alice", "--device-id", "phone", "--count", "5"},
                   {"-u", "dave", "--device-id", "tablet", "--count", "5"}});
  if (HasFatalFailure()) return;
  std::string server_tokens = (dir.path / "server.tokens").string();
  std::ofstream(server_tokens) << "alice:right\ndave:right\n";
  std::string replay_tokens = (dir.path / "replay.tokens").string();
  std::ofstream(replay_tokens) << "alice:right\ndave:wrong\n";
  ServeProcess target({"--in-memory", "--tokens", server_tokens});

  auto r = run_wkit({"replay", capture, "-s", target.tcp(), "--speed", "max", "--tokens", replay_tokens,
                     "--expect-same", "-o", "json"});
  EXPECT_EQ(r.code, 1) << r.err << r.out;
  auto rj = json::parse(r.out);
  EXPECT_EQ(rj["failed_connections"], 1);
  EXPECT_EQ(rj["opened_connections"], 1);
  EXPECT_TRUE(rj["differences"].empty()) << rj["differences"].dump();
  ASSERT_EQ(rj["failures"].size(), 1u);
  std::string failure = rj["failures"][0];
  EXPECT_NE(failure.find("(dave)"), std::string::npos) << failure;
  EXPECT_NE(failure.find("refused"), std::string::npos) << failure;
  EXPECT_NE(failure.find("auth_fail"), std::string::npos) << failure;
  EXPECT_EQ(rj["sends"], 5);  // alice's
  EXPECT_EQ(rj["sendacks"], 5);
  EXPECT_NE(r.err.find("1 connection(s) failed"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("difference"), std::string::npos) << r.err;
  for (auto& c : rj["per_connection"]) {
    if (c["uid"] != "dave") continue;
    EXPECT_TRUE(c["refused"].get<bool>());
    EXPECT_EQ(c["frames_sent"], 0);
    EXPECT_EQ(c["frames_not_sent"], 5);
  }

  // The text report names the failure too.
  auto text = run_wkit({"replay", capture, "-s", target.tcp(), "--speed", "max", "--tokens", replay_tokens});
  EXPECT_EQ(text.code, 0) << text.err;  // without --expect-same a failure alone is not an error
  EXPECT_NE(text.out.find("failed connections: 1 of 2"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("failed: connection"), std::string::npos) << text.out;
  EXPECT_EQ(text.out.find("difference:"), std::string::npos) << text.out;

  auto none = run_wkit({"replay", capture, "-s", target.tcp(), "--speed", "max", "-t", "wrong", "--expect-same",
                        "-o", "json"});
  EXPECT_EQ(none.code, 3) << none.err;
  auto nj = json::parse(none.out);
  EXPECT_EQ(nj["failed_connections"], 2);
  EXPECT_TRUE(nj["differences"].empty()) << nj["differences"].dump();
  EXPECT_NE(none.err.find("no connection could be replayed"), std::string::npos) << none.err;
}

// The server kicks a replayed connection (another client connects with the
// same uid and device_flag): a failed connection with the DISCONNECT reason;
// the frames it did not get to send are not compared.
TEST(ReplayOrder, KickedConnectionIsAFailureNotDifferences) {
  TempDir dir;
  std::string capture = (dir.path / "slow.wkcap").string();
  // About 4 s of SENDs, one every 200 ms.
  record(capture, {{"-u", "alice", "--device-id", "phone", "--count", "20", "--rate", "5/s", "--window", "1"}});
  if (HasFatalFailure()) return;
  ServeProcess target({"--in-memory"});
  Process replay({WKIT_BINARY, "replay", capture, "-s", target.tcp(), "--speed", "1", "--expect-same", "-o",
                  "json"});
  // Once the replay's first SEND is stored, a second alice takes the device.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (count_events(target, "send") == 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ASSERT_GT(count_events(target, "send"), 0u) << replay.stderr_text();
  auto kicker = run_wkit({"send", "-s", target.tcp(), "-u", "alice", "--device-id", "laptop", "--to", "bob",
                          "--text", "mine now"});
  ASSERT_EQ(kicker.code, 0) << kicker.err;
  auto code = replay.wait_exit(std::chrono::seconds(30));
  ASSERT_TRUE(code.has_value());
  std::string out;
  for (auto& l : replay.stdout_lines()) out += l + "\n";
  EXPECT_EQ(*code, 1) << replay.stderr_text() << out;
  auto rj = json::parse(out);
  EXPECT_EQ(rj["failed_connections"], 1);
  EXPECT_EQ(rj["opened_connections"], 1);
  EXPECT_TRUE(rj["differences"].empty()) << rj["differences"].dump();
  ASSERT_EQ(rj["failures"].size(), 1u);
  std::string failure = rj["failures"][0];
  EXPECT_NE(failure.find("DISCONNECT"), std::string::npos) << failure;
  EXPECT_GT(rj["frames_not_sent"].get<int>(), 0);
  EXPECT_LT(rj["sends"].get<int>(), 20);
  EXPECT_NE(replay.stderr_text().find("connection(s) failed"), std::string::npos) << replay.stderr_text();
  ASSERT_EQ(target.stop(), 0);  // the events file is complete once the server has stopped
  EXPECT_EQ(count_events(target, "kick"), 1u);
}

// SIGINT ends a replay with its report: connections still running count as
// failed ("interrupted"), never as differences.
TEST(ReplayOrder, SigintEndsTheReplayWithItsReport) {
  TempDir dir;
  std::string capture = (dir.path / "slow.wkcap").string();
  record(capture, {{"-u", "alice", "--count", "40", "--rate", "10/s"}});  // about 4 s recorded
  if (HasFatalFailure()) return;
  ServeProcess target({"--in-memory"});
  Process replay({WKIT_BINARY, "replay", capture, "-s", target.tcp(), "--speed", "1", "--expect-same", "-o", "json"});
  std::this_thread::sleep_for(std::chrono::milliseconds(1200));
  auto code = replay.signal_and_wait(SIGINT, std::chrono::seconds(15));
  ASSERT_TRUE(code.has_value()) << "wkit replay ignored SIGINT";
  EXPECT_EQ(*code, 1) << replay.stderr_text();  // --expect-same: an interrupted connection is a failed one
  std::string out;
  for (auto& l : replay.stdout_lines()) out += l;
  auto rj = json::parse(out);
  EXPECT_TRUE(rj["interrupted"].get<bool>());
  EXPECT_EQ(rj["failed_connections"], 1);
  EXPECT_TRUE(rj["differences"].empty()) << rj["differences"].dump();
  EXPECT_GT(rj["sends"].get<int>(), 0);
  EXPECT_LT(rj["sends"].get<int>(), 40);
  EXPECT_NE(rj["failures"][0].get<std::string>().find("interrupted"), std::string::npos) << rj["failures"].dump();
}

// A server that accepts and never answers the CONNECT: every replayed
// connection fails after --connect-timeout, and the replay ends with its
// report (exit 3: no connection could be replayed), never hangs.
TEST(ReplayOrder, SilentServerFailsEachConnectionAfterTheConnectTimeout) {
  TempDir dir;
  std::string capture = (dir.path / "two.wkcap").string();
  record(capture, {{"-u", "alice", "--count", "2"}, {"-u", "dave", "--count", "2"}});
  if (HasFatalFailure()) return;
  wkit::testing::SilentPeer silent;
  // Without the timeout it would wait forever: run_wkit's 30 s limit would
  // kill it (code -1).
  auto r = run_wkit({"replay", capture, "-s", silent.url(), "--speed", "max", "--connect-timeout", "500ms",
                     "--expect-same", "-o", "json"},
                    std::chrono::seconds(30));
  EXPECT_EQ(r.code, 3) << r.out << r.err;
  auto j = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << r.out << r.err;
  EXPECT_EQ(j["failed_connections"], 2) << r.out;
  EXPECT_EQ(j["opened_connections"], 0) << r.out;
  EXPECT_TRUE(j["differences"].empty()) << r.out;
}
