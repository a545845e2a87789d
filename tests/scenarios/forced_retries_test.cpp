// The probe "does the server de-duplicate?": one message sent three times on
// purpose (forced retries, same client_msg_no, DUP bit set), every attempt
// answered. 3.x (`--dedup on`) keeps one message_id; 2.x (`--dedup off`)
// stores every resend as a new message.
#include "scenario_support.hpp"

namespace wkit::scenarios {
namespace {

class ForcedRetries : public Scenario {
 protected:
  void run(bool dedup, const ScenarioExpectation& want) {
    start_serve({"--dedup", dedup ? "on" : "off"});
    start_proxy();
    // Truth planted: "forced", "forced-verified" and "forced-jsonl" are each sent 3 times.
    // dedup on: one row each; dedup off: three rows (message_ids) each.
    const size_t ids_per_message = dedup ? 1 : 3;
    const std::vector<std::string> retries = {"--retries", "2", "--retry-interval", "200ms"};
    auto args = [&](std::vector<std::string> a) {
      a.insert(a.end(), retries.begin(), retries.end());
      return a;
    };

    json s;
    EXPECT_EQ(send(args({"--client-msg-no", "forced", "--text", "first"}), &s), want.send) << s.dump();
    EXPECT_EQ(s["sends"], 3) << s.dump();
    EXPECT_EQ(s["sendacks"], 3) << s.dump();  // every attempt answered: the sender alone can tell

    json r;
    EXPECT_EQ(recv({}, &r), want.recv) << r.dump();
    EXPECT_EQ(r["received"], ids_per_message) << r.dump();
    EXPECT_EQ(r["duplicates"]["server_created"], ids_per_message - 1) << r.dump();

    json v;
    EXPECT_EQ(send(args({"--client-msg-no", "forced-verified", "--text", "second", "--verify", "--receiver", "bob", "--verify-wait", "5s"}),
                   &v),
              want.send_verify)
        << v.dump();
    EXPECT_EQ(v["verify"]["duplicated"]["distinct_message_ids"], ids_per_message - 1) << v.dump();
    EXPECT_EQ(v["verify"]["lost"], 0) << v.dump();
    EXPECT_EQ(v["verify"]["unexpected"], 0) << v.dump();

    // -o jsonl: the per-message line carries the same verdict and every message_id.
    auto d = testing::run_wkit(args({"send", "-s", client_url(), "-u", "alice", "--to", "bob", "-o", "jsonl",
                                     "--client-msg-no", "forced-jsonl", "--text", "third"}),
                               std::chrono::seconds(60));
    auto lines = testing::jsonl(d.out);
    ASSERT_EQ(lines.size(), 2u) << d.out << d.err;
    EXPECT_EQ(lines[0]["type"], "send") << d.out;
    EXPECT_EQ(cell(lines[0].value("verdict", std::string()), d.code), want.send) << d.out;
    EXPECT_EQ(lines[0]["message_idstrs"].size(), ids_per_message) << d.out;
    EXPECT_EQ(lines[0]["message_ids"].size(), ids_per_message) << d.out;
    EXPECT_EQ(lines[1]["type"], "summary") << d.out;
    EXPECT_EQ(lines[1]["verdict"], lines[0]["verdict"]) << d.out;

    stop_proxy();
    stop_serve();
    auto truth = read_store(db());
    EXPECT_EQ(truth.ids_of("forced-jsonl"), ids_per_message);
    EXPECT_EQ(truth.ids_of("forced"), ids_per_message);
    EXPECT_EQ(truth.ids_of("forced-verified"), ids_per_message);
    EXPECT_EQ(audit(truth), want.audit);

    // Every attempt was answered on the wire: the capture alone can tell.
    json c;
    EXPECT_EQ(audit_capture(truth, &c), want.audit_capture) << c.dump();
    EXPECT_EQ(c["inputs"][0]["capture"]["sends"], 9) << c.dump();
    EXPECT_EQ(c["inputs"][0]["capture"]["sendacks"], 9) << c.dump();
    EXPECT_EQ(c["inputs"][0]["capture"]["unanswered_sends"], 0) << c.dump();

    // The recording had 1 (on) or 3 (off) message_ids per message; so has the replay.
    json p;
    EXPECT_EQ(replay(truth, &p), want.replay) << p.dump();
    EXPECT_EQ(p["resent_messages"], 3) << p.dump();
    EXPECT_EQ(p[dedup ? "resent_same_message_id" : "resent_new_message_id"], 3) << p.dump();
    EXPECT_EQ(p["recorded_resent_new_message_id"], dedup ? 0 : 3) << p.dump();
  }
};

TEST_F(ForcedRetries, ForcedRetriesDedupOn) { run(true, expected("ForcedRetriesDedupOn")); }
TEST_F(ForcedRetries, ForcedRetriesDedupOff) { run(false, expected("ForcedRetriesDedupOff")); }

}  // namespace
}  // namespace wkit::scenarios
