// The WebSocket layer of the pcap importer: RFC 6455 section 5.7's example
// frames, any chunking, masking, fragmentation with interleaved control
// frames, 16/64-bit lengths, and each protocol violation reported at the
// byte offset of the offending frame. Also the HTTP upgrade (Beast parser).
#include <gtest/gtest.h>

#include "wkit/capture/ws_deframer.hpp"

using namespace wkit::capture;

namespace {

std::string bytes(std::initializer_list<int> b) {
  std::string s;
  for (int x : b) s += static_cast<char>(x);
  return s;
}

// A frame built from the RFC's layout; `mask` empty = unmasked.
std::string frame(uint8_t first, std::string_view payload, std::string_view mask = "") {
  std::string f(1, static_cast<char>(first));
  uint8_t m = mask.empty() ? 0 : 0x80;
  if (payload.size() < 126) {
    f += static_cast<char>(m | payload.size());
  } else if (payload.size() < 65536) {
    f += static_cast<char>(m | 126);
    f += static_cast<char>(payload.size() >> 8);
    f += static_cast<char>(payload.size());
  } else {
    f += static_cast<char>(m | 127);
    for (int i = 7; i >= 0; --i) f += static_cast<char>(uint64_t(payload.size()) >> (8 * i));
  }
  f += mask;
  for (size_t i = 0; i < payload.size(); ++i)
    f += mask.empty() ? payload[i] : static_cast<char>(payload[i] ^ mask[i & 3]);
  return f;
}

struct Out {
  std::string data;
  wkit::Status err;
};

Out run(bool from_client, std::string_view in, size_t chunk = 0, uint64_t base = 0) {
  WsDeframer d(from_client, base);
  Out o;
  if (!chunk) chunk = in.size() ? in.size() : 1;
  for (size_t i = 0; i < in.size() && !o.err; i += chunk) o.err = d.feed(in.substr(i, chunk), o.data);
  return o;
}

}  // namespace

TEST(WsDeframer, Rfc6455Examples) {
  // 5.7: a single-frame unmasked text message "Hello" (server) and the masked one (client).
  auto a = run(false, bytes({0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f}));
  EXPECT_FALSE(a.err);
  EXPECT_EQ(a.data, "Hello");
  auto b = run(true, bytes({0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58}));
  EXPECT_FALSE(b.err);
  EXPECT_EQ(b.data, "Hello");
  // A fragmented unmasked text message: "Hel" then "lo".
  auto c = run(false, bytes({0x01, 0x03, 0x48, 0x65, 0x6c, 0x80, 0x02, 0x6c, 0x6f}));
  EXPECT_FALSE(c.err);
  EXPECT_EQ(c.data, "Hello");
  // Unmasked Ping and masked Pong carry no message data.
  WsDeframer p(false, 0);
  std::string out;
  EXPECT_FALSE(p.feed(bytes({0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f}), out));
  EXPECT_EQ(out, "");
  EXPECT_EQ(p.pings(), 1u);
  WsDeframer q(true, 0);
  EXPECT_FALSE(q.feed(bytes({0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58}), out));
  EXPECT_EQ(q.pongs(), 1u);
  EXPECT_EQ(out, "");
  // 256 bytes with a 16-bit length, 65536 bytes with a 64-bit length.
  std::string big256(256, 'x'), big64k(65536, 'y');
  std::string f256 = bytes({0x82, 0x7E, 0x01, 0x00}) + big256;
  std::string f64k = bytes({0x82, 0x7F, 0, 0, 0, 0, 0, 1, 0, 0}) + big64k;
  EXPECT_EQ(f256, frame(0x82, big256));
  EXPECT_EQ(f64k, frame(0x82, big64k));
  auto d = run(false, f256 + f64k);
  EXPECT_FALSE(d.err);
  EXPECT_EQ(d.data, big256 + big64k);
}

TEST(WsDeframer, AnyChunkingGivesTheSameBytes) {
  std::string mask = bytes({0x11, 0x22, 0x33, 0x44});
  std::string payload;
  for (int i = 0; i < 70000; ++i) payload += static_cast<char>(i * 7);
  // Client: a fragmented binary message (16-bit and 64-bit lengths) with a
  // Ping between the fragments, then a one-frame message.
  std::string in = frame(0x02, payload.substr(0, 300), mask) + frame(0x89, "p", mask) +
                   frame(0x00, payload.substr(300, 69000), mask) + frame(0x80, payload.substr(69300), mask) +
                   frame(0x82, "tail", mask);
  for (size_t chunk : {size_t{1}, size_t{2}, size_t{3}, size_t{13}, size_t{4096}, in.size()}) {
    WsDeframer d(true, 100);
    std::string out;
    for (size_t i = 0; i < in.size(); i += chunk) ASSERT_FALSE(d.feed(std::string_view(in).substr(i, chunk), out));
    EXPECT_EQ(out, payload + "tail") << "chunk " << chunk;
    EXPECT_EQ(d.messages(), 2u);
    EXPECT_EQ(d.frames(), 5u);
    EXPECT_EQ(d.pings(), 1u);
    EXPECT_EQ(d.offset(), 100 + in.size());
    EXPECT_FALSE(d.mid_frame());
    EXPECT_FALSE(d.mid_message());
  }
  // Cut inside a frame: mid_frame says so.
  WsDeframer cut(true, 0);
  std::string out;
  ASSERT_FALSE(cut.feed(std::string_view(in).substr(0, 5), out));
  EXPECT_TRUE(cut.mid_frame());
}

