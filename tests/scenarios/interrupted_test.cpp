// Every SENDACK is lost and the operator interrupts the run (SIGINT) while
// messages wait for them. The server stored them all; the sender cannot know
// that, so its summary says `unverified` (never idempotent), marked
// interrupted. Receivers that got each message once settle it: with
// --verify the same loss is `idempotent`.
#include <signal.h>

#include <thread>

#include "scenario_support.hpp"

namespace wkit::scenarios {
namespace {

class Interrupted : public Scenario {};

TEST_F(Interrupted, InterruptedSendacksLost) {
  const auto& want = expected("InterruptedSendacksLost");
  start_serve({"--fault", "drop:sendack"});
  // Truth planted: 5 messages stored with no SENDACK reaching the sender,
  // which is interrupted while waiting for them; then 3 more the same way
  // with bob receiving. 8 rows, one message_id each, no duplicate.
  testing::Process sender({WKIT_BINARY, "send", "-s", serve().tcp(), "-u", "alice", "--to", "bob", "--count", "5",
                           "--window", "5", "--retry-mode", "on-timeout", "--retries", "3", "--ack-timeout", "30s",
                           "-o", "json"});
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (serve().events("stored").size() < 5 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ASSERT_EQ(serve().events("stored").size(), 5u) << sender.stderr_text();
  auto code = sender.signal_and_wait(SIGINT, std::chrono::seconds(15));
  ASSERT_TRUE(code.has_value()) << "wkit send did not end after SIGINT: " << sender.stderr_text();
  testing::Done d{*code, "", sender.stderr_text()};
  for (auto& l : sender.stdout_lines()) d.out += l + "\n";
  json s;
  EXPECT_EQ(summarize_send(d, &s), want.send) << d.err;
  EXPECT_EQ(s["interrupted"], true) << s.dump();
  EXPECT_EQ(s["verdicts"]["unverified"], 5) << s.dump();

  json r;
  EXPECT_EQ(recv({}, &r), want.recv) << r.dump();
  EXPECT_EQ(r["received"], 5) << r.dump();  // the store had them all

  json v;
  EXPECT_EQ(send({"--count", "3", "--window", "3", "--retry-mode", "on-timeout", "--retries", "1", "--ack-timeout",
                  "1s", "--verify", "--receiver", "bob", "--verify-wait", "5s"},
                 &v),
            want.send_verify)
      << v.dump();
  EXPECT_EQ(v["acknowledged"], 0) << v.dump();
  EXPECT_EQ(v["verify"]["delivered_unacknowledged"], 3) << v.dump();
  EXPECT_EQ(v["verify"]["duplicated"]["distinct_message_ids"], 0) << v.dump();
  EXPECT_EQ(v["verify"]["unexpected"], 0) << v.dump();

  stop_serve();
  auto truth = read_store(db());
  EXPECT_EQ(truth.rows, 8u);
  EXPECT_EQ(audit(truth), want.audit);
}

}  // namespace
}  // namespace wkit::scenarios
