// The server dies (SIGKILL) in the middle of a load run and does not come
// back. The run must end by itself once --reconnect-budget is spent, exit 3,
// and still print its JSON summary with verdict "error"; a receiver's
// `wkit recv` ends with exit 3 and its summary; what the server committed
// before it died is intact.
#include <thread>

#include "scenario_support.hpp"

namespace wkit::scenarios {
namespace {

class ServerGone : public Scenario {};

TEST_F(ServerGone, ServerKilledNotRestarted) {
  const auto& want = expected("ServerKilledNotRestarted");
  start_serve({});
  // Truth planted: a 30 s run at 200/s; the server is killed once it has
  // acknowledged some messages, so the run cannot reach its --duration.
  // bob receives during the run: his connection is lost with the server.
  testing::Process receiver({WKIT_BINARY, "recv", "-s", serve().tcp(), "-u", "bob", "--timeout", "60s", "-o", "json"});
  ASSERT_TRUE(receiver.wait_stderr([](const std::string& l) { return l.find("receiving as") != std::string::npos; },
                                   std::chrono::seconds(15)))
      << receiver.stderr_text();
  testing::Process sender({WKIT_BINARY, "send", "-s", serve().tcp(), "-u", "alice", "--to", "bob", "--duration", "30s",
                           "--rate", "200/s", "--reconnect-budget", "2s", "-o", "json"});
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (serve().events("sendack").size() < 20 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ASSERT_GE(serve().events("sendack").size(), 20u) << sender.stderr_text();
  serve().process().kill_now();

  // Budget 2 s plus ack timeouts: "it ended" well before the 30 s duration.
  auto code = sender.wait_exit(std::chrono::seconds(20));
  ASSERT_TRUE(code.has_value()) << "wkit send did not end after its server died: " << sender.stderr_text();
  testing::Done d{*code, "", sender.stderr_text()};
  for (auto& l : sender.stdout_lines()) d.out += l + "\n";
  json s;
  EXPECT_EQ(summarize_send(d, &s), want.send) << d.err;
  EXPECT_FALSE(s.value("error", std::string()).empty()) << s.dump();
  EXPECT_GE(s["acknowledged"].get<int>(), 20) << s.dump();  // what was measured before the loss is kept

  // recv ends too, exit 3 (connection lost), with its summary of what came.
  auto rcode = receiver.wait_exit(std::chrono::seconds(20));
  ASSERT_TRUE(rcode.has_value()) << "wkit recv did not end after its server died: " << receiver.stderr_text();
  std::string rout;
  for (auto& l : receiver.stdout_lines()) rout += l + "\n";
  auto r = json::parse(rout, nullptr, false);
  ASSERT_TRUE(r.is_object()) << rout << receiver.stderr_text();
  EXPECT_EQ(r["exit_code"], *rcode) << rout;
  EXPECT_FALSE(r.value("error", std::string()).empty()) << rout;
  EXPECT_EQ(cell(recv_verdict(r), *rcode), want.recv) << rout;

  auto truth = read_store(db());  // the store after a crash: WAL recovery, no clean shutdown
  EXPECT_GE(truth.rows, s["acknowledged"].get<size_t>()) << "acknowledged messages missing from the store";
  EXPECT_LE(r["unique"].get<size_t>(), truth.rows) << "bob received messages the store does not hold";
  EXPECT_EQ(audit(truth), want.audit);
}

}  // namespace
}  // namespace wkit::scenarios
