// Every run of `wkit send` / `wkit recv` ends by itself, and a signal ends
// it with its summary (issue 12): a server that dies mid-run, a peer that
// never answers, Ctrl-C, count and duration bounds, thresholds, and
// verification against what was pending before the run.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "../support/temp_dir.hpp"
#include "support/process.hpp"
#include "support/serve_process.hpp"
#include "support/silent_peer.hpp"
#include "support/wkit_commands.hpp"

using nlohmann::json;
using wkit::testing::Process;
using wkit::testing::ServeProcess;
using Clock = std::chrono::steady_clock;

namespace {

json summary_of(const std::vector<std::string>& lines) {
  std::string t;
  for (auto& l : lines) t += l;
  return json::parse(t, nullptr, false);
}

TEST(SendBoundedE2E, ServerKilledMidRunEndsWithExit3AndTheSummary) {
  auto srv = std::make_unique<ServeProcess>(std::vector<std::string>{"--in-memory"});
  Process send({WKIT_BINARY, "send", "-s", srv->tcp(), "-u", "alice", "--to", "bob", "--duration", "60s", "--rate",
                "200/s", "--window", "16", "--reconnect-budget", "1s", "-o", "json"});
  std::this_thread::sleep_for(std::chrono::milliseconds(800));
  srv->process().kill_now();  // SIGKILL
  const auto t0 = Clock::now();
  auto code = send.wait_exit(std::chrono::seconds(30));
  ASSERT_TRUE(code.has_value()) << "wkit send did not end after its server died";
  EXPECT_LT(Clock::now() - t0, std::chrono::seconds(20));
  EXPECT_EQ(*code, 3) << send.stderr_text();
  auto s = summary_of(send.stdout_lines());
  ASSERT_TRUE(s.is_object()) << "no JSON summary";
  EXPECT_EQ(s["verdict"], "error");
  EXPECT_EQ(s["exit_code"], 3);
  EXPECT_GT(s["acknowledged"].get<int>(), 0);
  EXPECT_NE(s["error"].get<std::string>().find("--reconnect-budget"), std::string::npos) << s.dump();
  // Nothing went out while the server was gone: the schedule was not kept.
  EXPECT_GT(s["schedule"]["missed_sends"].get<int>(), 0) << s.dump();
  EXPECT_FALSE(s["schedule"]["kept_up"].get<bool>()) << s.dump();
  EXPECT_NE(send.stderr_text().find("lost"), std::string::npos) << send.stderr_text();
}

TEST(SendBoundedE2E, ServerKilledDuringVerifyRunEndsToo) {
  auto srv = std::make_unique<ServeProcess>(std::vector<std::string>{"--in-memory"});
  Process send({WKIT_BINARY, "send", "-s", srv->tcp(), "-u", "alice", "--to", "bob", "--duration", "60s", "--rate",
                "100/s", "--verify", "--receiver", "bob", "--verify-wait", "2s", "--reconnect-budget", "1s", "-o",
                "json"});
  std::this_thread::sleep_for(std::chrono::milliseconds(1200));
  srv->process().kill_now();  // SIGKILL
  auto code = send.wait_exit(std::chrono::seconds(30));
  ASSERT_TRUE(code.has_value()) << "wkit send --verify did not end after its server died";
  EXPECT_EQ(*code, 3) << send.stderr_text();
  EXPECT_TRUE(summary_of(send.stdout_lines()).is_object());
}

TEST(SendBoundedE2E, ConnectTimeoutCoversTcpAndWebSocketUpgrade) {
  wkit::testing::SilentPeer peer;
  for (const char* scheme : {"tcp", "ws"}) {
    const auto t0 = Clock::now();
    auto r = wkit::testing::run_wkit({"send", "-s", peer.url(scheme), "-u", "a", "--to", "b", "--text", "x",
                                      "--connect-timeout", "1s"},
                                     std::chrono::seconds(20));
    EXPECT_EQ(r.code, 3) << scheme << ": " << r.err;
    EXPECT_LT(Clock::now() - t0, std::chrono::seconds(10)) << scheme;
    EXPECT_NE(r.err.find("timed out"), std::string::npos) << r.err;
  }
}

TEST(SendBoundedE2E, RecvTimeoutCoversConnectingAndSigintEndsIt) {
  wkit::testing::SilentPeer peer;
  auto r = wkit::testing::run_wkit({"recv", "-s", peer.url("ws"), "-u", "bob", "--timeout", "1s"},
                                   std::chrono::seconds(20));
  EXPECT_EQ(r.code, 3) << r.err;
  Process recv({WKIT_BINARY, "recv", "-s", peer.url("ws"), "-u", "bob"});
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  auto code = recv.signal_and_wait(SIGINT, std::chrono::seconds(10));
  ASSERT_TRUE(code.has_value()) << "wkit recv ignored SIGINT while connecting";
  EXPECT_EQ(*code, 3);
}

TEST(SendBoundedE2E, SigintEndsALoadRunWithItsSummaryAndHistogram) {
  ServeProcess srv({"--in-memory"});
  wkit::testing::TempDir dir;
  const auto hist = (dir.path / "run.hist").string();
  Process send({WKIT_BINARY, "send", "-s", srv.tcp(), "-u", "alice", "--to", "bob", "--duration", "60s", "--rate",
                "500/s", "--hist-out", hist, "-o", "json"});
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));
  auto code = send.signal_and_wait(SIGINT, std::chrono::seconds(15));
  ASSERT_TRUE(code.has_value()) << "wkit send ignored SIGINT";
  EXPECT_EQ(*code, 0) << send.stderr_text();
  auto s = summary_of(send.stdout_lines());
  ASSERT_TRUE(s.is_object());
  EXPECT_TRUE(s["interrupted"].get<bool>());
  EXPECT_GT(s["acknowledged"].get<int>(), 0);
  EXPECT_EQ(s["verdicts"]["unverified"], 0);  // the grace let the in-flight SENDACKs arrive
  EXPECT_TRUE(std::filesystem::exists(hist));
}

