// Messages sent while the receiver is offline wait in the store; a later
// `send --verify` run with that receiver sees them first. They are
// `preexisting`, not `unexpected`, and do not fail the run.
#include "scenario_support.hpp"

namespace wkit::scenarios {
namespace {

class OfflineReceiver : public Scenario {};

TEST_F(OfflineReceiver, ReceiverOfflineThenOnline) {
  const auto& want = expected("ReceiverOfflineThenOnline");
  start_serve({});
  // Truth planted: 5 messages to bob while he is offline, then 5 more with
  // bob connected; 10 rows, no duplicates, nothing pending at the end.
  json s;
  EXPECT_EQ(send({"--count", "5"}, &s), want.send) << s.dump();
  EXPECT_EQ(s["acknowledged"], 5) << s.dump();

  json v;
  EXPECT_EQ(send({"--count", "5", "--verify", "--receiver", "bob", "--verify-wait", "5s"}, &v), want.send_verify)
      << v.dump();
  EXPECT_EQ(v["verify"]["preexisting"], 5) << v.dump();
  EXPECT_EQ(v["verify"]["unexpected"], 0) << v.dump();
  EXPECT_EQ(v["verify"]["lost"], 0) << v.dump();
  EXPECT_EQ(v["verify"]["delivered"], 5) << v.dump();

  // The verify receiver acknowledged everything: nothing left for bob.
  json r;
  EXPECT_EQ(recv({}, &r, "1s"), want.recv) << r.dump();
  EXPECT_EQ(r["received"], 0) << r.dump();

  stop_serve();
  auto truth = read_store(db());
  EXPECT_EQ(truth.rows, 10u);
  EXPECT_EQ(audit(truth), want.audit);
}

}  // namespace
}  // namespace wkit::scenarios
