// JSON-RPC text -> Message: every method, the three wire generations and the
// later-3.x leniency, and every malformed case with the member it names and
// the byte offset it gives.
#include <gtest/gtest.h>

#include "wkit/proto/jsonrpc.hpp"

namespace wkit::proto::jsonrpc {
namespace {

// Keeps the text and scratch alive as long as the frame views them.
struct Dec {
  std::string text, scratch;
  Message m;
  Status st;
  Dec(std::string t, DecodeOptions o = {}) : text(std::move(t)) { st = decode(text, m, scratch, o); }
  template <class T>
  const T& as() const {
    EXPECT_TRUE(m.has_frame);
    return std::get<T>(m.frame);
  }
};

DecodeOptions decode_at(Compat c, bool lenient = false) {
  DecodeOptions o;
  o.compat = c;
  o.lenient = lenient;
  return o;
}

// The error must name `field` and point at the first occurrence of `at_text`.
void expect_error(const Dec& d, std::string_view field, std::string_view at_text, Problem p) {
  ASSERT_TRUE(d.st) << "decoded although it should not: " << d.text;
  EXPECT_NE(d.st->message.find(field), std::string::npos) << d.st->message;
  ASSERT_TRUE(d.st->offset) << d.st->message;
  const size_t want = d.text.find(at_text);
  ASSERT_NE(want, std::string::npos);
  EXPECT_EQ(*d.st->offset, want) << d.st->describe();
  EXPECT_EQ(d.m.problem, p) << problem_name(d.m.problem) << ": " << d.st->message;
  EXPECT_FALSE(d.m.has_frame);
}

TEST(JsonRpcDecode, ConnectRequestFromTheSpecExample) {
  Dec d(R"({"method":"connect","id":"c-1","params":{"uid":"alice","token":"t-alice","deviceId":"web_3f2a9c10_1767000000000","deviceFlag":1,"clientTimestamp":1767000000000}})");
  ASSERT_FALSE(d.st) << d.st->describe();
  EXPECT_EQ(d.m.kind, Kind::request);
  EXPECT_EQ(d.m.method, Method::connect);
  EXPECT_EQ(d.m.id, "c-1");
  EXPECT_FALSE(d.m.has_jsonrpc);
  const auto& c = d.as<Connect>();
  EXPECT_EQ(c.uid, "alice");
  EXPECT_EQ(c.token, "t-alice");
  EXPECT_EQ(c.device_id, "web_3f2a9c10_1767000000000");
  EXPECT_EQ(c.device_flag, 1);
  EXPECT_EQ(c.client_timestamp, 1767000000000);
  EXPECT_EQ(c.version, 0);
}

TEST(JsonRpcDecode, ResponsesAreInferredFromTheResult) {
  Dec ack(R"({"jsonrpc":"2.0","id":"c-1","result":{"serverVersion":5,"timeDiff":12,"reasonCode":1,"nodeId":1}})");
  ASSERT_FALSE(ack.st);
  EXPECT_EQ(ack.m.kind, Kind::response);
  EXPECT_EQ(ack.m.method, Method::none);
  EXPECT_TRUE(ack.m.has_jsonrpc);
  const auto& ca = ack.as<Connack>();
  EXPECT_TRUE(ca.has_server_version);
  EXPECT_EQ(ca.server_version, 5);
  EXPECT_EQ(ca.time_diff, 12);
  EXPECT_EQ(ca.reason_code, 1);
  EXPECT_EQ(ca.node_id, 1u);

  Dec sa(R"({"jsonrpc":"2.0","id":"s-1","result":{"messageId":"1987654321098752001","messageSeq":42,"reasonCode":1}})");
  ASSERT_FALSE(sa.st);
  const auto& s = sa.as<Sendack>();
  EXPECT_EQ(s.message_id, 1987654321098752001);
  EXPECT_EQ(s.message_seq, 42u);
  EXPECT_EQ(s.client_seq, 0u);

  Dec bare(R"({"jsonrpc":"2.0","id":"p-7"})");
  ASSERT_FALSE(bare.st);
  EXPECT_TRUE(std::holds_alternative<Pong>(bare.m.frame));
  Dec null_result(R"({"jsonrpc":"2.0","id":"p-7","result":null})");
  ASSERT_FALSE(null_result.st);
  EXPECT_TRUE(std::holds_alternative<Pong>(null_result.m.frame));

  // The caller that knows what it asked decides: a refused CONNECT with no
  // nodeId would otherwise look like a CONNACK anyway, but a SENDACK hint wins.
  DecodeOptions o;
  o.answers = Method::send;
  Dec hinted(R"({"id":"s-9","result":{"reasonCode":25}})", o);
  ASSERT_FALSE(hinted.st);
  EXPECT_EQ(hinted.as<Sendack>().reason_code, 25);
}

TEST(JsonRpcDecode, SendWithBase64PayloadAt223) {
  Dec d(R"({"method":"send","id":"s-1","params":{"clientMsgNo":"8d1e0f52-6a3b-4c1d-9e2f-0b7c5a4d3e21","channelId":"bob","channelType":1,"payload":"eyJ0eXBlIjoxLCJjb250ZW50IjoiaGkgYm9iIn0=","header":{"redDot":true}}})");
  ASSERT_FALSE(d.st) << d.st->describe();
  const auto& s = d.as<Send>();
  EXPECT_EQ(s.payload.data, R"({"type":1,"content":"hi bob"})");
  EXPECT_EQ(d.m.payload_form, PayloadForm::base64);
  EXPECT_TRUE(s.header.red_dot);
  EXPECT_FALSE(s.header.no_persist);
  EXPECT_EQ(s.channel_id, "bob");
  EXPECT_EQ(s.channel_type, 1);
  EXPECT_EQ(s.client_seq, 0u);
  EXPECT_EQ(s.client_msg_no, "8d1e0f52-6a3b-4c1d-9e2f-0b7c5a4d3e21");
}

TEST(JsonRpcDecode, RecvAndRecvackAt223) {
  Dec r(R"({"jsonrpc":"2.0","method":"recv","params":{"header":{"redDot":true},"messageId":"1987654321098752001","messageSeq":42,"clientMsgNo":"x","timestamp":1767000001,"channelId":"alice","channelType":1,"fromUid":"alice","payload":"aGk=","setting":{"receipt":true,"topic":true},"topic":"t","expire":60,"streamId":"77"}})");
  ASSERT_FALSE(r.st) << r.st->describe();
  EXPECT_EQ(r.m.kind, Kind::notification);
  const auto& v = r.as<Recv>();
  EXPECT_EQ(v.message_id, 1987654321098752001);
  EXPECT_EQ(v.timestamp, 1767000001);
  EXPECT_EQ(v.from_uid, "alice");
  EXPECT_EQ(v.payload.data, "hi");
  EXPECT_EQ(v.setting.bits, Setting::kReceipt | Setting::kTopic);
  EXPECT_EQ(v.topic, "t");
  EXPECT_EQ(v.expire, 60u);
  EXPECT_EQ(v.stream_id, 77u);

  Dec a(R"({"method":"recvack","params":{"header":{"redDot":true},"messageId":"1987654321098752001","messageSeq":42}})");
  ASSERT_FALSE(a.st) << a.st->describe();
  EXPECT_EQ(a.m.kind, Kind::notification);
  EXPECT_EQ(a.as<Recvack>().message_id, 1987654321098752001);
  EXPECT_EQ(a.as<Recvack>().message_seq, 42u);
  EXPECT_TRUE(a.as<Recvack>().header.red_dot);
}

TEST(JsonRpcDecode, PingDisconnectEventSubscribe) {
  Dec p(R"({"method":"ping","id":"p-7","params":{}})");
  ASSERT_FALSE(p.st);
  EXPECT_TRUE(std::holds_alternative<Ping>(p.m.frame));
  Dec p2(R"({"method":"ping","id":"p-8","params":[1,2]})");  // any params
  ASSERT_FALSE(p2.st);

  Dec dc(R"({"jsonrpc":"2.0","method":"disconnect","params":{"reasonCode":12,"reason":"login in other device"}})");
  ASSERT_FALSE(dc.st);
  EXPECT_EQ(dc.as<Disconnect>().reason_code, 12);
  EXPECT_EQ(dc.as<Disconnect>().reason, "login in other device");
  Dec dr(R"({"method":"disconnect","id":"d-1"})");
  ASSERT_FALSE(dr.st);
  EXPECT_EQ(dr.m.kind, Kind::request);

  Dec ev(R"({"jsonrpc":"2.0","method":"event","params":{"id":"e1","type":"typing","timestamp":1767000000123,"data":"{\"a\":1}","header":{"end":true}}})");
  ASSERT_FALSE(ev.st);
  EXPECT_EQ(ev.as<Event>().data.data, R"({"a":1})");
  EXPECT_EQ(ev.as<Event>().timestamp, 1767000000123);
  EXPECT_TRUE(ev.m.header_end);

