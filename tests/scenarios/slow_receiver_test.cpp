// A receiver that stops reading (a frozen app: `wkit recv` under SIGSTOP)
// while messages pour in: the server cuts it as a slow consumer once more
// than `--max-outbound` is queued for it, keeps serving, and keeps the
// messages stored for bob. The frozen client is then killed; bob's next
// connection gets every message exactly once. Nothing is lost or stored twice.
#include <signal.h>

#include "scenario_support.hpp"

namespace wkit::scenarios {
namespace {

class SlowReceiver : public Scenario {};

TEST_F(SlowReceiver, SlowReceiverCutAndCaughtUp) {
  const auto& want = expected("SlowReceiverCutAndCaughtUp");
  start_serve({"--max-outbound", "64KiB", "--write-timeout", "2s"});
  // Truth planted: 400 messages of 16 KiB to bob (6.5 MB: more than the
  // kernel's socket buffers absorb, so far over 64 KiB queued in the server),
  // one row each; bob's first connection never reads them.
  testing::Process frozen({WKIT_BINARY, "recv", "-s", serve().tcp(), "-u", "bob", "--timeout", "60s", "-o", "json"});
  ASSERT_TRUE(frozen.wait_stderr([](const std::string& l) { return l.find("receiving as") != std::string::npos; },
                                 std::chrono::seconds(15)))
      << frozen.stderr_text();
  ::kill(frozen.pid(), SIGSTOP);

  json s;
  EXPECT_EQ(send({"--count", "400", "--payload-size", "16384", "--window", "32"}, &s), want.send) << s.dump();
  EXPECT_EQ(s["sendacks"], 400) << s.dump();

  // The server says it cut bob's connection, and why.
  EXPECT_TRUE(serve().process().wait_stderr(
      [](const std::string& l) { return l.find("closed as a slow consumer") != std::string::npos; },
      std::chrono::seconds(15)))
      << serve().process().stderr_text();
  frozen.kill_now();  // SIGKILL ends a stopped process too

  // bob comes back: everything stored for him arrives, each message once.
  json r;
  EXPECT_EQ(recv({"--count", "400"}, &r, "20s"), want.recv) << r.dump();
  EXPECT_EQ(r["received"], 400) << r.dump();
  EXPECT_EQ(r["unique"], 400) << r.dump();

  stop_serve();
  auto truth = read_store(db());
  EXPECT_EQ(truth.rows, 400u);
  EXPECT_EQ(truth.duplicated_keys(), 0u);
  EXPECT_EQ(audit(truth), want.audit);
}

}  // namespace
}  // namespace wkit::scenarios
