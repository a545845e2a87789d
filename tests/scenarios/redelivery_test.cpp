// RECVACKs lost: the server resends an unacknowledged RECV, byte-identical,
// same message_id. That is a repeat delivery, not a duplicate the server
// created: recv reports it and exits 0 (1 only with --fail-on-duplicate),
// the store holds one row per message.
#include "scenario_support.hpp"

namespace wkit::scenarios {
namespace {

class Redelivery : public Scenario {};

TEST_F(Redelivery, RecvackLostRedelivery) {
  const auto& want = expected("RecvackLostRedelivery");
  // Every RECVACK is ignored, so each connection of bob gets every pending
  // message again every 300 ms (at most 3 times).
  start_serve({"--fault", "drop:recvack", "--redeliver-interval", "300ms", "--redeliver-max", "3"});
  start_proxy();
  // Truth planted: two messages ("redelivered", "redelivered-verified"), one
  // row and one message_id each, both delivered more than once.

  json s;
  EXPECT_EQ(send({"--client-msg-no", "redelivered", "--text", "first"}, &s), want.send) << s.dump();

  json r1, r2;
  const std::string plain = recv({}, &r1);
  EXPECT_GE(r1["duplicates"]["by_message_id"].get<int>(), 1) << r1.dump();
  EXPECT_EQ(r1["unique"], 1) << r1.dump();
  const std::string strict = recv({"--fail-on-duplicate"}, &r2);
  EXPECT_EQ(strict.substr(0, strict.find(" /")), "redelivered") << r2.dump();
  EXPECT_EQ(plain + ", " + strict.substr(strict.find("/ ") + 2) + " with --fail-on-duplicate", want.recv)
      << r1.dump() << "\n" << r2.dump();

  // The receiver first takes what is pending (the first message, redelivered
  // again): preexisting, never unexpected; the new message has one message_id.
  json v;
  EXPECT_EQ(send({"--client-msg-no", "redelivered-verified", "--text", "second", "--verify", "--receiver", "bob",
                  "--verify-wait", "5s"},
                 &v),
            want.send_verify)
      << v.dump();
  EXPECT_EQ(v["verify"]["preexisting"], 1) << v.dump();
  EXPECT_EQ(v["verify"]["unexpected"], 0) << v.dump();
  EXPECT_EQ(v["verify"]["lost"], 0) << v.dump();
  EXPECT_EQ(v["verify"]["duplicated"]["distinct_message_ids"], 0) << v.dump();

  stop_proxy();
  stop_serve();
  auto truth = read_store(db());
  EXPECT_EQ(truth.rows, 2u);
  EXPECT_EQ(truth.ids_of("redelivered"), 1u);
  EXPECT_EQ(audit(truth), want.audit);

  // Redeliveries are repeated observations of one message, not rows.
  json c;
  EXPECT_EQ(audit_capture(truth, &c), want.audit_capture) << c.dump();
  EXPECT_GT(c["inputs"][0]["capture"]["recvs"].get<int>(), 2) << c.dump();
  EXPECT_EQ(c["summary"]["duplicate_row"], 0) << c.dump();

  json p;
  EXPECT_EQ(replay(truth, &p), want.replay) << p.dump();
}

// Not a scenario row: a regression check for a bug the scenario above
// exposed (recv counted each redelivery twice, once as a repeated
// client_msg_no and once as a repeated message_id).
class RegressionCheck : public Scenario {};

TEST_F(RegressionCheck, RecvCountsEachRedeliveryOnce) {
  start_serve({"--fault", "drop:recvack", "--redeliver-interval", "300ms", "--redeliver-max", "3"});
  json s;
  EXPECT_EQ(send({"--client-msg-no", "redelivered", "--text", "first"}, &s), "idempotent / 0") << s.dump();
  json r;
  EXPECT_EQ(recv({"--fail-on-duplicate"}, &r), "redelivered / 1") << r.dump();
  const int repeats = r["received"].get<int>() - r["unique"].get<int>();  // deliveries beyond the first
  ASSERT_GE(repeats, 1) << r.dump();
  EXPECT_EQ(r["findings"], std::to_string(repeats) + " repeated deliveries") << r.dump();
}

}  // namespace
}  // namespace wkit::scenarios