  Dec sub(R"({"method":"unsubscribe","id":"u-1","params":{"subNo":"n1","channelId":"g1","channelType":2,"param":{"k":1}}})");
  ASSERT_FALSE(sub.st);
  EXPECT_EQ(sub.as<Sub>().action, 1);
  EXPECT_EQ(sub.as<Sub>().param, R"({"k":1})");
  Dec suback(R"({"id":"u-1","result":{"subNo":"n1","channelId":"g1","channelType":2,"action":1,"reasonCode":1}})");
  ASSERT_FALSE(suback.st);
  EXPECT_EQ(suback.as<Suback>().sub_no, "n1");
}

TEST(JsonRpcDecode, ErrorResponse) {
  Dec d(R"({"jsonrpc":"2.0","id":"s-3","error":{"code":0,"message":"jsonrpc: unknown method: subscribe","data":{"x":[1]}}})");
  ASSERT_FALSE(d.st);
  EXPECT_EQ(d.m.kind, Kind::response);
  EXPECT_TRUE(d.m.has_error);
  EXPECT_FALSE(d.m.has_frame);
  EXPECT_EQ(d.m.error.code, 0);
  EXPECT_EQ(d.m.error.message, "jsonrpc: unknown method: subscribe");
  EXPECT_EQ(d.m.error.data, R"({"x":[1]})");
}

TEST(JsonRpcDecode, Generation21RecvackIsARequest) {
  Dec ok(R"({"method":"recvack","id":"a-1","params":{"messageId":"5","messageSeq":1}})", decode_at(Compat::v2_1));
  ASSERT_FALSE(ok.st);
  EXPECT_EQ(ok.m.kind, Kind::request);
  Dec bad(R"({"method":"recvack","params":{"messageId":"5","messageSeq":1}})", decode_at(Compat::v2_1));
  expect_error(bad, "recvack is a request at 2.1", "\"recvack\"", Problem::invalid_request);

  Dec later(R"({"method":"recvack","id":"a-1","params":{"messageId":"5","messageSeq":1}})", decode_at(Compat::v2_2));
  expect_error(later, "recvack is a notification since 2.2", "\"a-1\"", Problem::invalid_request);
  EXPECT_EQ(later.m.id, "a-1");  // the error can still be answered

  // Lenient reading takes both forms.
  Dec l1(R"({"method":"recvack","id":"a-1","params":{"messageId":"5"}})", decode_at(Compat::v2_2_3, true));
  EXPECT_FALSE(l1.st);
  Dec l2(R"({"method":"recvack","params":{"messageId":"5"}})", decode_at(Compat::v2_1, true));
  EXPECT_FALSE(l2.st);
}

TEST(JsonRpcDecode, Generations21And22EmbedThePayloadAsExactJsonText) {
  for (Compat c : {Compat::v2_1, Compat::v2_2}) {
    Dec obj(R"({"method":"send","id":"s","params":{"channelId":"b","channelType":1,"payload":{"type":1, "content":"hi bob"}}})", decode_at(c));
    ASSERT_FALSE(obj.st);
    EXPECT_EQ(obj.as<Send>().payload.data, R"({"type":1, "content":"hi bob"})");  // whitespace kept
    EXPECT_EQ(obj.m.payload_form, PayloadForm::json);
    Dec str(R"({"method":"send","id":"s","params":{"payload":"aGk="}})", decode_at(c));
    ASSERT_FALSE(str.st);
    EXPECT_EQ(str.as<Send>().payload.data, R"("aGk=")");  // a string keeps its quotes
    Dec nul(R"({"method":"send","id":"s","params":{"payload":null}})", decode_at(c));
    ASSERT_FALSE(nul.st);
    EXPECT_EQ(nul.as<Send>().payload.data, "null");
  }
}

TEST(JsonRpcDecode, Generation223WantsBase64) {
  Dec obj(R"({"method":"send","id":"s-1","params":{"channelId":"b","payload":{"type":1}}})");
  expect_error(obj, "params.payload: expected a base64 string, got an object", "{\"type\"", Problem::invalid_params);
  EXPECT_EQ(obj.m.id, "s-1");
  Dec bad(R"({"method":"send","id":"s-1","params":{"payload":"aGk*"}})");
  expect_error(bad, "params.payload: not valid base64", "*", Problem::invalid_params);
  Dec nul(R"({"method":"send","id":"s-1","params":{"payload":null}})");
  ASSERT_FALSE(nul.st);
  EXPECT_EQ(nul.m.payload_form, PayloadForm::null);
  EXPECT_TRUE(nul.as<Send>().payload.data.empty());
}

TEST(JsonRpcDecode, Later3xLeniencyOnPayloads) {
  const auto o = decode_at(Compat::v2_2_3, true);
  Dec obj(R"({"method":"send","id":"s","params":{"payload":{"type":1}}})", o);
  ASSERT_FALSE(obj.st);
  EXPECT_EQ(obj.as<Send>().payload.data, R"({"type":1})");
  EXPECT_EQ(obj.m.payload_form, PayloadForm::json);
  Dec text(R"({"method":"send","id":"s","params":{"payload":"{\"type\":1}"}})", o);
  ASSERT_FALSE(text.st);
  EXPECT_EQ(text.as<Send>().payload.data, R"({"type":1})");
  EXPECT_EQ(text.m.payload_form, PayloadForm::json_text);
  Dec b64(R"({"method":"send","id":"s","params":{"payload":"eyJ0eXBlIjoxfQ=="}})", o);
  ASSERT_FALSE(b64.st);
  EXPECT_EQ(b64.as<Send>().payload.data, R"({"type":1})");
  EXPECT_EQ(b64.m.payload_form, PayloadForm::base64);
  Dec neither(R"({"method":"send","id":"s","params":{"payload":"not base64!"}})", o);
  expect_error(neither, "not valid base64 nor JSON text", " base64!", Problem::invalid_params);
  Dec arr(R"({"method":"send","id":"s","params":{"payload":[1]}})", o);
  expect_error(arr, "params.payload", "[1]", Problem::invalid_params);
}

