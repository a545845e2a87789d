// ServerSession speaking WuKongIM's JSON-RPC dialect: detection on the first
// non-blank byte, the stream split into objects, answers carrying request
// ids, RECVs in clear, redelivery, and bad input answered without a stall.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "wkit/proto/codec.hpp"
#include "wkit/session/server_session.hpp"

using namespace wkit;
using namespace wkit::session;
using nlohmann::json;

namespace {

struct RpcCollector : FrameSink {
  std::string buf;
  std::vector<std::string> frames;
  bool text = false;
  std::string& buffer() override { return buf; }
  void commit() override {
    frames.push_back(buf);
    buf.clear();
  }
  void use_text_messages() override { text = true; }
  json object(size_t i) const { return json::parse(frames.at(i)); }
};

struct RpcHooks : ServerHooks {
  std::vector<std::string> plaintexts, client_msg_nos;
  std::vector<uint32_t> send_seqs;
  std::vector<uint8_t> header_bits;
  std::vector<int64_t> acks;
  std::vector<int64_t> error_codes;
  std::string closed_why, uid;
  uint8_t auth_reason = 1;
  uint8_t authenticate(const ConnectInfo& c) override {
    uid = c.uid;
    return auth_reason;
  }
  void on_open(ServerSession&) override {}
  void on_send(ServerSession&, const SendRequest& r) override {
    plaintexts.emplace_back(r.plaintext);
    client_msg_nos.emplace_back(r.frame->client_msg_no);
    send_seqs.push_back(r.frame->client_seq);
    header_bits.push_back(r.header_bits);
  }
  void on_recvack(ServerSession&, int64_t id, uint64_t) override { acks.push_back(id); }
  void on_close(ServerSession&, std::string_view why) override { closed_why = why; }
  void on_jsonrpc_error(ServerSession&, int64_t code, std::string_view) override { error_codes.push_back(code); }
};

Now rpc_at(int64_t ms) { return Now{ms, 1'767'000'000'000 + ms}; }

const std::string kConnect =
    R"({"method":"connect","id":"c-1","params":{"uid":"alice","token":"t-alice","deviceId":"web_1","deviceFlag":1,"clientTimestamp":1767000000000}})";
// {"type":1,"content":"hi bob"} in base64
const std::string kPayload64 = "eyJ0eXBlIjoxLCJjb250ZW50IjoiaGkgYm9iIn0=";
const std::string kPayload = R"({"type":1,"content":"hi bob"})";

std::string send_request(const std::string& id, const std::string& cmn, const std::string& payload_member) {
  return R"({"method":"send","id":")" + id + R"(","params":{"clientMsgNo":")" + cmn +
         R"(","channelId":"bob","channelType":1,"payload":)" + payload_member + R"(,"header":{"redDot":true}}})";
}

struct JsonRpcSession : ::testing::Test {
  ServerSessionConfig cfg;
  RpcHooks hooks;
  RpcCollector out;
  std::unique_ptr<ServerSession> s;
  void make() {
    cfg.jsonrpc = true;
    cfg.inflight_window = 0;
    s = std::make_unique<ServerSession>(1, cfg, hooks, out, rpc_at(0));
  }
  void connect() {
    s->feed(kConnect, rpc_at(1));
    ASSERT_EQ(out.frames.size(), 1u);
    ASSERT_EQ(s->state(), ServerSession::State::open);
  }
  Delivery delivery(int64_t id) {
    Delivery d;
    d.message_id = id;
    d.message_seq = 42;
    d.from_uid = "bob";
    d.channel_id = "bob";
    d.channel_type = 1;
    d.client_msg_no = "cmn-1";
    d.payload = kPayload;
    d.timestamp = 1767000001;
    return d;
  }
};

TEST_F(JsonRpcSession, ConnectIsAnsweredWithItsIdAndNoKeys) {
  make();
  s->feed("  \r\n", rpc_at(0));  // blanks first: still undecided
  EXPECT_EQ(s->dialect(), Dialect::undecided);
  connect();
  EXPECT_EQ(s->dialect(), Dialect::jsonrpc);
  EXPECT_TRUE(out.text);
  EXPECT_EQ(hooks.uid, "alice");
  json a = out.object(0);
  EXPECT_EQ(a["jsonrpc"], "2.0");
  EXPECT_EQ(a["id"], "c-1");
  EXPECT_EQ(a["result"]["reasonCode"], 1);
  EXPECT_FALSE(a["result"].contains("serverKey"));
  EXPECT_EQ(s->keys(), nullptr);
}

