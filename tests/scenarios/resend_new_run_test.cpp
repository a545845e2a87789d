// An app resends its outbox after a restart: the same client_msg_no and
// payload, sent again by a new process (new connection, new session), one
// attempt each. A sender's verdict covers what its own run saw, so the
// resend alone looks `idempotent` even where the store now holds two
// message_ids (`--dedup off`); the receivers (with the first copy still
// pending), recv and the audit see the whole store and disagree with it.
#include "scenario_support.hpp"

namespace wkit::scenarios {
namespace {

class ResendNewRun : public Scenario {
 protected:
  void run(bool dedup, const ScenarioExpectation& want) {
    start_serve({"--dedup", dedup ? "on" : "off"});
    // Truth planted: "outbox-1" and "outbox-2" each sent by two runs, one
    // attempt per run. dedup off: two message_ids each; dedup on: one.
    const size_t ids_per_message = dedup ? 1 : 2;
    const std::vector<std::string> first = {"--client-msg-no", "outbox-1", "--text", "first"};
    const std::vector<std::string> second = {"--client-msg-no", "outbox-2", "--text", "second"};

    EXPECT_EQ(send(first), "idempotent / 0");
    json s;
    EXPECT_EQ(send(first, &s), want.send) << s.dump();  // the run after the "restart"

    json r;
    EXPECT_EQ(recv({}, &r), want.recv) << r.dump();
    EXPECT_EQ(r["received"], ids_per_message) << r.dump();
    EXPECT_EQ(r["duplicates"]["server_created"], ids_per_message - 1) << r.dump();

    EXPECT_EQ(send(second), "idempotent / 0");  // bob offline: pending
    auto verified = second;
    verified.insert(verified.end(), {"--verify", "--receiver", "bob", "--verify-wait", "5s"});
    json v;
    EXPECT_EQ(send(verified, &v), want.send_verify) << v.dump();
    EXPECT_EQ(v["verify"]["duplicated"]["distinct_message_ids"], ids_per_message - 1) << v.dump();
    EXPECT_EQ(v["verify"]["lost"], 0) << v.dump();
    EXPECT_EQ(v["verify"]["unexpected"], 0) << v.dump();

    stop_serve();
    auto truth = read_store(db());
    EXPECT_EQ(truth.ids_of("outbox-1"), ids_per_message);
    EXPECT_EQ(truth.ids_of("outbox-2"), ids_per_message);
    EXPECT_EQ(audit(truth), want.audit);
  }
};

TEST_F(ResendNewRun, ResendInNewRunDedupOff) { run(false, expected("ResendInNewRunDedupOff")); }
TEST_F(ResendNewRun, ResendInNewRunDedupOn) { run(true, expected("ResendInNewRunDedupOn")); }

}  // namespace
}  // namespace wkit::scenarios