TEST(JsonRpcDecode, IdsMustBeStrings) {
  Dec num(R"({"method":"send","id":17,"params":{}})");
  expect_error(num, "id: must be a string, got a number", "17", Problem::invalid_request);
  EXPECT_TRUE(num.m.id.empty());  // cannot be answered with it
  Dec empty_id(R"({"method":"recvack","id":"","params":{"messageId":"1"}})");
  ASSERT_FALSE(empty_id.st);
  EXPECT_EQ(empty_id.m.kind, Kind::notification);  // empty id = notification
  Dec null_id(R"({"method":"recvack","id":null,"params":{"messageId":"1"}})");
  ASSERT_FALSE(null_id.st);
  EXPECT_EQ(null_id.m.kind, Kind::notification);
}

TEST(JsonRpcDecode, SixtyFourBitMessageIdsAreDecimalStrings) {
  Dec max(R"({"method":"recvack","params":{"messageId":"9223372036854775807","messageSeq":4294967295}})");
  ASSERT_FALSE(max.st);
  EXPECT_EQ(max.as<Recvack>().message_id, INT64_MAX);
  Dec min(R"({"method":"recvack","params":{"messageId":"-9223372036854775808"}})");
  ASSERT_FALSE(min.st);
  EXPECT_EQ(min.as<Recvack>().message_id, INT64_MIN);
  Dec over(R"({"method":"recvack","params":{"messageId":"9223372036854775808"}})");
  expect_error(over, "params.messageId: \"9223372036854775808\" is not a decimal 64-bit integer",
               "\"9223372036854775808\"", Problem::invalid_params);
  Dec number(R"({"method":"recvack","params":{"messageId":1987654321098752001}})");
  expect_error(number, "params.messageId: expected a decimal string", "1987654321098752001",
               Problem::invalid_params);
  Dec garbage(R"({"method":"recvack","params":{"messageId":"12ab"}})");
  expect_error(garbage, "params.messageId", "\"12ab\"", Problem::invalid_params);
}

