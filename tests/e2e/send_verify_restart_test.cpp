// `wkit send --verify` across a server crash: SIGKILL mid-run, restart on the
// same port and the same --data. Senders and receivers reconnect; resends of
// in-flight messages are de-duplicated by the durable store; nothing
// acknowledged is lost.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <fstream>
#include <thread>

#include "support/process.hpp"
#include "support/serve_process.hpp"

using nlohmann::json;
using wkit::testing::Process;
using wkit::testing::TempDir;

namespace {

std::unique_ptr<Process> start_serve(const std::string& listen, const std::string& data, std::string& url) {
  auto p = std::make_unique<Process>(std::vector<std::string>{WKIT_BINARY, "serve", "--listen", listen, "--data", data});
  auto line = p->wait_stdout([](const std::string& l) { return l.rfind("listening tcp://", 0) == 0; },
                             std::chrono::seconds(20));
  if (!line) throw std::runtime_error("serve did not start: " + p->stderr_text());
  url = line->substr(10);
  return p;
}

TEST(SendVerifyE2E, DurableServerKilledMidRunLosesNothing) {
  TempDir dir;
  const std::string data = (dir.path / "data").string();
  std::string url;
  auto srv = start_serve("tcp://127.0.0.1:0", data, url);

  Process send({WKIT_BINARY, "send", "-s", url, "-u", "alice", "--to", "bob", "--count", "1500", "--rate", "1000/s",
                "--window", "64", "--retry-mode", "on-timeout", "--retries", "20", "--ack-timeout", "500ms",
                "--verify", "--receiver", "bob", "--verify-wait", "15s", "-o", "json"});
  std::this_thread::sleep_for(std::chrono::milliseconds(700));
  srv->kill_now();  // SIGKILL: no clean shutdown
  std::string again;
  srv = start_serve(url, data, again);
  ASSERT_EQ(again, url);

  auto code = send.wait_exit(std::chrono::seconds(90));
  std::string t;
  for (auto& l : send.stdout_lines()) t += l;
  ASSERT_TRUE(code.has_value()) << send.stderr_text();
  auto s = json::parse(t, nullptr, false);
  ASSERT_TRUE(s.is_object()) << t << send.stderr_text();
  EXPECT_EQ(*code, 0) << t << send.stderr_text();
  EXPECT_GE(s["reconnects"].get<int>(), 1);  // the sender really lost its connection
  EXPECT_EQ(s["acknowledged"], 1500);
  EXPECT_EQ(s["duplicates_created"], 0);  // resends after the restart kept their message_ids
  EXPECT_EQ(s["verify"]["lost"], 0);
  EXPECT_EQ(s["verify"]["unexpected"], 0);
  EXPECT_EQ(s["verify"]["delivered"], 1500);
}

}  // namespace

namespace {

// The first server stores and acknowledges every message but drops every RECV
// (so all of them wait in its store for delivery); it is then SIGKILLed and
// restarted on the same port without the fault. A durable store delivers
// them when the receiver reconnects; an in-memory one has forgotten them,
// and verify mode must call them lost.
json run_crash_between_ack_and_delivery(bool durable) {
  TempDir dir;
  const std::string data = (dir.path / "data").string();
  const std::string events = (dir.path / "events.jsonl").string();
  std::vector<std::string> store = durable ? std::vector<std::string>{"--data", data}
                                           : std::vector<std::string>{"--in-memory"};
  auto serve = [&](const std::string& listen, bool fault, std::string& url) {
    std::vector<std::string> argv = {WKIT_BINARY, "serve", "--listen", listen, "--events", events};
    argv.insert(argv.end(), store.begin(), store.end());
    if (fault) argv.insert(argv.end(), {"--fault", "drop:recv"});
    auto p = std::make_unique<Process>(argv);
    auto line = p->wait_stdout([](const std::string& l) { return l.rfind("listening tcp://", 0) == 0; },
                               std::chrono::seconds(20));
    if (!line) throw std::runtime_error("serve did not start: " + p->stderr_text());
    url = line->substr(10);
    return p;
  };
  std::string url;
  auto srv = serve("tcp://127.0.0.1:0", true, url);
  Process send({WKIT_BINARY, "send", "-s", url, "-u", "alice", "--to", "bob", "--count", "50", "--window", "10",
                "--retry-mode", "on-timeout", "--retries", "5", "--ack-timeout", "1s", "--verify", "--receiver",
                "bob", "--verify-wait", "8s", "-o", "json"});
  // Wait until the server has acknowledged all 50.
  for (int i = 0; i < 2000; ++i) {
    std::ifstream in(events);
    std::string line;
    int acks = 0;
    while (std::getline(in, line)) acks += line.find("\"event\":\"sendack\"") != std::string::npos;
    if (acks >= 50) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // let the SENDACKs reach the client
  srv->kill_now();
  std::string again;
  srv = serve(url, false, again);
  auto code = send.wait_exit(std::chrono::seconds(60));
  std::string t;
  for (auto& l : send.stdout_lines()) t += l;
  auto s = json::parse(t, nullptr, false);
  if (!s.is_object()) throw std::runtime_error("no JSON summary: " + t + send.stderr_text());
  s["__exit"] = code.value_or(-1);
  return s;
}

TEST(SendVerifyE2E, CrashBetweenAckAndDeliveryDurableStoreDeliversAll) {
  auto s = run_crash_between_ack_and_delivery(true);
  EXPECT_EQ(s["__exit"], 0) << s.dump();
  EXPECT_EQ(s["acknowledged"], 50);
  EXPECT_EQ(s["verify"]["lost"], 0);
  EXPECT_EQ(s["verify"]["delivered"], 50);
}

TEST(SendVerifyE2E, CrashBetweenAckAndDeliveryInMemoryStoreLosesAcknowledgedMessages) {
  auto s = run_crash_between_ack_and_delivery(false);
  EXPECT_EQ(s["__exit"], 1) << s.dump();
  EXPECT_GT(s["verify"]["lost"].get<int>(), 0) << s.dump();
  EXPECT_EQ(s["verify"]["unexpected"], 0);
  EXPECT_EQ(s["verdict"], "lost");
  EXPECT_NE(s["findings"].get<std::string>().find("lost"), std::string::npos) << s.dump();
}

}  // namespace
