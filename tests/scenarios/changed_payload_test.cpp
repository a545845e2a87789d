// A client reuses a client_msg_no for different content (a bug, or a
// regenerated message). An idempotent server refuses the second SEND
// (SENDACK reason 15, `dedup_conflict`): that message is `failed`, the store
// keeps only the first, and nothing is duplicated.
#include "scenario_support.hpp"

namespace wkit::scenarios {
namespace {

class ChangedPayload : public Scenario {};

TEST_F(ChangedPayload, ResendWithChangedPayload) {
  const auto& want = expected("ResendWithChangedPayload");
  start_serve({"--dedup", "on"});
  start_proxy();
  // Truth planted: client_msg_no "reused" sent three times with three
  // payloads; one row (the first payload), the two others refused.
  json first;
  EXPECT_EQ(send({"--client-msg-no", "reused", "--text", "first"}, &first), "idempotent / 0") << first.dump();

  json s;
  EXPECT_EQ(send({"--client-msg-no", "reused", "--text", "second"}, &s), want.send) << s.dump();
  EXPECT_EQ(s["acknowledged"], 0) << s.dump();
  EXPECT_EQ(s["verdicts"]["failed"], 1) << s.dump();
  EXPECT_EQ(s["reasons"].value("system_error", 0), 1) << s.dump();  // reason 15, docs/serve.md "Idempotency"
  EXPECT_EQ(serve().events("dedup_conflict").size(), 1u);

  json r;
  EXPECT_EQ(recv({}, &r), want.recv) << r.dump();
  EXPECT_EQ(r["received"], 1) << r.dump();

  json v;
  EXPECT_EQ(send({"--client-msg-no", "reused", "--text", "third", "--verify", "--receiver", "bob", "--verify-wait",
                  "2s"},
                 &v),
            want.send_verify)
      << v.dump();
  EXPECT_EQ(v["verify"]["unexpected"], 0) << v.dump();
  EXPECT_EQ(v["verify"]["lost"], 0) << v.dump();  // refused, so never expected at bob

  stop_proxy();
  stop_serve();
  auto truth = read_store(db());
  EXPECT_EQ(truth.rows, 1u);
  EXPECT_EQ(audit(truth), want.audit);

  // Refused SENDs are not stored messages: the capture counts them apart.
  json c;
  EXPECT_EQ(audit_capture(truth, &c), want.audit_capture) << c.dump();
  EXPECT_EQ(c["inputs"][0]["capture"]["refused_by_reason"], json({{"15", 2}})) << c.dump();

  // The fresh server refuses the reused client_msg_no again: no reason mismatch.
  json p;
  EXPECT_EQ(replay(truth, &p), want.replay) << p.dump();
  EXPECT_EQ(p["reason_mismatches"], 0) << p.dump();
  EXPECT_EQ(p["sendacks"], 3) << p.dump();
}

}  // namespace
}  // namespace wkit::scenarios