TEST(JsonRpcDecode, MessageSeqWidthFollowsTheGeneration) {
  const std::string t = R"({"method":"recvack","params":{"messageId":"1","messageSeq":4294967296}})";
  Dec narrow(t, decode_at(Compat::v2_2));
  expect_error(narrow, "params.messageSeq: 4294967296 is out of range 0..4294967295", "4294967296",
               Problem::invalid_params);
  Dec wide(t, decode_at(Compat::v2_2_3));
  ASSERT_FALSE(wide.st);
  EXPECT_EQ(wide.as<Recvack>().message_seq, 4294967296ull);
}

TEST(JsonRpcDecode, IntegerFieldsAreCheckedForTypeAndRange) {
  Dec big(R"({"method":"send","id":"s","params":{"channelType":300}})");
  expect_error(big, "params.channelType: 300 is out of range 0..255", "300", Problem::invalid_params);
  Dec neg(R"({"method":"send","id":"s","params":{"expire":-1}})");
  expect_error(neg, "params.expire: -1 is out of range", "-1", Problem::invalid_params);
  Dec frac(R"({"method":"send","id":"s","params":{"channelType":1.5}})");
  expect_error(frac, "params.channelType: expected an integer, got 1.5", "1.5", Problem::invalid_params);
  Dec str(R"({"method":"send","id":"s","params":{"channelType":"1"}})");
  expect_error(str, "params.channelType: expected an integer, got a string", "\"1\"", Problem::invalid_params);
  Dec ts(R"({"jsonrpc":"2.0","method":"recv","params":{"timestamp":2147483648}})");
  expect_error(ts, "params.timestamp: 2147483648 is out of range for a 32-bit signed integer", "2147483648",
               Problem::invalid_params);
  Dec flag(R"({"method":"send","id":"s","params":{"header":{"redDot":1}}})");
  expect_error(flag, "params.header.redDot: expected a boolean, got a number", "1}", Problem::invalid_params);
  Dec hdr(R"({"method":"send","id":"s","params":{"setting":[]}})");
  expect_error(hdr, "params.setting: expected an object, got an array", "[]", Problem::invalid_params);
  Dec str2(R"({"method":"connect","id":"c","params":{"uid":7}})");
  expect_error(str2, "params.uid: expected a string, got a number", "7}", Problem::invalid_params);
  Dec params(R"({"method":"send","id":"s","params":"x"})");
  expect_error(params, "params: expected an object, got a string", "\"x\"", Problem::invalid_params);
}