TEST(WsDeframer, CloseFrameKeepsCodeAndReason) {
  WsDeframer d(false, 0);
  std::string out;
  ASSERT_FALSE(d.feed(frame(0x82, "ab") + frame(0x88, bytes({0x03, 0xE8}) + "bye"), out));
  ASSERT_TRUE(d.close());
  EXPECT_EQ(d.close()->code, 1000);
  EXPECT_EQ(d.close()->reason, "bye");
  EXPECT_EQ(d.close()->offset, 4u);
  // Anything after the Close is an error at its offset.
  auto err = d.feed(frame(0x82, "x"), out);
  ASSERT_TRUE(err);
  EXPECT_EQ(err->offset, 11u);
  EXPECT_EQ(out, "ab");
}

TEST(WsDeframer, ViolationsNameTheFrameOffset) {
  std::string mask = bytes({1, 2, 3, 4});
  std::string ok_server = frame(0x82, "hello");  // 7 bytes: the bad frame starts at 1000 + 7
  std::string ok_client = frame(0x82, "hello", mask);  // 11 bytes
  struct Case {
    const char* what;
    bool from_client;
    std::string bad;
    const char* message;
  };
  std::vector<Case> cases = {
      {"unmasked client frame", true, frame(0x82, "x"), "client frame is not masked"},
      {"masked server frame", false, frame(0x82, "x", mask), "server frame is masked"},
      {"compressed frame", false, frame(0xC2, "x"), "permessage-deflate"},
      {"RSV2", false, frame(0xA2, "x"), "reserved bits"},
      {"reserved data opcode", false, frame(0x83, "x"), "reserved opcode 3"},
      {"reserved control opcode", false, frame(0x8B, "x"), "reserved opcode 11"},
      {"fragmented ping", false, frame(0x09, "x"), "fragmented control frame"},
      {"oversized ping", false, frame(0x89, std::string(126, 'p')), "max 125"},
      {"stray continuation", false, frame(0x80, "x"), "continuation frame without a message"},
      {"data inside a fragmented message", false, frame(0x02, "a") + frame(0x82, "b"),
       "new data frame inside a fragmented message"},
      {"64-bit length with the top bit", false, bytes({0x82, 0x7F, 0x80, 0, 0, 0, 0, 0, 0, 1}),
       "most significant bit"},
  };
  for (const auto& c : cases) {
    std::string good = c.from_client ? ok_client : ok_server;
    for (size_t chunk : {size_t{1}, size_t{0}}) {
      auto o = run(c.from_client, good + c.bad, chunk, 1000);
      ASSERT_TRUE(o.err) << c.what;
      uint64_t at = 1000 + good.size();
      if (std::string_view(c.what) == "data inside a fragmented message") at += 3;  // the second frame
      EXPECT_EQ(o.err->offset, at) << c.what;
      EXPECT_NE(o.err->message.find(c.message), std::string::npos) << c.what << ": " << o.err->message;
      EXPECT_NE(o.err->message.find("stream byte " + std::to_string(at)), std::string::npos) << o.err->message;
      std::string expect = "hello";
      if (std::string_view(c.what) == "data inside a fragmented message") expect += "a";
      EXPECT_EQ(o.data, expect) << c.what;  // the bytes before the bad frame are kept
    }
  }
  // After an error nothing more is decoded and the same error comes back.
  WsDeframer d(true, 0);
  std::string out;
  auto e1 = d.feed(frame(0x82, "x"), out);
  auto e2 = d.feed(frame(0x82, "y", mask), out);
  ASSERT_TRUE(e1 && e2);
  EXPECT_EQ(e1->message, e2->message);
  EXPECT_EQ(out, "");
}

TEST(WsHandshake, UpgradeRequestAndResponseInPieces) {
  std::string req =
      "GET /ws HTTP/1.1\r\nHost: 127.0.0.1:5200\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
  std::string after = "\x82\x85" "abcd";
  EXPECT_TRUE(WsHandshake::looks_like_request(req));
  EXPECT_FALSE(WsHandshake::looks_like_request("\x10\x20"));
  WsHandshake h(WsHandshake::Side::request);
  std::string all = req + after;
  size_t used = 0;
  for (size_t i = 0; i < all.size() && !h.done(); i += 10) {
    auto r = h.feed(std::string_view(all).substr(i, 10));
    ASSERT_TRUE(r) << r.error().message;
    if (h.done()) used = i + *r;
  }
  ASSERT_TRUE(h.done());
  EXPECT_EQ(used, req.size());  // the frame bytes after the header are not taken
  EXPECT_TRUE(h.upgrade());
  EXPECT_EQ(h.target(), "/ws");

  std::string res =
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n";
  WsHandshake r(WsHandshake::Side::response);
  auto n = r.feed(res + "\x82\x01x");
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, res.size());
  EXPECT_TRUE(r.upgrade());
  EXPECT_EQ(r.status(), 101u);

  WsHandshake refused(WsHandshake::Side::response);
  ASSERT_TRUE(refused.feed("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"));
  EXPECT_TRUE(refused.done());
  EXPECT_FALSE(refused.upgrade());
  EXPECT_EQ(refused.status(), 404u);

  WsHandshake plain(WsHandshake::Side::request);
  ASSERT_TRUE(plain.feed("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
  EXPECT_TRUE(plain.done());
  EXPECT_FALSE(plain.upgrade());

  WsHandshake bad(WsHandshake::Side::response);
  auto e = bad.feed("HTTP/1.1 abc\r\n\r\n");
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().offset, 0u);
  EXPECT_NE(e.error().message.find("bad HTTP response header"), std::string::npos);
}