TEST(SendBoundedE2E, CountAndDurationBoundTogether) {
  ServeProcess srv({"--in-memory"});
  auto zero = wkit::testing::run_wkit({"send", "-s", srv.tcp(), "-u", "a", "--to", "b", "--count", "0"});
  EXPECT_EQ(zero.code, 2) << zero.err;
  // The duration ends first: 20/s for 500 ms, far fewer than 1000.
  auto by_time = wkit::testing::run_wkit({"send", "-s", srv.tcp(), "-u", "a", "--to", "b", "--count", "1000",
                                          "--duration", "500ms", "--rate", "20/s", "-o", "json"});
  ASSERT_EQ(by_time.code, 0) << by_time.err;
  EXPECT_LE(json::parse(by_time.out)["attempted"].get<int>(), 11);
  // The count ends first.
  auto by_count = wkit::testing::run_wkit({"send", "-s", srv.tcp(), "-u", "a", "--to", "b", "--count", "7",
                                           "--duration", "30s", "-o", "json"}, std::chrono::seconds(20));
  ASSERT_EQ(by_count.code, 0) << by_count.err;
  EXPECT_EQ(json::parse(by_count.out)["attempted"], 7);
}

TEST(SendBoundedE2E, ThresholdsPassAndFail) {
  ServeProcess srv({"--in-memory"});
  auto pass = wkit::testing::run_wkit({"send", "-s", srv.tcp(), "-u", "a", "--to", "b", "--count", "50", "--window",
                                       "8", "--threshold", "p99<30s", "--threshold", "acked_ratio>=0.999", "-o",
                                       "json"});
  EXPECT_EQ(pass.code, 0) << pass.err;
  auto fail = wkit::testing::run_wkit({"send", "-s", srv.tcp(), "-u", "a", "--to", "b", "--count", "50", "--window",
                                       "8", "--threshold", "p50<1ns", "--threshold", "late_ratio<0.5", "-o", "json"});
  EXPECT_EQ(fail.code, 1) << fail.err;
  auto s = json::parse(fail.out);
  ASSERT_EQ(s["thresholds"].size(), 2u);
  EXPECT_FALSE(s["thresholds"][0]["passed"].get<bool>());
  EXPECT_FALSE(s["thresholds"][1]["passed"].get<bool>());  // no --rate: late_ratio not measured
  EXPECT_TRUE(s["thresholds"][1]["actual"].is_null());
  EXPECT_NE(fail.err.find("threshold p50<1ns failed"), std::string::npos) << fail.err;
  auto bad = wkit::testing::run_wkit({"send", "-s", srv.tcp(), "-u", "a", "--to", "b", "--threshold", "p77<1ms"});
  EXPECT_EQ(bad.code, 2);
  EXPECT_NE(bad.err.find("valid: p50"), std::string::npos) << bad.err;
}