TEST(JsonRpcDecode, EnvelopeErrors) {
  Dec not_json(R"({"method":"send",})");
  expect_error(not_json, "trailing comma", "}", Problem::parse_error);
  Dec truncated(R"({"method":"send","id":"s")");
  ASSERT_TRUE(truncated.st);
  EXPECT_EQ(*truncated.st->offset, truncated.text.size());
  EXPECT_EQ(truncated.m.problem, Problem::parse_error);
  Dec empty("  ");
  ASSERT_TRUE(empty.st);
  EXPECT_EQ(empty.m.problem, Problem::parse_error);
  Dec trailing(R"({"method":"ping","id":"p"} {"method":"ping","id":"q"})");
  expect_error(trailing, "unexpected data after the JSON object", "{\"method\":\"ping\",\"id\":\"q\"", Problem::parse_error);
  Dec batch(R"([{"method":"ping","id":"p"}])");
  expect_error(batch, "batch", "[", Problem::invalid_request);
  Dec scalar("42");
  ASSERT_TRUE(scalar.st);
  EXPECT_EQ(scalar.m.problem, Problem::invalid_request);
  Dec version(R"({"jsonrpc":"1.0","method":"ping","id":"p"})");
  expect_error(version, "jsonrpc: must be \"2.0\"", "\"1.0\"", Problem::invalid_request);
  Dec version_num(R"({"jsonrpc":2.0,"method":"ping","id":"p"})");
  expect_error(version_num, "jsonrpc: must be \"2.0\"", "2.0", Problem::invalid_request);
  Dec unknown(R"({"method":"subscrbe","id":"s-3","params":{}})");
  expect_error(unknown, "method: unknown method \"subscrbe\"", "\"subscrbe\"", Problem::method_not_found);
  EXPECT_EQ(unknown.m.id, "s-3");
  Dec method_case(R"({"method":"Send","id":"s-3","params":{}})");  // methods are exact
  expect_error(method_case, "unknown method", "\"Send\"", Problem::method_not_found);
  Dec nothing(R"({"params":{}})");
  expect_error(nothing, "neither method nor id", "{", Problem::invalid_request);
  Dec both(R"({"id":"x","result":{},"error":{"code":1,"message":"m"}})");
  expect_error(both, "both result and error", "{\"code\"", Problem::invalid_request);
  Dec connect_note(R"({"method":"connect","params":{"uid":"a"}})");
  expect_error(connect_note, "connect is a request", "\"connect\"", Problem::invalid_request);
  Dec recv_req(R"({"method":"recv","id":"r","params":{}})");
  expect_error(recv_req, "recv is a notification", "\"r\"", Problem::invalid_request);
  Dec bad_error(R"({"id":"x","error":"oops"})");
  expect_error(bad_error, "error: expected an object, got a string", "\"oops\"", Problem::invalid_request);
}

