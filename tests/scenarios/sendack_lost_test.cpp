// A SENDACK lost on the way to the sender, which resends on timeout: the
// incident "my message appeared twice" against WuKongIM 2.x (no idempotency,
// `--dedup off`) and its non-incident against 3.x (`--dedup on`). The sender
// alone cannot tell the two apart (one message_id, one unanswered attempt:
// `unverified`); the receivers, recv and the audit of the store can.
#include "scenario_support.hpp"

namespace wkit::scenarios {
namespace {

// The first SENDACK of every connection is dropped: the sender's first
// attempt of a message goes unanswered and it resends once after 1 s.
const std::vector<std::string> kLostAckSend = {"--retry-mode", "on-timeout", "--retries", "3",
                                              "--ack-timeout", "1s"};

std::vector<std::string> with(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

class SendackLost : public Scenario {
 protected:
  // Plants one lost SENDACK per send run; returns the observed cells.
  void run(bool dedup, const ScenarioExpectation& want) {
    start_serve({"--dedup", dedup ? "on" : "off", "--fault", "drop:sendack:nth=1"});
    // Truth planted: client_msg_no "lost-ack" is sent twice (the original, whose
    // SENDACK is dropped, and one resend). dedup off: two rows, two message_ids;
    // dedup on: one row, the resend answered with the original message_id.
    const size_t ids_per_message = dedup ? 1 : 2;

    json s;
    EXPECT_EQ(send(with({"--client-msg-no", "lost-ack", "--text", "first"}, kLostAckSend), &s), want.send) << s.dump();
    EXPECT_EQ(s["sends"], 2) << s.dump();     // the original and the resend
    EXPECT_EQ(s["sendacks"], 1) << s.dump();  // the first was dropped
    EXPECT_EQ(s["verdicts"]["unverified"], 1) << s.dump();

    // bob was offline: the server delivers what it stored for him on connect.
    json r;
    EXPECT_EQ(recv({}, &r), want.recv) << r.dump();
    EXPECT_EQ(r["received"], ids_per_message) << r.dump();
    EXPECT_EQ(r["duplicates"]["server_created"], ids_per_message - 1) << r.dump();

    // The same incident with a receiver connected: its view decides.
    json v;
    EXPECT_EQ(send(with({"--client-msg-no", "lost-ack-verified", "--text", "second", "--verify", "--receiver", "bob", "--verify-wait", "5s"},
                       kLostAckSend),
                   &v),
              want.send_verify)
        << v.dump();
    EXPECT_EQ(v["verify"]["duplicated"]["distinct_message_ids"], ids_per_message - 1) << v.dump();
    EXPECT_EQ(v["verify"]["lost"], 0) << v.dump();
    EXPECT_EQ(v["verify"]["unexpected"], 0) << v.dump();
    EXPECT_EQ(v["verify"]["preexisting"], 0) << v.dump();  // recv acknowledged the first message

    stop_serve();
    auto truth = read_store(db());
    EXPECT_EQ(truth.ids_of("lost-ack"), ids_per_message);
    EXPECT_EQ(truth.ids_of("lost-ack-verified"), ids_per_message);
    EXPECT_EQ(truth.duplicated_keys(), dedup ? 0u : 2u);
    EXPECT_EQ(audit(truth), want.audit);
  }
};

TEST_F(SendackLost, SendackLostDedupOff) { run(false, expected("SendackLostDedupOff")); }
TEST_F(SendackLost, SendackLostDedupOn) { run(true, expected("SendackLostDedupOn")); }

}  // namespace
}  // namespace wkit::scenarios
