// Where a WebSocket frame ends (RFC 6455 section 5.2), from its header alone.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "wkit/net/ws_frame_peek.hpp"

namespace {

using wkit::net::peek_ws_frame;

std::vector<unsigned char> peek_test_bytes(std::initializer_list<int> b) {
  return std::vector<unsigned char>(b.begin(), b.end());
}

TEST(WsFramePeek, LengthFieldsAndMask) {
  // Unmasked binary, 5 bytes: 2-byte header.
  auto f = peek_ws_frame(peek_test_bytes({0x82, 0x05}));
  ASSERT_TRUE(f);
  EXPECT_EQ(f->header, 2u);
  EXPECT_EQ(f->payload, 5u);
  EXPECT_TRUE(f->plain_message());
  // Masked text, 16-bit length 300: 2 + 2 + 4.
  f = peek_ws_frame(peek_test_bytes({0x81, 0x80 | 126, 0x01, 0x2c, 1, 2, 3, 4}));
  ASSERT_TRUE(f);
  EXPECT_EQ(f->header, 8u);
  EXPECT_EQ(f->payload, 300u);
  EXPECT_EQ(f->opcode, 1);
  // Unmasked, 64-bit length 2^32 + 1: 2 + 8.
  f = peek_ws_frame(peek_test_bytes({0x82, 127, 0, 0, 0, 1, 0, 0, 0, 1}));
  ASSERT_TRUE(f);
  EXPECT_EQ(f->header, 10u);
  EXPECT_EQ(f->payload, (uint64_t(1) << 32) + 1);
}

TEST(WsFramePeek, IncompleteHeaderIsNotAFrame) {
  EXPECT_FALSE(peek_ws_frame({}));
  EXPECT_FALSE(peek_ws_frame(peek_test_bytes({0x82})));
  EXPECT_FALSE(peek_ws_frame(peek_test_bytes({0x82, 126, 0x01})));             // length cut
  EXPECT_FALSE(peek_ws_frame(peek_test_bytes({0x82, 0x80 | 5, 1, 2, 3})));      // mask key cut
  EXPECT_TRUE(peek_ws_frame(peek_test_bytes({0x82, 0x80 | 5, 1, 2, 3, 4})));    // payload need not be here
}

TEST(WsFramePeek, OnlyWholeDataMessagesArePlain) {
  EXPECT_FALSE(peek_ws_frame(peek_test_bytes({0x02, 0x01}))->plain_message());  // not FIN: a fragment
  EXPECT_FALSE(peek_ws_frame(peek_test_bytes({0x80, 0x01}))->plain_message());  // continuation
  EXPECT_FALSE(peek_ws_frame(peek_test_bytes({0x89, 0x00}))->plain_message());  // ping
  EXPECT_FALSE(peek_ws_frame(peek_test_bytes({0x88, 0x02}))->plain_message());  // close
  EXPECT_FALSE(peek_ws_frame(peek_test_bytes({0xc2, 0x01}))->plain_message());  // RSV1 (compressed)
  EXPECT_TRUE(peek_ws_frame(peek_test_bytes({0x81, 0x01}))->plain_message());
}

}  // namespace