TEST(JsonRpcDecode, StrictJsonSyntaxWithOffsets) {
  struct Case {
    std::string text, message, at;
  };
  const Case cases[] = {
      {R"({"method":"ping","id":"p","x":01})", "leading zero", "1}"},
      {"{\"method\":\"ping\",\"id\":\"p\x01\"}", "control character", "\x01"},
      {"{\"method\":\"ping\",\"id\":\"p\xff\"}", "invalid UTF-8", "\xff"},
      {R"({"method":"ping","id":"p\q"})", "invalid escape \\q", "\\q"},
      {R"({"method":"ping","id":"\u12G4"})", "not a hex digit", "G"},
      {R"({"method":"ping" "id":"p"})", "expected ',' or '}'", "\"id\""},
      {R"({"method":"ping","id":"p","x":[1,]})", "trailing comma before ']'", "]"},
      {R"({"method":"ping","id":"p","x":tru})", "invalid literal", "tru"},
      {R"({method:"ping"})", "expected a member name", "method"},
  };
  for (const auto& c : cases) {
    Dec d(c.text);
    SCOPED_TRACE(c.text);
    expect_error(d, c.message, c.at, Problem::parse_error);
  }
}

TEST(JsonRpcDecode, NestingIsBounded) {
  std::string deep = R"({"method":"ping","id":"p","x":)";
  deep += std::string(100, '[') + std::string(100, ']') + "}";
  Dec d(deep);
  ASSERT_TRUE(d.st);
  EXPECT_NE(d.st->message.find("nested deeper than 64 levels"), std::string::npos) << d.st->message;
  EXPECT_EQ(*d.st->offset, deep.find('[') + 64);  // the 65th '['
  EXPECT_EQ(d.m.problem, Problem::parse_error);
}

TEST(JsonRpcDecode, TolerantLikeGo) {
  // Members in any order, unknown members ignored, keys case-insensitive,
  // the last of a repeated member wins, null leaves a field at zero.
  Dec d(R"({"params":{"ChannelID":"x","channelid":"bob","CHANNELTYPE":2,"unknown":{"a":[1,{"b":null}]},"topic":null},"id":"s-1","method":"send"})");
  ASSERT_FALSE(d.st) << d.st->describe();
  EXPECT_EQ(d.as<Send>().channel_id, "bob");
  EXPECT_EQ(d.as<Send>().channel_type, 2);
  EXPECT_EQ(d.as<Send>().topic, "");
}