TEST_F(JsonRpcSession, RefusedConnectGetsItsReasonThenTheConnectionCloses) {
  hooks.auth_reason = 2;
  make();
  s->feed(kConnect, rpc_at(1));
  ASSERT_EQ(out.frames.size(), 1u);
  json a = out.object(0);
  EXPECT_EQ(a["id"], "c-1");
  EXPECT_EQ(a["result"]["reasonCode"], 2);
  EXPECT_TRUE(s->closed());
}

TEST_F(JsonRpcSession, WkprotoStaysWkprotoWhenJsonRpcIsOff) {
  make();
  cfg.jsonrpc = false;
  s = std::make_unique<ServerSession>(2, cfg, hooks, out, rpc_at(0));
  s->feed(kConnect, rpc_at(1));
  EXPECT_EQ(s->dialect(), Dialect::wkproto);
  EXPECT_TRUE(s->closed());  // '{' is no WKProto CONNECT
  EXPECT_FALSE(out.text);
}

TEST_F(JsonRpcSession, SendsAreNumberedAndEachSendackAnswersItsRequest) {
  make();
  connect();
  // Two sends in one chunk, the second split over two feeds, no delimiter.
  std::string both = send_request("s-1", "m-1", '"' + kPayload64 + '"') + send_request("s-2", "m-2", kPayload);
  s->feed(both.substr(0, both.size() - 10), rpc_at(2));
  ASSERT_EQ(hooks.plaintexts.size(), 1u);
  s->feed(both.substr(both.size() - 10), rpc_at(3));
  ASSERT_EQ(hooks.plaintexts.size(), 2u);
  EXPECT_EQ(hooks.plaintexts[0], kPayload);  // base64 decoded
  EXPECT_EQ(hooks.plaintexts[1], kPayload);  // embedded JSON taken as its text
  EXPECT_EQ(hooks.client_msg_nos[1], "m-2");
  EXPECT_EQ(hooks.send_seqs, (std::vector<uint32_t>{1, 2}));
  EXPECT_EQ(hooks.header_bits[0], 0x02);  // redDot
  // Answers out of order still find their request ids.
  s->sendack(2000000000000000002, 2, 8, 1, "m-2", rpc_at(4));
  s->sendack(2000000000000000001, 1, 7, 1, "m-1", rpc_at(4));
  ASSERT_EQ(out.frames.size(), 3u);
  json a2 = out.object(1), a1 = out.object(2);
  EXPECT_EQ(a2["id"], "s-2");
  EXPECT_EQ(a2["result"]["messageId"], "2000000000000000002");
  EXPECT_EQ(a2["result"]["messageSeq"], 8);
  EXPECT_EQ(a1["id"], "s-1");
  EXPECT_EQ(a1["result"]["reasonCode"], 1);
  // A repeated answer for the same send has no request left to answer.
  s->sendack(2000000000000000001, 1, 7, 1, "m-1", rpc_at(5));
  EXPECT_EQ(out.frames.size(), 3u);
}

TEST_F(JsonRpcSession, RecvIsInClearAndRedeliveredIdenticallyUntilAcked) {
  cfg.redeliver_interval_ms = 100;
  cfg.redeliver_max = 3;
  make();
  connect();
  ASSERT_EQ(s->deliver(delivery(1987654321098752001), rpc_at(10)), DeliverResult::sent);
  ASSERT_EQ(out.frames.size(), 2u);
  json r = out.object(1);
  EXPECT_EQ(r["method"], "recv");
  EXPECT_FALSE(r.contains("id"));
  EXPECT_EQ(r["params"]["messageId"], "1987654321098752001");
  EXPECT_EQ(r["params"]["payload"], kPayload64);
  EXPECT_FALSE(r["params"].contains("msgKey"));
  s->tick(rpc_at(120));
  ASSERT_EQ(out.frames.size(), 3u);
  EXPECT_EQ(out.frames[2], out.frames[1]);
  s->feed(R"({"method":"recvack","params":{"messageId":"1987654321098752001","messageSeq":42}})", rpc_at(130));
  EXPECT_EQ(hooks.acks, (std::vector<int64_t>{1987654321098752001}));
  s->tick(rpc_at(300));
  EXPECT_EQ(out.frames.size(), 3u);
}

