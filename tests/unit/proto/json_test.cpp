// The frame-to-JSON renderer and the one-line summary.
#include <gtest/gtest.h>

#include "random_frame.hpp"
#include "wkit/proto/json.hpp"

namespace wkit::proto {
namespace {

Recv sample_recv() {
  Recv r;
  r.header.red_dot = true;
  r.setting.bits = Setting::kReceipt | Setting::kTopic;
  r.msg_key = "k";
  r.from_uid = "alice";
  r.channel_id = "g1";
  r.channel_type = 2;
  r.expire = 60;
  r.client_msg_no = "cmn-1";
  r.message_id = 9007199254740993;  // 2^53 + 1
  r.message_seq = 4294967301ull;
  r.timestamp = 1700000000;
  r.topic = "t";
  r.payload.data = "hi!";
  return r;
}

TEST(FrameJson, RecvAtV6) {
  Json j = frame_to_json(sample_recv(), 6);
  EXPECT_EQ(j["frame_type"], "RECV");
  EXPECT_EQ(j["header"]["red_dot"], true);
  EXPECT_EQ(j["header"]["dup"], false);
  EXPECT_EQ(j["setting"], 0x88);
  EXPECT_EQ(j["setting_flags"]["receipt"], true);
  EXPECT_EQ(j["setting_flags"]["topic"], true);
  EXPECT_EQ(j["setting_flags"]["stream"], false);
  EXPECT_EQ(j["message_id"].get<int64_t>(), 9007199254740993);
  EXPECT_EQ(j["message_idstr"], "9007199254740993");
  EXPECT_EQ(j["message_seqstr"], "4294967301");
  EXPECT_EQ(j["channel_type_name"], "group");
  EXPECT_EQ(j["topic"], "t");
  EXPECT_EQ(j["payload"], "aGkh");
  EXPECT_EQ(j["payload_size"], 3);
  EXPECT_FALSE(j.contains("payload_hex"));
  EXPECT_FALSE(j.contains("stream_no"));  // not on the wire at v6
  // Keys keep wire order after the frame type and header.
  auto it = j.begin();
  EXPECT_EQ(it.key(), "frame_type");
  EXPECT_EQ((++it).key(), "header");
  EXPECT_EQ((++it).key(), "setting");
}

TEST(FrameJson, VersionDecidesWhichFieldsShow) {
  Recv r = sample_recv();
  r.message_seq = 5;
  r.setting.bits = Setting::kStream;
  Json v2 = frame_to_json(r, 2);
  EXPECT_FALSE(v2.contains("expire"));
  EXPECT_TRUE(v2.contains("stream_no"));
  EXPECT_FALSE(v2.contains("topic"));
  Json all = frame_to_json(r, 2, JsonOptions{BytesForm::base64, true});
  EXPECT_TRUE(all.contains("expire"));
  EXPECT_TRUE(all.contains("topic"));
}

TEST(FrameJson, BytesFormsAndInvalidUtf8) {
  Send s;
  s.client_msg_no = std::string_view("\xe2\x28\xa1", 3);
  s.payload.data = std::string_view("\x00\xff", 2);
  Json hex = frame_to_json(s, 5, JsonOptions{BytesForm::hex});
  EXPECT_EQ(hex["payload_hex"], "00ff");
  EXPECT_FALSE(hex.contains("payload"));
  Json both = frame_to_json(s, 5, JsonOptions{BytesForm::both});
  EXPECT_EQ(both["payload"], "AP8=");
  EXPECT_EQ(both["payload_hex"], "00ff");
  EXPECT_EQ(both["client_msg_no_hex"], "e228a1");
  EXPECT_NO_THROW((void)both.dump());
  EXPECT_TRUE(is_valid_utf8("\xe4\xb8\xad"));
  EXPECT_FALSE(is_valid_utf8("\xc0\x80"));      // overlong
  EXPECT_FALSE(is_valid_utf8("\xed\xa0\x80"));  // surrogate
}

TEST(FrameJson, NamesBesideCodes) {
  Sendack a;
  a.reason_code = 28;
  Json j = frame_to_json(a, 6);
  EXPECT_EQ(j["reason_code_name"], "idempotency_conflict");
  EXPECT_EQ(j["client_msg_no"], "");  // always shown for SENDACK
  Connack c;
  c.has_server_version = true;
  c.header.no_persist = true;
  c.server_version = 6;
  c.node_id = 3;
  Json cj = frame_to_json(c, 6);
  EXPECT_EQ(cj["has_server_version"], true);
  EXPECT_EQ(cj["server_version"], 6);
  EXPECT_EQ(cj["node_idstr"], "3");
  EXPECT_EQ(header_flags_text(c), "HAS_SERVER_VERSION");
  Event e;
  e.type = "typing";
  Json ej = frame_to_json(e, 6);
  EXPECT_EQ(ej["frame_type"], "EVENT");
  EXPECT_EQ(ej["type"], "typing");
  Sub s;
  s.action = 1;
  EXPECT_EQ(frame_to_json(s, 6)["action_name"], "unsubscribe");
  Connect k;
  k.device_flag = 1;
  EXPECT_EQ(frame_to_json(k, 6)["device_flag_name"], "web");
}

TEST(FrameJson, EveryFieldOfEveryTypeRenders) {
  testing::RandomFrames gen(3);
  for (int i = 0; i < 300; ++i) {
    const int v = 1 + static_cast<int>(gen.u(6));
    Frame f = gen.make(static_cast<FrameType>(1 + gen.u(12)), v);
    Json j = frame_to_json(f, v, JsonOptions{BytesForm::both, true});
    std::visit([&](const auto& x) {
      x.each_field([&](std::string_view name, const auto&) {
        EXPECT_TRUE(j.contains(std::string(name))) << name;
      });
    }, f);
    EXPECT_NO_THROW((void)j.dump());
    nlohmann::json plain = nlohmann::json::object();
    append_frame_json(f, v, plain);
    EXPECT_EQ(plain["frame_type"], j["frame_type"]);
  }
}

TEST(FrameSummary, OneLine) {
  const std::string s = frame_summary(sample_recv(), 6);
  EXPECT_NE(s.find("message_id=9007199254740993"), std::string::npos) << s;
  EXPECT_NE(s.find("setting=receipt|topic"), std::string::npos) << s;
  EXPECT_NE(s.find("payload=3B"), std::string::npos) << s;
  EXPECT_EQ(s.find('\n'), std::string::npos);
  Disconnect d;
  d.reason_code = 12;
  d.reason = std::string_view("a\nb", 3);
  const std::string ds = frame_summary(d, 6);
  EXPECT_NE(ds.find("reason_code=12(connect_kick)"), std::string::npos) << ds;
  EXPECT_EQ(ds.find('\n'), std::string::npos) << ds;
  EXPECT_EQ(header_flags_text(Ping{}), "-");
}

TEST(DecodeInfo, OffsetsAndExtras) {
  const std::string in("\x60\x0f" "\x34\x69\x24\x31\xc5\xa7\xde\xea" "\x64\x03\xfa\x5b" "\x01\x02\x03", 17);
  auto r = decode_frame(in, 5);
  Json j = Json::object();
  append_decode_info(r, 100, j);
  EXPECT_EQ(j["offset"], 100);
  EXPECT_EQ(j["size"], 17);
  EXPECT_EQ(j["extra_body_bytes"], 3);
  EXPECT_FALSE(j.contains("layout"));
}

}  // namespace
}  // namespace wkit::proto
