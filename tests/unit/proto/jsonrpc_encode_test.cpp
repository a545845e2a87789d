// Frame (+ id) -> JSON-RPC text: the servers' messages byte for byte, the
// strict refusals (nothing appended), random round trips at each generation,
// and the error mapping a server uses.
#include <gtest/gtest.h>

#include <deque>
#include <random>

#include "random_frame.hpp"
#include "wkit/proto/jsonrpc.hpp"

namespace wkit::proto::jsonrpc {
namespace {

EncodeOptions encode_at(Compat c) {
  EncodeOptions o;
  o.compat = c;
  return o;
}

std::string enc(const Frame& f, std::string_view id, const EncodeOptions& o = {}) {
  std::string out;
  auto st = encode(f, id, out, o);
  EXPECT_FALSE(st) << st->message;
  return out;
}

// Encoding fails, names `what`, and leaves `out` as it was.
void expect_refused(const Frame& f, std::string_view id, std::string_view what, const EncodeOptions& o = {}) {
  std::string out = "keep";
  auto st = encode(f, id, out, o);
  ASSERT_TRUE(st);
  EXPECT_NE(st->message.find(what), std::string::npos) << st->message;
  EXPECT_EQ(out, "keep");
}

TEST(JsonRpcEncode, ServerMessagesAsTheSpecShowsThem) {
  Connack ca;
  ca.has_server_version = true;
  ca.server_version = 5;
  ca.time_diff = 12;
  ca.reason_code = 1;
  ca.node_id = 1;
  EXPECT_EQ(enc(ca, "c-1"),
            R"({"jsonrpc":"2.0","id":"c-1","result":{"serverVersion":5,"timeDiff":12,"reasonCode":1,"nodeId":1}})");

  Sendack sa;
  sa.message_id = 1987654321098752001;
  sa.message_seq = 42;
  sa.reason_code = 1;
  EXPECT_EQ(enc(sa, "s-1"),
            R"({"jsonrpc":"2.0","id":"s-1","result":{"messageId":"1987654321098752001","messageSeq":42,"reasonCode":1}})");

  Recv r;
  r.header.red_dot = true;
  r.message_id = 1987654321098752001;
  r.message_seq = 42;
  r.client_msg_no = "8d1e0f52-6a3b-4c1d-9e2f-0b7c5a4d3e21";
  r.timestamp = 1767000001;
  r.channel_id = "alice";
  r.channel_type = 1;
  r.from_uid = "alice";
  r.payload.data = R"({"type":1,"content":"hi bob"})";
  EXPECT_EQ(enc(r, ""),
            R"({"jsonrpc":"2.0","method":"recv","params":{"header":{"redDot":true},"messageId":"1987654321098752001","messageSeq":42,"clientMsgNo":"8d1e0f52-6a3b-4c1d-9e2f-0b7c5a4d3e21","timestamp":1767000001,"channelId":"alice","channelType":1,"fromUid":"alice","payload":"eyJ0eXBlIjoxLCJjb250ZW50IjoiaGkgYm9iIn0="}})");
  // 2.1-2.2.2 embed the same payload as JSON.
  EXPECT_NE(enc(r, "", encode_at(Compat::v2_2)).find(R"("payload":{"type":1,"content":"hi bob"}})"), std::string::npos);

  EncodeOptions bare;
  bare.pong_result_null = false;
  EXPECT_EQ(enc(Pong{}, "p-7", bare), R"({"jsonrpc":"2.0","id":"p-7"})");
  EXPECT_EQ(enc(Pong{}, "p-7"), R"({"jsonrpc":"2.0","id":"p-7","result":null})");

  Disconnect d;
  d.reason_code = 12;
  d.reason = "login in other device";
  EXPECT_EQ(enc(d, ""),
            R"({"jsonrpc":"2.0","method":"disconnect","params":{"reasonCode":12,"reason":"login in other device"}})");

  std::string err;
  ASSERT_FALSE(encode_error("s-3", ErrorObject{0, "jsonrpc: unknown method: subscribe", {}}, err));
  EXPECT_EQ(err, R"({"jsonrpc":"2.0","id":"s-3","error":{"code":0,"message":"jsonrpc: unknown method: subscribe"}})");
}

TEST(JsonRpcEncode, ClientRequests) {
  Connect c;
  c.uid = "alice";
  c.token = "t-alice";
  c.device_id = "web_3f2a9c10_1767000000000";
  c.device_flag = 1;
  c.client_timestamp = 1767000000000;
  EXPECT_EQ(enc(c, "c-1"),
            R"({"jsonrpc":"2.0","method":"connect","id":"c-1","params":{"uid":"alice","token":"t-alice","deviceId":"web_3f2a9c10_1767000000000","deviceFlag":1,"clientTimestamp":1767000000000}})");
  EXPECT_EQ(enc(Ping{}, "p-7"), R"({"jsonrpc":"2.0","method":"ping","id":"p-7","params":{}})");
  Recvack a;
  a.header.red_dot = true;
  a.message_id = 1987654321098752001;
  a.message_seq = 42;
  EXPECT_EQ(enc(a, ""),
            R"({"jsonrpc":"2.0","method":"recvack","params":{"header":{"redDot":true},"messageId":"1987654321098752001","messageSeq":42}})");
  EXPECT_EQ(enc(a, "a-1", encode_at(Compat::v2_1)),
            R"({"jsonrpc":"2.0","method":"recvack","id":"a-1","params":{"header":{"redDot":true},"messageId":"1987654321098752001","messageSeq":42}})");
}

TEST(JsonRpcEncode, StringsAreEscaped) {
  Connect c;
  c.uid = std::string_view("q\"b\\s/\n\r\t\b\f\x01\x7f\xc3\xa9", 15);
  EXPECT_EQ(enc(c, "c"),
            "{\"jsonrpc\":\"2.0\",\"method\":\"connect\",\"id\":\"c\",\"params\":{\"uid\":"
            "\"q\\\"b\\\\s/\\n\\r\\t\\b\\f\\u0001\x7f\xc3\xa9\"}}");
}

TEST(JsonRpcEncode, StrictRefusalsAppendNothing) {
  expect_refused(Ping{}, "", "ping is a request");
  expect_refused(Connect{}, "", "connect is a request");
  expect_refused(Sendack{}, "", "needs the request's id");
  expect_refused(Pong{}, "", "needs the ping's id");
  expect_refused(Recv{}, "r-1", "recv is a notification");
  expect_refused(Event{}, "e-1", "event is a notification");
  expect_refused(Recvack{}, "a-1", "recvack is a notification since 2.2");
  expect_refused(Recvack{}, "", "recvack is a request", encode_at(Compat::v2_1));
  Connect bad_utf8;
  bad_utf8.uid = "\xff";
  expect_refused(bad_utf8, "c", "params.uid: not valid UTF-8");
  expect_refused(Ping{}, "\xc3", "id: not valid UTF-8");
  Send not_json;
  not_json.payload.data = "hello";
  expect_refused(not_json, "s", "params.payload: not JSON text", encode_at(Compat::v2_2));
  EXPECT_NE(enc(not_json, "s").find(R"("payload":"aGVsbG8=")"), std::string::npos);  // fine as base64
  Recvack wide;
  wide.message_seq = 1ull << 32;
  expect_refused(wide, "", "params.messageSeq: 4294967296 does not fit the 32 bits", encode_at(Compat::v2_2));
  EXPECT_FALSE(enc(wide, "").empty());  // 2.2.3 carries 64 bits
  Event ev;
  ev.data.data = "\x80";
  expect_refused(ev, "", "params.data: not valid UTF-8");
  Sub s;
  s.action = 2;
  expect_refused(s, "x", "action 2");
  std::string out = "keep";
  EXPECT_TRUE(encode_error("x", ErrorObject{1, "m", "{bad"}, out));
  EXPECT_EQ(out, "keep");
}

TEST(JsonRpcEncode, EmptyPayloadIsNullWhenEmbedded) {
  Send s;
  EXPECT_NE(enc(s, "s", encode_at(Compat::v2_1)).find(R"("payload":null)"), std::string::npos);
  EXPECT_NE(enc(s, "s").find(R"("payload":"")"), std::string::npos);
}

// --- random round trips --------------------------------------------------------

struct RandomRpc {
  std::mt19937_64 rng;
  std::deque<std::string> arena;
  explicit RandomRpc(uint64_t seed) : rng(seed) {}
  uint64_t u(uint64_t n) { return rng() % n; }

