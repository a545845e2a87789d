// The connection drops where a SENDACK should have come (`reset:sendack:nth=2`
// closes it instead of sending the second SENDACK of each connection): the
// sender reconnects and resends the unanswered message on the new
// connection, with the same client_msg_no. Against 2.x (`--dedup off`) the
// resend is stored again; against 3.x (`--dedup on`) it gets the original
// message_id. The sender alone cannot tell (one answer for two attempts:
// `unverified`); receivers, recv and the audit can.
#include "scenario_support.hpp"

namespace wkit::scenarios {
namespace {

const std::vector<std::string> kTwoMessagesOneAtATime = {"--count",      "2",    "--window", "1", "--retry-mode",
                                                         "on-timeout",   "--retries", "3",   "--ack-timeout", "1s"};

class ReconnectBeforeRetry : public Scenario {
 protected:
  void run(bool dedup, const ScenarioExpectation& want) {
    start_serve({"--dedup", dedup ? "on" : "off", "--fault", "reset:sendack:nth=2"});
    // Truth planted per send run: message 1 answered; message 2 stored, its
    // SENDACK replaced by a reset, resent on a new connection: 2 rows with
    // dedup on, 3 with dedup off (message 2 under two message_ids).
    json s;
    EXPECT_EQ(send(kTwoMessagesOneAtATime, &s), want.send) << s.dump();
    EXPECT_EQ(s["verdicts"]["unverified"], 1) << s.dump();  // message 2
    EXPECT_EQ(s["verdicts"]["idempotent"], 1) << s.dump();  // message 1
    EXPECT_GE(s["reconnects"].get<int>(), 1) << s.dump();

    // bob was offline: he gets what the store holds for him.
    json r;
    EXPECT_EQ(recv({}, &r), want.recv) << r.dump();
    EXPECT_EQ(r["received"], dedup ? 2 : 3) << r.dump();
    EXPECT_EQ(r["duplicates"]["server_created"], dedup ? 0 : 1) << r.dump();

    // The same with a receiver connected: its view decides.
    json v;
    EXPECT_EQ(send(with(kTwoMessagesOneAtATime, {"--verify", "--receiver", "bob", "--verify-wait", "5s"}), &v),
              want.send_verify)
        << v.dump();
    EXPECT_EQ(v["verify"]["duplicated"]["distinct_message_ids"], dedup ? 0 : 1) << v.dump();
    EXPECT_EQ(v["verify"]["lost"], 0) << v.dump();

    stop_serve();
    auto truth = read_store(db());
    EXPECT_EQ(truth.rows, dedup ? 4u : 6u);
    EXPECT_EQ(truth.duplicated_keys(), dedup ? 0u : 2u);
    EXPECT_EQ(audit(truth), want.audit);
  }
};

TEST_F(ReconnectBeforeRetry, ReconnectBeforeRetryDedupOff) { run(false, expected("ReconnectBeforeRetryDedupOff")); }
TEST_F(ReconnectBeforeRetry, ReconnectBeforeRetryDedupOn) { run(true, expected("ReconnectBeforeRetryDedupOn")); }

}  // namespace
}  // namespace wkit::scenarios
