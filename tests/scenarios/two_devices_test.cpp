// One uid on two devices (app and web) receiving at once: each device gets
// every message once, under the one message_id the store holds.
#include "scenario_support.hpp"

namespace wkit::scenarios {
namespace {

class TwoDevices : public Scenario {};

TEST_F(TwoDevices, TwoDevicesOfOneUid) {
  const auto& want = expected("TwoDevicesOfOneUid");
  start_serve({});
  // Truth planted: 3 messages to bob, one row each; bob online on two devices.
  auto start_recv = [&](const std::string& device) {
    auto p = std::make_unique<testing::Process>(std::vector<std::string>{
        WKIT_BINARY, "recv", "-s", serve().tcp(), "-u", "bob", "--device-flag", device, "--count", "3", "--timeout",
        "15s", "-o", "json"});
    EXPECT_TRUE(p->wait_stderr([](const std::string& l) { return l.find("receiving as") != std::string::npos; },
                               std::chrono::seconds(15)))
        << p->stderr_text();
    return p;
  };
  auto app = start_recv("app");
  auto web = start_recv("web");

  json s;
  EXPECT_EQ(send({"--count", "3"}, &s), want.send) << s.dump();

  std::vector<std::string> cells;
  for (auto* p : {app.get(), web.get()}) {
    auto code = p->wait_exit(std::chrono::seconds(30));
    ASSERT_TRUE(code.has_value());
    testing::Done d{*code, "", p->stderr_text()};
    for (auto& l : p->stdout_lines()) d.out += l + "\n";
    auto r = stdout_json(d);
    ASSERT_TRUE(r.is_object()) << d.out << d.err;
    EXPECT_EQ(r["unique"], 3) << r.dump();
    EXPECT_EQ(r["duplicates"]["server_created"], 0) << r.dump();
    EXPECT_EQ(r["exit_code"], *code) << r.dump();
    cells.push_back(cell(recv_verdict(r), *code));
  }
  EXPECT_EQ(cells[0], want.recv) << "device app";
  EXPECT_EQ(cells[1], want.recv) << "device web";

  stop_serve();
  auto truth = read_store(db());
  EXPECT_EQ(truth.rows, 3u);
  EXPECT_EQ(audit(truth), want.audit);
}

}  // namespace
}  // namespace wkit::scenarios