  std::string_view text() {
    static const char* const pieces[] = {"a", "Z", "0", " ", "\"", "\\", "/", "\n", "\x01", "\x1f",
                                          "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "{", "\x7f"};
    std::string s;
    for (size_t n = u(4) == 0 ? 0 : u(24); n; --n) s += pieces[u(std::size(pieces))];
    return arena.emplace_back(std::move(s));
  }
  std::string_view bytes(Compat c) {
    if (c == Compat::v2_2_3) {
      std::string s(u(4) == 0 ? 0 : u(64), '\0');
      for (auto& ch : s) ch = static_cast<char>(u(256));
      return arena.emplace_back(std::move(s));
    }
    static const char* const json[] = {R"({"type":1,"content":"hi"})", "[1, 2.5e3, null]", "\"str\"", "0",
                                       "true", R"({"a":{"b":["\u00e9"]}})"};
    return json[u(std::size(json))];
  }

  Frame make(FrameType t, Compat c) {
    Frame f = make_frame(t);
    std::visit(
        [&](auto& x) {
          using F = std::remove_cvref_t<decltype(x)>;
          x.header = Header{u(2) == 1, u(2) == 1, u(2) == 1, u(2) == 1};
          each_field_mut(x, [&](std::string_view name, auto& v) {
            using T = std::remove_cvref_t<decltype(v)>;
            if constexpr (std::is_same_v<T, std::string_view>) {
              v = text();
            } else if constexpr (std::is_same_v<T, Bytes>) {
              v.data = std::is_same_v<F, Event> ? text() : bytes(c);
            } else if constexpr (std::is_same_v<T, Setting>) {
              v.bits = static_cast<uint8_t>(u(256) & 0xAA);  // the four bits JSON names
            } else if constexpr (std::is_same_v<T, bool>) {
              v = u(2) == 1;
            } else {
              v = static_cast<T>(rng());
              if (name == "message_seq" && c != Compat::v2_2_3) v &= 0xFFFFFFFFu;
            }
          });
          // What JSON-RPC does not carry.
          if constexpr (std::is_same_v<F, Send> || std::is_same_v<F, Sendack>) x.client_seq = 0;
          if constexpr (std::is_same_v<F, Sub>) {
            x.setting = {};
            x.action = static_cast<uint8_t>(u(2));
            x.header = {};
          }
          if constexpr (std::is_same_v<F, Suback> || std::is_same_v<F, Ping> || std::is_same_v<F, Pong>)
            x.header = {};
          if constexpr (std::is_same_v<F, Connack>) x.header.no_persist = x.has_server_version;
          if constexpr (std::is_same_v<F, Connack>)
            if (!x.has_server_version) x.server_version = 0;
        },
        f);
    return f;
  }
};

std::string id_for(FrameType t, Compat c, int i) {
  switch (t) {
    case FrameType::recv:
    case FrameType::event:
    case FrameType::disconnect: return "";
    case FrameType::recvack: return c == Compat::v2_1 ? "a-" + std::to_string(i) : "";
    default: return "id-" + std::to_string(i) + "-\xe2\x82\xac\"";
  }
}

TEST(JsonRpcRoundTrip, RandomFramesAtEachGeneration) {
  RandomRpc gen(20260501);
  std::string text, scratch;
  Message m;
  int checked = 0;
  for (Compat c : {Compat::v2_1, Compat::v2_2, Compat::v2_2_3}) {
    for (int i = 0; i < 300; ++i) {
      for (int t = 1; t <= 12; ++t) {
        const auto type = static_cast<FrameType>(t);
        const Frame f = gen.make(type, c);
        const std::string id = id_for(type, c, i);
        text.clear();
        auto st = encode(f, id, text, encode_at(c));
        ASSERT_FALSE(st) << frame_type_name(type) << ": " << st->message;
        DecodeOptions o;
        o.compat = c;
        auto dst = decode(text, m, scratch, o);
        ASSERT_FALSE(dst) << text << "\n" << dst->describe();
        ASSERT_TRUE(m.has_frame) << text;
        EXPECT_EQ(m.id, id);
        EXPECT_EQ(testing::first_difference(f, m.frame), "") << text;
        ++checked;
      }
    }
  }
  EXPECT_EQ(checked, 3 * 300 * 12);
}

// --- the server's mapping ----------------------------------------------------------

TEST(JsonRpcErrors, DecodeFailuresBecomeErrorObjects) {
  std::string scratch, buf;
  Message m;
  const std::string text = R"({"method":"subscrbe","id":"s-3"})";
  auto st = decode(text, m, scratch);
  ASSERT_TRUE(st);
  ErrorObject std_err = error_for(m, *st, ErrorStyle::standard, buf);
  EXPECT_EQ(std_err.code, -32601);
  EXPECT_EQ(std_err.message, "byte 10: method: unknown method \"subscrbe\"");
  std::string out;
  ASSERT_FALSE(encode_error(m.id, std_err, out));
  EXPECT_EQ(out, R"({"jsonrpc":"2.0","id":"s-3","error":{"code":-32601,"message":"byte 10: method: unknown method \"subscrbe\""}})");

