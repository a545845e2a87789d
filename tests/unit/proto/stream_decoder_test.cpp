// StreamDecoder: any chunking gives the same frames at the same offsets;
// input that can never form a frame is an error at its absolute offset.
#include <gtest/gtest.h>

#include "random_frame.hpp"
#include "wkit/proto/stream_decoder.hpp"

namespace wkit::proto {
namespace {

using testing::first_difference;
using testing::RandomFrames;

struct Stream {
  std::string bytes;
  std::vector<Frame> frames;
  std::vector<uint64_t> offsets;
};

Stream random_stream(RandomFrames& gen, int version, size_t count) {
  Stream s;
  for (size_t i = 0; i < count; ++i) {
    auto t = static_cast<FrameType>(1 + gen.u(12));
    s.frames.push_back(gen.make(t, version));
    s.offsets.push_back(s.bytes.size());
    EXPECT_FALSE(encode_frame(s.frames.back(), version, s.bytes));
  }
  return s;
}

// Feeds `s` in random chunks (sizes up to max_chunk), checking every frame.
void check_chunked(const Stream& s, int version, std::mt19937_64& rng, size_t max_chunk) {
  StreamDecoder dec(version);
  size_t fed = 0, got = 0;
  for (;;) {
    uint64_t off = 0;
    auto r = dec.next(&off);
    if (r.status == DecodeStatus::ok) {
      ASSERT_LT(got, s.frames.size());
      ASSERT_EQ(off, s.offsets[got]);
      ASSERT_EQ(first_difference(s.frames[got], r.frame), "") << "frame " << got;
      ++got;
      continue;
    }
    ASSERT_EQ(r.status, DecodeStatus::incomplete) << r.error.describe();
    if (fed == s.bytes.size()) break;
    size_t n = 1 + rng() % max_chunk;
    n = std::min(n, s.bytes.size() - fed);
    dec.feed(std::string_view(s.bytes).substr(fed, n));
    fed += n;
    // The buffer holds at most about twice what is unread plus one chunk.
    ASSERT_LE(dec.buffered(), s.bytes.size() - (got < s.offsets.size() ? s.offsets[got] : fed) + n);
  }
  EXPECT_EQ(got, s.frames.size());
  EXPECT_EQ(dec.stream_offset(), s.bytes.size());
  EXPECT_FALSE(dec.finish());
}

TEST(StreamDecoder, RandomChunkingsEveryVersion) {
  RandomFrames gen(1234);
  std::mt19937_64 rng(5678);
  for (int v = 1; v <= 7; ++v) {
    for (int round = 0; round < 30; ++round) {
      Stream s = random_stream(gen, v, 40);
      for (size_t max_chunk : {1, 2, 7, 64, 1000, 100000}) check_chunked(s, v, rng, max_chunk);
    }
  }
}

TEST(StreamDecoder, WholeStreamInOneFeed) {
  RandomFrames gen(42);
  Stream s = random_stream(gen, 6, 500);
  StreamDecoder dec(6);
  dec.feed(s.bytes);
  size_t got = 0;
  uint64_t off;
  DecodeResult r;
  while ((r = dec.next(&off)).status == DecodeStatus::ok) {
    ASSERT_EQ(off, s.offsets[got]);
    ++got;
  }
  EXPECT_EQ(r.status, DecodeStatus::incomplete);
  EXPECT_EQ(got, 500u);
}

// Decodes `prefix + bad`, fed byte by byte: every frame of prefix comes out,
// then the error at the expected absolute offset; the decoder never stalls.
void expect_error_after(const std::string& prefix_frames, size_t n_frames, const std::string& bad,
                        DecodeErrc errc, uint64_t offset) {
  StreamDecoder dec(5);
  const std::string all = prefix_frames + bad;
  size_t got = 0;
  bool failed = false;
  for (size_t i = 0; i < all.size() && !failed; ++i) {
    dec.feed(std::string_view(all).substr(i, 1));
    for (;;) {
      auto r = dec.next();
      if (r.status == DecodeStatus::ok) {
        ++got;
        continue;
      }
      if (r.status == DecodeStatus::error) {
        EXPECT_EQ(r.errc, errc) << decode_errc_name(r.errc) << ": " << r.error.describe();
        ASSERT_TRUE(r.error.offset);
        EXPECT_EQ(*r.error.offset, offset) << r.error.describe();
        failed = true;
      }
      break;
    }
  }
  EXPECT_TRUE(failed) << "no error: the decoder stalled";
  EXPECT_EQ(got, n_frames);
  EXPECT_TRUE(dec.failed());
  // Sticky: same error again, and from finish().
  auto again = dec.next();
  EXPECT_EQ(again.status, DecodeStatus::error);
  EXPECT_EQ(again.error.offset, offset);
  auto fin = dec.finish();
  ASSERT_TRUE(fin);
  EXPECT_EQ(fin->offset, offset);
}

TEST(StreamDecoder, ErrorsCarryAbsoluteOffsets) {
  std::string two;
  Recvack a;
  a.message_id = 1;
  ASSERT_FALSE(encode_frame(a, 5, two));  // 14 bytes
  ASSERT_FALSE(encode_frame(Ping{}, 5, two));  // 1 byte
  ASSERT_EQ(two.size(), 15u);
  expect_error_after(two, 2, std::string("\x00", 1), DecodeErrc::invalid_type, 15);
  expect_error_after(two, 2, "\xd0\x05", DecodeErrc::invalid_type, 15);
  expect_error_after(two, 2, "\x90\x80\x80\x80\x80", DecodeErrc::varint_too_long, 19);
  expect_error_after(two, 2, "\x30\x81\x80\x40", DecodeErrc::length_over_limit, 16);
  expect_error_after(two, 2, std::string("\x90\x00", 2), DecodeErrc::zero_length, 16);
  expect_error_after(two, 2, std::string("\x90\x04\x01\x00\x05\x41", 6),
                     DecodeErrc::truncated_body, 18);
}

TEST(StreamDecoder, PingWithLengthByteLeavesStrayByte) {
  // "70 00": a PING has no remaining length, so the 00 is a frame of type 0.
  StreamDecoder dec(6);
  dec.feed(std::string("\x70\x00", 2));
  auto r = dec.next();
  ASSERT_EQ(r.status, DecodeStatus::ok);
  EXPECT_EQ(type_of(r.frame), FrameType::ping);
  r = dec.next();
  ASSERT_EQ(r.status, DecodeStatus::error);
  EXPECT_EQ(r.errc, DecodeErrc::invalid_type);
  EXPECT_EQ(r.error.offset, 1u);
}

TEST(StreamDecoder, FinishReportsTruncatedFrame) {
  Recvack a;
  std::string f;
  ASSERT_FALSE(encode_frame(a, 6, f));
  StreamDecoder dec(6);
  dec.feed(f);
  dec.feed(std::string_view(f).substr(0, 10));
  EXPECT_EQ(dec.next().status, DecodeStatus::ok);
  EXPECT_EQ(dec.next().status, DecodeStatus::incomplete);
  auto err = dec.finish();
  ASSERT_TRUE(err);
  EXPECT_EQ(err->offset, f.size());
  EXPECT_NE(err->message.find("RECVACK"), std::string::npos) << err->message;
  EXPECT_NE(err->message.find("10 of its 18"), std::string::npos) << err->message;
  // Only the header byte and a continuation byte: inside the length.
  StreamDecoder d2(6);
  d2.feed("\x50\x85");
  EXPECT_EQ(d2.next().status, DecodeStatus::incomplete);
  auto e2 = d2.finish();
  ASSERT_TRUE(e2);
  EXPECT_NE(e2->message.find("remaining length"), std::string::npos) << e2->message;
}

TEST(StreamDecoder, VersionChangeMidStream) {
  // CONNACK decides the version: frames after it use the new one.
  Recvack a;
  a.message_seq = 0x1'0000'0001ull;
  std::string s;
  Recvack b;
  b.message_seq = 7;
  ASSERT_FALSE(encode_frame(b, 3, s));
  ASSERT_FALSE(encode_frame(a, 6, s));
  StreamDecoder dec(3);
  dec.feed(s);
  auto r = dec.next();
  ASSERT_EQ(r.status, DecodeStatus::ok);
  EXPECT_EQ(std::get<Recvack>(r.frame).message_seq, 7u);
  dec.set_version(6);
  r = dec.next();
  ASSERT_EQ(r.status, DecodeStatus::ok);
  EXPECT_EQ(std::get<Recvack>(r.frame).message_seq, 0x1'0000'0001ull);
}

TEST(StreamDecoder, ResetStartsOver) {
  StreamDecoder dec(6);
  dec.feed(std::string("\x00", 1));
  EXPECT_EQ(dec.next().status, DecodeStatus::error);
  dec.reset();
  EXPECT_FALSE(dec.failed());
  dec.feed("\x80");
  uint64_t off = 99;
  EXPECT_EQ(dec.next(&off).status, DecodeStatus::ok);
  EXPECT_EQ(off, 0u);
}

}  // namespace
}  // namespace wkit::proto
