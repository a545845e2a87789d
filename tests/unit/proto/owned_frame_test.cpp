// OwnedFrame keeps its views valid across copies and moves, including short
// frames whose bytes live inside the std::string object (SSO).
#include <gtest/gtest.h>

#include <vector>

#include "random_frame.hpp"
#include "wkit/proto/owned_frame.hpp"

namespace wkit::proto {
namespace {

bool views_inside(const OwnedFrame& o) {
  bool ok = true;
  const char* lo = o.bytes().data();
  const char* hi = lo + o.bytes().size();
  std::visit(
      [&](const auto& x) {
        x.each_field([&](std::string_view, const auto& v) {
          using T = std::remove_cvref_t<decltype(v)>;
          std::string_view s;
          if constexpr (std::is_same_v<T, std::string_view>) s = v;
          if constexpr (std::is_same_v<T, Bytes>) s = v.data;
          if (!s.empty() && (std::less<const char*>{}(s.data(), lo) ||
                             std::less<const char*>{}(hi, s.data() + s.size())))
            ok = false;
        });
      },
      o.frame());
  return ok;
}

TEST(OwnedFrame, ShortFrameSurvivesCopyAndMove) {
  Disconnect d;
  d.reason_code = 12;
  d.reason = "hi";  // 7-byte frame: fits the small-string buffer
  auto made = OwnedFrame::from_frame(d, 6);
  ASSERT_TRUE(made.ok());
  OwnedFrame a = std::move(*made);
  ASSERT_TRUE(views_inside(a));
  EXPECT_EQ(std::get<Disconnect>(a.frame()).reason, "hi");

  OwnedFrame b = a;  // copy
  ASSERT_TRUE(views_inside(b));
  EXPECT_NE(std::get<Disconnect>(b.frame()).reason.data(),
            std::get<Disconnect>(a.frame()).reason.data());
  OwnedFrame c = std::move(a);  // move
  ASSERT_TRUE(views_inside(c));
  EXPECT_EQ(std::get<Disconnect>(c.frame()).reason, "hi");
  OwnedFrame e;
  e = c;
  ASSERT_TRUE(views_inside(e));
  OwnedFrame g;
  g = std::move(c);
  ASSERT_TRUE(views_inside(g));
  EXPECT_EQ(std::get<Disconnect>(g.frame()).reason, "hi");
  EXPECT_EQ(std::get<Disconnect>(e.frame()).reason_code, 12);
}

TEST(OwnedFrame, RandomFramesInAGrowingVector) {
  testing::RandomFrames gen(77);
  std::vector<OwnedFrame> v;
  std::vector<std::string> wire;
  for (int i = 0; i < 300; ++i) {
    Frame f = gen.make(static_cast<FrameType>(1 + gen.u(12)), 6);
    std::string bytes;
    ASSERT_FALSE(encode_frame(f, 6, bytes));
    auto o = OwnedFrame::from_bytes(bytes, 6);
    ASSERT_TRUE(o.ok()) << o.error().message;
    v.push_back(std::move(*o));  // reallocation moves the earlier ones
    wire.push_back(bytes);
  }
  gen.arena.clear();  // the source strings are gone
  for (size_t i = 0; i < v.size(); ++i) {
    ASSERT_TRUE(views_inside(v[i])) << i;
    std::string again;
    ASSERT_FALSE(encode_frame(v[i].frame(), 6, again));
    EXPECT_EQ(again, wire[i]) << i;
  }
}

TEST(OwnedFrame, FromDecodedCopiesWithoutDecodingAgain) {
  Sendack s;
  s.client_msg_no = "abc";
  std::string bytes;
  ASSERT_FALSE(encode_frame(s, 6, bytes));
  auto r = decode_frame(bytes, 6);
  ASSERT_EQ(r.status, DecodeStatus::ok);
  OwnedFrame o = OwnedFrame::from_decoded(std::string_view(bytes).substr(0, r.consumed), r.frame, 6);
  bytes.assign(bytes.size(), 'X');
  EXPECT_TRUE(views_inside(o));
  EXPECT_EQ(std::get<Sendack>(o.frame()).client_msg_no, "abc");
}

TEST(OwnedFrame, FromBytesRejectsPartialOrTrailing) {
  Recvack a;
  std::string bytes;
  ASSERT_FALSE(encode_frame(a, 6, bytes));
  EXPECT_FALSE(OwnedFrame::from_bytes(std::string_view(bytes).substr(0, 5), 6).ok());
  EXPECT_FALSE(OwnedFrame::from_bytes(bytes + "x", 6).ok());
  auto bad = OwnedFrame::from_bytes(std::string("\x00", 1), 6);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().offset, 0u);
}

}  // namespace
}  // namespace wkit::proto