  ErrorObject go = error_for(m, *st, ErrorStyle::wukongim_2x, buf);
  EXPECT_EQ(go.code, 0);
  EXPECT_EQ(go.message.substr(0, 9), "jsonrpc: ");

  EXPECT_EQ(problem_code(Problem::parse_error), -32700);
  EXPECT_EQ(problem_code(Problem::invalid_request), -32600);
  EXPECT_EQ(problem_code(Problem::invalid_params), -32602);
  // An id that could not be read: the error goes without one.
  out.clear();
  ASSERT_FALSE(encode_error("", ErrorObject{-32600, "id: must be a string", {}}, out));
  EXPECT_EQ(out, R"({"jsonrpc":"2.0","error":{"code":-32600,"message":"id: must be a string"}})");
}

TEST(JsonRpcErrors, ReasonCodes) {
  const ErrorObject e = reason_error(25);
  EXPECT_EQ(e.code, 25);
  EXPECT_EQ(e.message, "send_ban");
  EXPECT_EQ(kReasonSuccess, 1);
}

TEST(JsonRpcNames, CompatAndMethods) {
  Compat c{};
  ASSERT_TRUE(compat_from_name("3", c));
  EXPECT_EQ(c, Compat::v2_2_3);
  ASSERT_TRUE(compat_from_name("2.1", c));
  EXPECT_EQ(compat_name(c), "2.1");
  EXPECT_FALSE(compat_from_name("2.0", c));
  Method m{};
  for (auto name : {"connect", "send", "recv", "recvack", "ping", "pong", "disconnect", "event", "subscribe", "unsubscribe"}) {
    ASSERT_TRUE(method_from_name(name, m)) << name;
    EXPECT_EQ(method_name(m), name);
  }
  EXPECT_FALSE(method_from_name("PING", m));
}

}  // namespace
}  // namespace wkit::proto::jsonrpc