TEST_F(JsonRpcSession, OlderGenerationsEmbedJsonPayloadsAndFallBackToBase64) {
  cfg.jsonrpc_compat = proto::jsonrpc::Compat::v2_2;
  make();
  connect();
  s->deliver(delivery(5), rpc_at(10));
  EXPECT_EQ(out.object(1)["params"]["payload"], json::parse(kPayload));
  Delivery binary = delivery(6);
  binary.payload = std::string_view("\x01\x02\xff", 3);  // from a WKProto client: not JSON
  s->deliver(binary, rpc_at(11));
  EXPECT_EQ(out.object(2)["params"]["payload"], "AQL/");
}

TEST_F(JsonRpcSession, PingGetsAResultWithItsId) {
  make();
  connect();
  s->feed(R"({"method":"ping","id":"p-7","params":{}})", rpc_at(5));
  ASSERT_EQ(out.frames.size(), 2u);
  json p = out.object(1);
  EXPECT_EQ(p["id"], "p-7");
  EXPECT_TRUE(p.contains("result"));
}

TEST_F(JsonRpcSession, BadInputIsAnsweredAndTheConnectionKeepsWorking) {
  make();
  connect();
  s->feed(R"({"method":"nope","id":"x-1","params":{}})", rpc_at(2));
  s->feed(R"({"method":"send","id":"x-2","params":{"channelId":"bob","channelType":"one"}})", rpc_at(3));
  s->feed("garbage ", rpc_at(4));
  s->feed(R"({"method":"send","id":3})", rpc_at(5));  // numeric id
  s->feed(R"([{"method":"ping","id":"b-1"}])", rpc_at(6));  // batch
  s->feed(R"({"method":"ping","id":"p-1"})", rpc_at(7));
  EXPECT_FALSE(s->closed());
  ASSERT_EQ(out.frames.size(), 7u);
  EXPECT_EQ(out.object(1)["id"], "x-1");
  EXPECT_EQ(out.object(1)["error"]["code"], -32601);
  EXPECT_EQ(out.object(2)["id"], "x-2");
  EXPECT_EQ(out.object(2)["error"]["code"], -32602);
  EXPECT_EQ(out.object(3)["error"]["code"], -32700);
  EXPECT_FALSE(out.object(3).contains("id"));
  EXPECT_TRUE(out.object(4).contains("error"));
  EXPECT_TRUE(out.object(5).contains("error"));
  EXPECT_EQ(out.object(6)["id"], "p-1");  // still answering
  EXPECT_TRUE(out.object(6).contains("result"));
  EXPECT_EQ(hooks.error_codes.size(), 5u);
  EXPECT_TRUE(hooks.plaintexts.empty());  // nothing half-sent
}

TEST_F(JsonRpcSession, AnythingButConnectFirstIsAnsweredAndClosed) {
  make();
  s->feed(R"({"method":"ping","id":"p-1"})", rpc_at(1));
  ASSERT_EQ(out.frames.size(), 1u);
  EXPECT_EQ(out.object(0)["id"], "p-1");
  EXPECT_TRUE(out.object(0).contains("error"));
  EXPECT_TRUE(s->closed());
}

TEST_F(JsonRpcSession, AnOversizedMessageClosesTheConnection) {
  make();
  connect();
  std::string big = R"({"method":"send","id":"s-1","params":{"payload":")" + std::string(1100000, 'A');
  s->feed(big, rpc_at(2));
  EXPECT_TRUE(s->closed());
  EXPECT_NE(s->close_reason().find("over"), std::string::npos) << s->close_reason();
}

TEST_F(JsonRpcSession, KickIsADisconnectNotification) {
  make();
  connect();
  s->kick(12, "kicked", rpc_at(3));
  json d = out.object(1);
  EXPECT_EQ(d["method"], "disconnect");
  EXPECT_FALSE(d.contains("id"));
  EXPECT_EQ(d["params"]["reasonCode"], 12);
  EXPECT_TRUE(s->closed());
}

}  // namespace
