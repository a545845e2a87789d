// A SENDACK lost on the way to the sender, which resends on timeout: the
// incident "my message appeared twice" against WuKongIM 2.x (no idempotency,
// `--dedup off`) and its non-incident against 3.x (`--dedup on`). The sender
// alone cannot tell the two apart (one message_id, one unanswered attempt:
// `unverified`); the receivers, recv and the audit of the store can. So can
// the audit of a proxy capture that holds bob's RECVs: the server dropped the
// SENDACK behind the proxy, so the capture shows two SENDs and one SENDACK,
// and only the RECVs tell whether the first attempt was stored again.
#include "scenario_support.hpp"

namespace wkit::scenarios {
namespace {

// The first SENDACK of every connection is dropped: the sender's first
// attempt of a message goes unanswered and it resends once after 1 s.
const std::vector<std::string> kLostAckSend = {"--retry-mode", "on-timeout", "--retries", "3",
                                              "--ack-timeout", "1s"};

class SendackLost : public Scenario {
 protected:
  // Plants one lost SENDACK per send run; returns the observed cells.
  void run(bool dedup, const ScenarioExpectation& want) {
    start_serve({"--dedup", dedup ? "on" : "off", "--fault", "drop:sendack:nth=1"});
    start_proxy();  // alice and bob both go through it
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

    stop_proxy();
    stop_serve();
    auto truth = read_store(db());
    EXPECT_EQ(truth.ids_of("lost-ack"), ids_per_message);
    EXPECT_EQ(truth.ids_of("lost-ack-verified"), ids_per_message);
    EXPECT_EQ(truth.duplicated_keys(), dedup ? 0u : 2u);
    EXPECT_EQ(audit(truth), want.audit);

    json c;
    EXPECT_EQ(audit_capture(truth, &c), want.audit_capture) << c.dump();
    const json& st = c["inputs"][0]["capture"];
    EXPECT_EQ(st["sends"], 4) << st.dump();     // two messages, each sent twice
    EXPECT_EQ(st["sendacks"], 2) << st.dump();  // the dropped ones never left the server
    EXPECT_EQ(st["unanswered_sends"], 2) << st.dump();
    EXPECT_EQ(st["unanswered_undelivered"], 0) << st.dump();  // bob's RECVs settle them

    json p;
    EXPECT_EQ(replay(truth, &p), want.replay) << p.dump();
    EXPECT_EQ(p["missing_sendacks"], 0) << p.dump();  // the recording had no SENDACK for the first attempts either
    EXPECT_EQ(p["resent_messages"], 2) << p.dump();
  }
};

TEST_F(SendackLost, SendackLostDedupOff) { run(false, expected("SendackLostDedupOff")); }
TEST_F(SendackLost, SendackLostDedupOn) { run(true, expected("SendackLostDedupOn")); }

// Not scenario rows: checks of single bugs the capture columns exposed.
class CaptureRegressionCheck : public Scenario {
 protected:
  // A capture of the sender alone, against `--dedup off` with the first
  // SENDACK dropped by the server: two rows in the store, one SENDACK on
  // the wire. Returns the store's truth.
  StoreTruth record_sender_alone() {
    start_serve({"--dedup", "off", "--fault", "drop:sendack:nth=1"});
    start_proxy();
    json s;
    EXPECT_EQ(send(with({"--client-msg-no", "lost-ack", "--text", "first"}, kLostAckSend), &s), "unverified / 1")
        << s.dump();
    stop_proxy();
    stop_serve();
    auto truth = read_store(db());
    EXPECT_EQ(truth.ids_of("lost-ack"), 2u);
    return truth;
  }
};

// The capture cannot know whether the unanswered first attempt was stored:
// no RECV of it was captured. The audit said `clean / 0` over a store holding
// a duplicate; it must say it cannot tell.
TEST_F(CaptureRegressionCheck, CaptureOfTheSenderAloneIsNotCleanOverALostSendack) {
  auto truth = record_sender_alone();
  auto d = testing::run_wkit({"audit", "--no-progress", "-o", "json", capture()}, std::chrono::seconds(60));
  auto r = stdout_json(d);
  ASSERT_TRUE(r.is_object()) << d.out << d.err;
  EXPECT_EQ(r["summary"]["duplicate_client_msg_no"], 0) << d.out;  // only the resend's message_id is on the wire
  EXPECT_EQ(r["inputs"][0]["capture"]["unanswered_undelivered"], 1) << d.out;
  EXPECT_EQ(cell(r.value("status", std::string()), d.code), "unverified / 1") << d.out;
  EXPECT_EQ(audit(truth), "findings / 1");
}

// The replay of that capture gets one SENDACK for the two attempts; the fresh
// `--dedup off` server stored the resend again (two message_ids, as in the
// original store). With an attempt left unanswered the replay cannot know: it
// counted the message under `resent_same_message_id` ("an idempotent
// server"); it must count it as unverified.
TEST_F(CaptureRegressionCheck, ReplayDoesNotCallAResendWithALostSendackTheSameMessageId) {
  auto truth = record_sender_alone();
  json p;
  EXPECT_EQ(replay(truth, &p), "same / 0") << p.dump();  // the fresh server answered as recorded
  EXPECT_EQ(p["resent_messages"], 1) << p.dump();
  EXPECT_EQ(p["resent_same_message_id"], 0) << p.dump();
  EXPECT_EQ(p["resent_unverified"], 1) << p.dump();
}

}  // namespace
}  // namespace wkit::scenarios
