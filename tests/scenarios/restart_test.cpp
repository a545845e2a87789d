// The server is killed (SIGKILL) mid-run and restarted on the same port and
// --data: a durable, de-duplicating store. Resends of the messages in flight
// get their original message_ids back, so the receivers see each message
// once (send --verify: idempotent) and the store holds no duplicate.
// (Plain `wkit send` is not in this row: whether an attempt was in flight at
// the kill, and so `unverified`, depends on timing.)
#include <fstream>
#include <thread>

#include "scenario_support.hpp"

namespace wkit::scenarios {
namespace {

std::unique_ptr<testing::Process> start_serve_on(const std::string& listen, const std::string& data,
                                                 const std::string& events, std::string& url) {
  auto p = std::make_unique<testing::Process>(
      std::vector<std::string>{WKIT_BINARY, "serve", "--listen", listen, "--data", data, "--events", events});
  auto line = p->wait_stdout([](const std::string& l) { return l.rfind("listening tcp://", 0) == 0; },
                             std::chrono::seconds(20));
  if (!line) throw std::runtime_error("wkit serve did not start: " + p->stderr_text());
  url = line->substr(10);
  return p;
}

class Restart : public Scenario {};

TEST_F(Restart, ServerRestartedMidSend) {
  const auto& want = expected("ServerRestartedMidSend");
  testing::TempDir dir;
  const std::string data = (dir.path / "data").string();
  const std::string events = (dir.path / "events.jsonl").string();
  std::string url;
  auto srv = start_serve_on("tcp://127.0.0.1:0", data, events, url);
  // Truth planted: 600 messages, none sent twice by intent; the server dies
  // once while some are in flight and comes back with everything it committed.
  testing::Process sender({WKIT_BINARY, "send", "-s", url, "-u", "alice", "--to", "bob", "--count", "600", "--rate",
                           "300/s", "--window", "16", "--retry-mode", "on-timeout", "--retries", "20", "--ack-timeout",
                           "500ms", "--verify", "--receiver", "bob", "--verify-wait", "15s", "-o", "json"});
  // Killed once it has acknowledged some messages (not at a fixed time: a
  // slow machine may not have connected yet).
  auto sendacks = [&] {
    std::ifstream in(events);
    size_t n = 0;
    for (std::string l; std::getline(in, l);) n += l.find("\"event\":\"sendack\"") != std::string::npos;
    return n;
  };
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (sendacks() < 50 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ASSERT_GE(sendacks(), 50u) << sender.stderr_text();
  srv->kill_now();
  std::string again;
  srv = start_serve_on(url, data, events, again);
  ASSERT_EQ(again, url);

  auto code = sender.wait_exit(std::chrono::seconds(90));
  ASSERT_TRUE(code.has_value()) << sender.stderr_text();
  testing::Done d{*code, "", sender.stderr_text()};
  for (auto& l : sender.stdout_lines()) d.out += l + "\n";
  json v;
  EXPECT_EQ(summarize_send(d, &v), want.send_verify) << d.err;
  EXPECT_GE(v["reconnects"].get<int>(), 1) << v.dump();  // the run really lost its server
  EXPECT_EQ(v["verify"]["lost"], 0) << v.dump();
  EXPECT_EQ(v["verify"]["duplicated"]["distinct_message_ids"], 0) << v.dump();

  EXPECT_EQ(srv->signal_and_wait(SIGTERM), std::optional<int>(0));
  auto truth = read_store(data + "/wkit.db");
  EXPECT_EQ(truth.rows, 600u);
  EXPECT_EQ(truth.duplicated_keys(), 0u);
  EXPECT_EQ(audit(truth, data + "/wkit.db"), want.audit);
}

}  // namespace
}  // namespace wkit::scenarios
