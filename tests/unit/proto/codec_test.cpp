// Codec properties: random round trips over every type and version, exact
// sizes, and the encoder refusing what the decoder would refuse.
#include <gtest/gtest.h>

#include "random_frame.hpp"
#include "wkit/proto/codec.hpp"

namespace wkit::proto {
namespace {

using testing::first_difference;
using testing::RandomFrames;

constexpr FrameType kAllTypes[] = {
    FrameType::connect, FrameType::connack, FrameType::send,  FrameType::sendack,
    FrameType::recv,    FrameType::recvack, FrameType::ping,  FrameType::pong,
    FrameType::disconnect, FrameType::sub,  FrameType::suback, FrameType::event};

TEST(CodecProperty, RandomRoundTripEveryTypeAndVersion) {
  RandomFrames gen(20261130);
  std::string buf;
  size_t n = 0;
  for (int iter = 0; iter < 400; ++iter) {
    for (int v = 0; v <= 8; ++v) {
      for (FrameType t : kAllTypes) {
        Frame f = gen.make(t, v);
        buf.clear();
        auto size = encoded_size(f, v);
        ASSERT_TRUE(size.ok()) << size.error().message;
        ASSERT_FALSE(encode_frame(f, v, buf));
        ASSERT_EQ(buf.size(), *size) << frame_type_name(t) << " v" << v;
        auto r = decode_frame(buf, v);
        ASSERT_EQ(r.status, DecodeStatus::ok) << frame_type_name(t) << " v" << v << ": "
                                              << r.error.describe();
        ASSERT_EQ(r.consumed, buf.size());
        ASSERT_EQ(r.extra_body_bytes, 0u);
        ASSERT_EQ(first_difference(f, r.frame), "") << frame_type_name(t) << " v" << v;
        // Every strict prefix is incomplete, never an error.
        const size_t cut = gen.u(buf.size());
        ASSERT_EQ(decode_frame(std::string_view(buf).substr(0, cut), v).status,
                  DecodeStatus::incomplete);
        ++n;
      }
    }
  }
  EXPECT_EQ(n, 400u * 9 * 12);
}

TEST(CodecProperty, AppendsToExistingBuffer) {
  RandomFrames gen(7);
  std::string buf = "xyz";
  Frame a = gen.make(FrameType::recv, 5), b = gen.make(FrameType::sendack, 6);
  ASSERT_FALSE(encode_frame(a, 5, buf));
  const size_t a_end = buf.size();
  ASSERT_FALSE(encode_frame(b, 6, buf));
  EXPECT_EQ(buf.substr(0, 3), "xyz");
  auto ra = decode_frame(std::string_view(buf).substr(3), 5);
  ASSERT_EQ(ra.status, DecodeStatus::ok);
  EXPECT_EQ(ra.consumed, a_end - 3);
  auto rb = decode_frame(std::string_view(buf).substr(a_end), 6);
  ASSERT_EQ(rb.status, DecodeStatus::ok);
  EXPECT_EQ(first_difference(b, rb.frame), "");
}

TEST(CodecRefuses, StringOver32767) {
  std::string big(32768, 'x');
  Disconnect d;
  d.reason = big;
  std::string out = "keep";
  auto err = encode_frame(d, 6, out);
  ASSERT_TRUE(err);
  EXPECT_NE(err->message.find("reason"), std::string::npos) << err->message;
  EXPECT_EQ(out, "keep");
  d.reason = std::string_view(big).substr(0, 32767);
  EXPECT_FALSE(encode_frame(d, 6, out));
}

TEST(CodecRefuses, MessageSeqAboveU32BelowV6) {
  for (int v : {1, 4, 5}) {
    Recvack a;
    a.message_seq = 0x100000000ull;
    std::string out;
    EXPECT_TRUE(encode_frame(a, v, out)) << v;
    EXPECT_TRUE(out.empty());
    Sendack s;
    s.message_seq = 0x100000000ull;
    EXPECT_TRUE(encode_frame(s, v, out));
    Recv r;
    r.message_seq = 0x100000000ull;
    EXPECT_TRUE(encode_frame(r, v, out));
  }
  Recvack a;
  a.message_seq = 0x100000000ull;
  std::string out;
  EXPECT_FALSE(encode_frame(a, 6, out));
  EXPECT_FALSE(encode_frame(a, 9, out));  // above 6 behaves like 6
  EXPECT_EQ(out.size(), 2 * (2 + 16u));
}

TEST(CodecRefuses, BodyOverLimitAndSendPayload) {
  std::string payload(40000, 'p');
  Recv r;
  r.payload.data = payload;
  Limits small;
  small.max_remaining_length = 1000;
  std::string out;
  EXPECT_TRUE(encode_frame(r, 6, out, small));
  EXPECT_FALSE(encoded_size(r, 6, small).ok());
  EXPECT_FALSE(encode_frame(r, 6, out));  // RECV payloads are not capped
  Send s;
  s.payload.data = payload;
  EXPECT_TRUE(encode_frame(s, 6, out));  // SEND payload > 32767: both references refuse
  // ...and what the decoder refuses (over the limit) the encoder refuses too.
  out.clear();
  ASSERT_FALSE(encode_frame(r, 6, out));
  EXPECT_EQ(decode_frame(out, 6, small).status, DecodeStatus::error);
}

TEST(Codec, ConnackHeaderOnlyHasServerVersionBit) {
  Connack c;
  c.header = Header{true, true, true, false};
  c.has_server_version = true;
  c.server_version = 6;
  std::string out;
  ASSERT_FALSE(encode_frame(c, 6, out));
  EXPECT_EQ(static_cast<uint8_t>(out[0]), 0x21);
  c.has_server_version = false;
  out.clear();
  ASSERT_FALSE(encode_frame(c, 6, out));
  EXPECT_EQ(static_cast<uint8_t>(out[0]), 0x20);
  auto r = decode_frame(out, 6);
  ASSERT_EQ(r.status, DecodeStatus::ok);
  EXPECT_EQ(std::get<Connack>(r.frame).server_version, 0);  // not on the wire
}

TEST(Codec, PingPongAreOneByteFlagsDropped) {
  Ping p;
  p.header.dup = true;
  std::string out;
  ASSERT_FALSE(encode_frame(p, 6, out));
  ASSERT_FALSE(encode_frame(Pong{}, 6, out));
  EXPECT_EQ(out, std::string("\x70\x80", 2));
  auto r = decode_frame("\x7f", 6);
  ASSERT_EQ(r.status, DecodeStatus::ok);
  EXPECT_TRUE(std::get<Ping>(r.frame).header.dup);  // decoder keeps what it sees
}

TEST(Codec, SendStreamBitAtV5WritesNoStreamNoAndExactLength) {
  Send s;
  s.setting.bits = Setting::kStream;
  s.stream_no = "stream-1";
  s.payload.data = "p";
  std::string v4, v5;
  ASSERT_FALSE(encode_frame(s, 4, v4));
  ASSERT_FALSE(encode_frame(s, 5, v5));
  EXPECT_EQ(v4.size(), v5.size() + 2 + 8);
  auto r = decode_frame(v5, 5);
  ASSERT_EQ(r.status, DecodeStatus::ok);
  EXPECT_EQ(r.consumed, v5.size());
  EXPECT_EQ(std::get<Send>(r.frame).stream_no, "");
  EXPECT_EQ(std::get<Send>(r.frame).payload.data, "p");
}

TEST(Codec, SendackTrailingClientMsgNoOptional) {
  Sendack s;
  s.message_id = -5;
  s.client_seq = 9;
  s.message_seq = 77;
  s.reason_code = 1;
  std::string without, with;
  ASSERT_FALSE(encode_frame(s, 5, without));
  s.client_msg_no = "abc";
  ASSERT_FALSE(encode_frame(s, 5, with));
  EXPECT_EQ(with.size(), without.size() + 5);
  auto a = decode_frame(without, 5), b = decode_frame(with, 5);
  ASSERT_EQ(a.status, DecodeStatus::ok);
  ASSERT_EQ(b.status, DecodeStatus::ok);
  EXPECT_EQ(std::get<Sendack>(a.frame).client_msg_no, "");
  EXPECT_EQ(std::get<Sendack>(b.frame).client_msg_no, "abc");
  EXPECT_EQ(std::get<Sendack>(b.frame).message_id, -5);
  EXPECT_EQ(b.layout, DecodeLayout::standard);
}

TEST(Codec, ExtraBodyBytesReported) {
  // RECVACK v5 with 3 bytes beyond its fixed body.
  const std::string in("\x60\x0f" "\x34\x69\x24\x31\xc5\xa7\xde\xea" "\x64\x03\xfa\x5b" "\x01\x02\x03", 17);
  auto r = decode_frame(in, 5);
  ASSERT_EQ(r.status, DecodeStatus::ok);
  EXPECT_EQ(r.extra_body_bytes, 3u);
  EXPECT_EQ(r.consumed, 17u);
  EXPECT_EQ(std::get<Recvack>(r.frame).message_seq, 0x6403fa5bu);
}

struct BadCase {
  const char* name;
  std::string bytes;
  DecodeErrc errc;
  uint64_t offset;
};

TEST(Codec, ErrorsNameReasonAndOffset) {
  const BadCase cases[] = {
      {"type 0", std::string("\x00\x02\xaa\xbb", 4), DecodeErrc::invalid_type, 0},
      {"type 13 truncated", std::string("\xd0\x05\x00", 3), DecodeErrc::invalid_type, 0},
      {"type 15", std::string("\xf0", 1), DecodeErrc::invalid_type, 0},
      {"varint 5 bytes", std::string("\x90\x80\x80\x80\x80\x01", 6), DecodeErrc::varint_too_long, 4},
      {"over limit", std::string("\x30\x81\x80\x40", 4), DecodeErrc::length_over_limit, 1},
      {"over limit max", std::string("\x30\xff\xff\xff\x7f", 5), DecodeErrc::length_over_limit, 1},
      {"zero length", std::string("\x90\x00", 2), DecodeErrc::zero_length, 1},
      {"negative string", std::string("\x90\x03\x01\x80\x00", 5), DecodeErrc::negative_string_length, 3},
      {"string past body", std::string("\x90\x04\x01\x00\x05\x41", 6), DecodeErrc::truncated_body, 3},
      {"missing field", std::string("\x60\x04\x00\x00\x00\x01", 6), DecodeErrc::truncated_body, 2},
  };
  for (const auto& c : cases) {
    auto r = decode_frame(c.bytes, 5);
    ASSERT_EQ(r.status, DecodeStatus::error) << c.name;
    EXPECT_EQ(r.errc, c.errc) << c.name << ": " << decode_errc_name(r.errc);
    ASSERT_TRUE(r.error.offset) << c.name;
    EXPECT_EQ(*r.error.offset, c.offset) << c.name << ": " << r.error.describe();
    EXPECT_FALSE(r.error.message.empty());
  }
  // Exactly 1 MiB is allowed (and therefore incomplete here).
  EXPECT_EQ(decode_frame(std::string("\x30\x80\x80\x40", 4), 5).status, DecodeStatus::incomplete);
}

TEST(Codec, VersionsAboveSixBehaveLikeSix) {
  RandomFrames gen(99);
  for (int i = 0; i < 200; ++i) {
    Frame f = gen.make(FrameType::recv, 6);
    std::string a, b;
    ASSERT_FALSE(encode_frame(f, 6, a));
    ASSERT_FALSE(encode_frame(f, 7 + i, b));
    EXPECT_EQ(a, b);
  }
}

TEST(Names, TypesReasonsChannels) {
  EXPECT_EQ(frame_type_name(FrameType::recvack), "RECVACK");
  FrameType t;
  EXPECT_TRUE(frame_type_from_name("sendack", t));
  EXPECT_EQ(t, FrameType::sendack);
  EXPECT_FALSE(frame_type_from_name("SENDACKX", t));
  EXPECT_EQ(reason_code_name(1), "success");
  EXPECT_EQ(reason_code_name(8), "msg_key_error");
  EXPECT_EQ(reason_code_name(28), "idempotency_conflict");
  EXPECT_EQ(reason_code_name(29), "message_seq_exhausted");
  EXPECT_EQ(reason_code_name(200), "reason_200");
  EXPECT_EQ(channel_type_name(2), "group");
  EXPECT_EQ(channel_type_name(99), "");
  EXPECT_EQ(device_flag_name(99), "system");
}

}  // namespace
}  // namespace wkit::proto