// A load test spread over N processes has one verdict: each writes its
// histogram, merge-hist applies the thresholds (docs/send.md).
TEST(SendBoundedE2E, NProcessesMergeIntoOneThresholdVerdict) {
  ServeProcess srv({"--in-memory"});
  wkit::testing::TempDir dir;
  std::vector<std::unique_ptr<Process>> procs;
  std::vector<std::string> hists;
  for (int i = 0; i < 4; ++i) {
    hists.push_back((dir.path / ("part-" + std::to_string(i) + ".hist")).string());
    procs.push_back(std::make_unique<Process>(std::vector<std::string>{
        WKIT_BINARY, "send", "-s", srv.tcp(), "-u", "load" + std::to_string(i), "--to", "sink", "--count", "200",
        "--window", "16", "--hist-out", hists.back(), "-o", "json"}));
  }
  for (auto& p : procs) {
    auto code = p->wait_exit(std::chrono::seconds(60));
    ASSERT_TRUE(code.has_value());
    EXPECT_EQ(*code, 0) << p->stderr_text();
  }
  std::vector<std::string> merge{"send", "merge-hist"};
  merge.insert(merge.end(), hists.begin(), hists.end());
  auto ok = merge;
  ok.insert(ok.end(), {"--threshold", "count==800", "--threshold", "p99<30s", "-o", "json"});
  auto r = wkit::testing::run_wkit(ok);
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(json::parse(r.out)["count"], 800);
  auto strict = merge;
  strict.insert(strict.end(), {"--threshold", "count>800"});
  auto f = wkit::testing::run_wkit(strict);
  EXPECT_EQ(f.code, 1) << f.err;
  auto wrong = merge;
  wrong.insert(wrong.end(), {"--threshold", "acked_ratio>0.5"});  // not in a histogram
  EXPECT_EQ(wkit::testing::run_wkit(wrong).code, 2);
}

// Messages pending for the receiver before the run are preexisting, never
// unexpected; a message from someone else during the run is unexpected,
// with a sample naming it.
TEST(SendBoundedE2E, VerifySetsApartWhatWasPendingBeforeTheRun) {
  ServeProcess srv;
  auto old = wkit::testing::run_wkit({"send", "-s", srv.tcp(), "-u", "carol", "--to", "bob", "--count", "3",
                                      "--window", "3"});
  ASSERT_EQ(old.code, 0) << old.err;
  auto r = wkit::testing::run_wkit({"send", "-s", srv.tcp(), "-u", "alice", "--to", "bob", "--count", "5",
                                    "--window", "5", "--verify", "--receiver", "bob", "--verify-wait", "3s", "-o",
                                    "json"});
  EXPECT_EQ(r.code, 0) << r.err << r.out;
  auto s = json::parse(r.out);
  EXPECT_EQ(s["verify"]["preexisting"], 3);
  EXPECT_EQ(s["verify"]["unexpected"], 0);
  EXPECT_EQ(s["verify"]["delivered"], 5);

  // Now a stranger writes to bob while a verify run is receiving.
  Process run({WKIT_BINARY, "send", "-s", srv.tcp(), "-u", "alice", "--to", "bob", "--count", "40", "--rate",
               "20/s", "--verify", "--receiver", "bob", "--verify-wait", "2s", "-o", "json"});
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));
  auto stranger = wkit::testing::run_wkit({"send", "-s", srv.tcp(), "-u", "mallory", "--to", "bob", "--text", "x",
                                           "--client-msg-no", "stranger-1"});
  ASSERT_EQ(stranger.code, 0) << stranger.err;
  auto code = run.wait_exit(std::chrono::seconds(30));
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 1);
  auto s2 = summary_of(run.stdout_lines());
  EXPECT_EQ(s2["verify"]["unexpected"], 1);
  const auto& sample = s2["verify"]["per_receiver"][0]["unexpected_sample"];
  ASSERT_EQ(sample.size(), 1u);
  EXPECT_EQ(sample[0]["client_msg_no"], "stranger-1");
  EXPECT_EQ(sample[0]["from_uid"], "mallory");
}

TEST(RecvE2E, ServerCreatedDuplicateExits1WithoutFlags) {
  ServeProcess srv({"--dedup", "off"});
  auto sent = wkit::testing::run_wkit({"send", "-s", srv.tcp(), "-u", "alice", "--to", "bob", "--text", "x",
                                       "--retries", "1", "--retry-interval", "50ms"});
  ASSERT_EQ(sent.code, 1) << sent.err;  // duplicated
  auto r = wkit::testing::run_wkit({"recv", "-s", srv.tcp(), "-u", "bob", "--timeout", "2s", "-o", "json"});
  EXPECT_EQ(r.code, 1) << r.err;
  auto s = json::parse(r.out);
  EXPECT_EQ(s["duplicates"]["server_created"], 1);
  EXPECT_EQ(s["exit_code"], 1);
}

}  // namespace