TEST(JsonRpcDecode, EscapesAreUnescapedIntoTheScratch) {
  Dec d(R"({"method":"connect","id":"c\"1","params":{"uid":"caf\u00e9 \ud83d\ude00 \n\/","token":"\ud800"}})");
  ASSERT_FALSE(d.st) << d.st->describe();
  EXPECT_EQ(d.m.id, "c\"1");
  EXPECT_EQ(d.as<Connect>().uid, "caf\xc3\xa9 \xf0\x9f\x98\x80 \n/");
  EXPECT_EQ(d.as<Connect>().token, "\xef\xbf\xbd");  // a lone surrogate, as Go does
}

TEST(JsonRpcDecode, ScratchIsReusedWithoutGrowingOnceWarm) {
  const std::string a = R"({"method":"send","id":"s\u0031","params":{"channelId":"b\u00e9","payload":"eyJ0eXBlIjoxLCJjb250ZW50IjoiaGkgYm9iIn0="}})";
  std::string scratch;
  Message m;
  ASSERT_FALSE(decode(a, m, scratch));
  const char* data = scratch.data();
  const size_t cap = scratch.capacity();
  for (int i = 0; i < 100; ++i) {
    ASSERT_FALSE(decode(a, m, scratch));
    EXPECT_EQ(std::get<Send>(m.frame).channel_id, "b\xc3\xa9");
    EXPECT_EQ(m.id, "s1");
    EXPECT_EQ(std::get<Send>(m.frame).payload.data, R"({"type":1,"content":"hi bob"})");
  }
  EXPECT_EQ(scratch.data(), data);
  EXPECT_EQ(scratch.capacity(), cap);
}

TEST(JsonRpcDecode, SeveralObjectsInOneMessage) {
  const std::string two = R"({"method":"ping","id":"a"}  {"method":"ping","id":"b"})";
  DecodeOptions o;
  o.single_object = false;
  std::string scratch;
  Message m;
  ASSERT_FALSE(decode(two, m, scratch, o));
  EXPECT_EQ(m.id, "a");
  EXPECT_EQ(m.consumed, two.find("{\"method\":\"ping\",\"id\":\"b\""));
  const std::string rest = two.substr(m.consumed);
  ASSERT_FALSE(decode(rest, m, scratch, o));
  EXPECT_EQ(m.id, "b");
  EXPECT_EQ(m.consumed, rest.size());
}

// What a server sends for input it could not read: an error object without
// an id (WuKongIM 2.x, wkit serve) or with "id": null (JSON-RPC 2.0). Both
// are responses to no known request; a result without an id is still refused.
TEST(JsonRpcDecode, ErrorWithoutAnIdIsAResponseToNoKnownRequest) {
  for (const char* text : {R"({"jsonrpc":"2.0","error":{"code":-32700,"message":"parse error"}})",
                           R"({"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"parse error"}})"}) {
    Message m;
    std::string scratch;
    auto err = decode(text, m, scratch, DecodeOptions{});
    ASSERT_FALSE(err) << text << ": " << err->describe();
    EXPECT_EQ(m.kind, Kind::response) << text;
    EXPECT_TRUE(m.id.empty());
    EXPECT_TRUE(m.has_error);
    EXPECT_FALSE(m.has_frame);
    EXPECT_EQ(m.error.code, -32700);
    EXPECT_EQ(m.error.message, "parse error");
  }
  Message m;
  std::string scratch;
  EXPECT_TRUE(decode(R"({"jsonrpc":"2.0","result":{"messageId":"5"}})", m, scratch, DecodeOptions{}));
  EXPECT_TRUE(decode(R"({"jsonrpc":"2.0","id":null,"result":null,"error":{"code":1,"message":"x"}})", m, scratch,
                     DecodeOptions{}));
}

}  // namespace
}  // namespace wkit::proto::jsonrpc
