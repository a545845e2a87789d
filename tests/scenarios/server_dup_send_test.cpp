// The server handles one SEND twice (a duplicated frame on the wire, a
// retry inside a proxy): no client retry at all, yet two SENDACKs. Without
// idempotency (`--dedup off`) that is two messages, and the sender sees both
// message_ids; with it, the second answer repeats the first message_id.
#include "scenario_support.hpp"

namespace wkit::scenarios {
namespace {

class ServerDupSend : public Scenario {
 protected:
  void run(bool dedup, const ScenarioExpectation& want) {
    // The first SEND of every connection is handled twice.
    start_serve({"--dedup", dedup ? "on" : "off", "--fault", "dup:send:nth=1"});
    start_proxy();
    // Truth planted: "dup-send" and "dup-send-verified", each written once by
    // the sender and handled twice by the server. dedup off: two rows each;
    // dedup on: one row each.
    const size_t ids_per_message = dedup ? 1 : 2;

    json s;
    EXPECT_EQ(send({"--client-msg-no", "dup-send", "--text", "first"}, &s), want.send) << s.dump();
    EXPECT_EQ(s["sends"], 1) << s.dump();
    EXPECT_EQ(s["sendacks"], 2) << s.dump();

    json r;
    EXPECT_EQ(recv({}, &r), want.recv) << r.dump();
    EXPECT_EQ(r["received"], ids_per_message) << r.dump();
    EXPECT_EQ(r["duplicates"]["server_created"], ids_per_message - 1) << r.dump();

    json v;
    EXPECT_EQ(send({"--client-msg-no", "dup-send-verified", "--text", "second", "--verify", "--receiver", "bob",
                    "--verify-wait", "5s"},
                   &v),
              want.send_verify)
        << v.dump();
    EXPECT_EQ(v["verify"]["duplicated"]["distinct_message_ids"], ids_per_message - 1) << v.dump();
    EXPECT_EQ(v["verify"]["lost"], 0) << v.dump();
    EXPECT_EQ(v["verify"]["unexpected"], 0) << v.dump();

    stop_proxy();
    stop_serve();
    auto truth = read_store(db());
    EXPECT_EQ(truth.ids_of("dup-send"), ids_per_message);
    EXPECT_EQ(truth.ids_of("dup-send-verified"), ids_per_message);
    EXPECT_EQ(audit(truth), want.audit);

    // The capture shows one SEND and two SENDACKs per message: both answer
    // that SEND (the audit said "SENDACK without its SEND" and, with dedup
    // on, `unverified` over a clean store).
    json c;
    EXPECT_EQ(audit_capture(truth, &c), want.audit_capture) << c.dump();
    EXPECT_EQ(c["inputs"][0]["capture"]["sends"], 2) << c.dump();
    EXPECT_EQ(c["inputs"][0]["capture"]["sendacks"], 4) << c.dump();
    EXPECT_EQ(c["inputs"][0]["capture"]["unmatched_sendacks"], 0) << c.dump();

    json p;
    EXPECT_EQ(replay(truth, &p), want.replay) << p.dump();
    EXPECT_EQ(p["sends"], 2) << p.dump();
    EXPECT_EQ(p["sendacks"], 4) << p.dump();  // the fresh server handled each SEND twice too
  }
};

TEST_F(ServerDupSend, ServerHandlesSendTwiceDedupOff) { run(false, expected("ServerHandlesSendTwiceDedupOff")); }
TEST_F(ServerDupSend, ServerHandlesSendTwiceDedupOn) { run(true, expected("ServerHandlesSendTwiceDedupOn")); }

}  // namespace
}  // namespace wkit::scenarios
