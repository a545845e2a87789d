// capture info: resends, message_ids per message, SENDs with no SENDACK,
// dropped SENDACKs, frame counts.
#include <gtest/gtest.h>

#include "wkit/capture/summary.hpp"
#include "wkit/proto/codec.hpp"

using namespace wkit;
using namespace wkit::capture;

namespace {

class Recorder {
 public:
  void conn(uint64_t id, const std::string& uid) {
    pb::Record r;
    r.set_connection_id(id);
    r.set_timestamp_ns(++ts_);
    r.mutable_connection()->set_uid(uid);
    r.mutable_connection()->set_protocol_version(6);
    b.add(r);
  }
  void frame(uint64_t id, pb::Direction d, const proto::Frame& f, const char* fault = nullptr) {
    pb::Record r;
    r.set_connection_id(id);
    r.set_timestamp_ns(++ts_);
    r.set_direction(d);
    r.mutable_frame()->set_wire(proto::encode_frame(f, 6).value());
    if (fault) {
      r.mutable_frame()->mutable_fault()->set_action(fault);
      r.mutable_frame()->mutable_fault()->set_spec(std::string(fault) + ":sendack:nth=1");
    }
    b.add(r);
  }
  void send(uint64_t id, uint32_t seq, std::string_view cmn) {
    proto::Send s;
    s.client_seq = seq;
    s.client_msg_no = cmn;
    s.channel_id = "bob";
    s.channel_type = 1;
    s.payload.data = "x";
    frame(id, pb::CLIENT_TO_SERVER, s);
  }
  void ack(uint64_t id, uint32_t seq, int64_t mid, const char* fault = nullptr) {
    proto::Sendack a;
    a.client_seq = seq;
    a.message_id = mid;
    a.message_seq = 1;
    a.reason_code = 1;
    frame(id, pb::SERVER_TO_CLIENT, a, fault);
  }
  SummaryBuilder b;
  int64_t ts_ = 0;
};

}  // namespace

TEST(CaptureSummary, DroppedSendackAndResendWithSameMessageId) {
  Recorder r;
  r.conn(1, "alice");
  r.send(1, 1, "m1");
  r.ack(1, 1, 100, "drop");  // the proxy dropped it
  r.send(1, 1, "m1");        // the client resends
  r.ack(1, 1, 100);          // idempotent server: same id
  r.send(1, 2, "m2");
  r.ack(1, 2, 200);
  auto s = r.b.finish();
  EXPECT_EQ(s.messages, 2u);
  ASSERT_EQ(s.resends.size(), 1u);
  EXPECT_EQ(s.resends[0].client_msg_no, "m1");
  EXPECT_EQ(s.resends[0].uid, "alice");
  EXPECT_EQ(s.resends[0].attempts.size(), 2u);
  EXPECT_EQ(s.resends[0].sendacks, 2u);
  EXPECT_EQ(s.resends[0].sendacks_dropped, 1u);
  EXPECT_EQ(s.resends[0].message_ids, std::vector<int64_t>{100});
  EXPECT_TRUE(s.duplicate_message_ids.empty());
  EXPECT_TRUE(s.unacked.empty());
  ASSERT_EQ(s.faults.size(), 1u);
  EXPECT_EQ(s.faults[0].frame_type, "SENDACK");
  EXPECT_EQ(s.faults[0].action, "drop");
  EXPECT_EQ(s.frames_by_type["SEND"], 3u);
  EXPECT_EQ(s.frames_by_type["SENDACK"], 3u);
  EXPECT_EQ(s.users.count("alice"), 1u);
}

TEST(CaptureSummary, NonIdempotentServerGivesTwoMessageIds) {
  Recorder r;
  r.conn(1, "alice");
  r.send(1, 1, "m1");
  r.ack(1, 1, 100, "drop");
  r.conn(2, "alice");  // resend after reconnecting
  r.send(2, 1, "m1");
  r.ack(2, 1, 101);
  auto s = r.b.finish();
  ASSERT_EQ(s.resends.size(), 1u);
  ASSERT_EQ(s.duplicate_message_ids.size(), 1u);
  EXPECT_EQ(s.duplicate_message_ids[0].message_ids, (std::vector<int64_t>{100, 101}));
  EXPECT_EQ(s.connections.size(), 2u);
}

TEST(CaptureSummary, SendWithoutSendackIsListed) {
  Recorder r;
  r.conn(1, "alice");
  r.send(1, 1, "m1");
  r.send(1, 2, "m2");
  r.ack(1, 2, 200);
  r.ack(1, 9, 900);  // answers nothing
  auto s = r.b.finish();
  ASSERT_EQ(s.unacked.size(), 1u);
  EXPECT_EQ(s.unacked[0].client_msg_no, "m1");
  EXPECT_EQ(s.unacked[0].client_seq, 1u);
  EXPECT_EQ(s.sendacks_unmatched, 1u);
  EXPECT_TRUE(s.resends.empty());
  auto j = summary_to_json(s);
  EXPECT_EQ(j["unacked_sends"].size(), 1u);
  EXPECT_EQ(j["unacked_sends"][0]["client_msg_no"], "m1");
}

TEST(CaptureSummary, UndecodableFrameIsCountedNotFatal) {
  SummaryBuilder b;
  pb::Record r;
  r.set_connection_id(1);
  r.set_direction(pb::CLIENT_TO_SERVER);
  r.mutable_frame()->set_wire(std::string("\x00\x01\x02", 3));
  b.add(r);
  auto s = b.finish();
  EXPECT_EQ(s.frames, 1u);
  EXPECT_EQ(s.undecodable_frames, 1u);
}
