// ClientSession speaking the JSON-RPC dialect: server JSON in, events out;
// the JSON it emits is parsed and checked member by member.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "client_session_support.hpp"
#include "wkit/session/client_session.hpp"

using namespace wkit;
using namespace wkit::session;
using nlohmann::json;
namespace jsonrpc = wkit::proto::jsonrpc;
using wkit::testing::expect_event;

namespace {

ClientConfig rpc_cfg(jsonrpc::Compat compat = jsonrpc::Compat::v2_2_3) {
  ClientConfig c = wkit::testing::alice_config();
  c.jsonrpc = true;
  c.jsonrpc_compat = compat;
  return c;
}

// A session past a successful connect; returns the connect request it sent.
json connected(ClientSession& s) {
  std::string out;
  s.encode_connect(1700000000000, out);
  EXPECT_EQ(s.state(), ClientSession::State::awaiting_connack);
  s.feed(R"({"jsonrpc":"2.0","id":"c-1","result":{"reasonCode":1,"serverVersion":4,"timeDiff":-3,"nodeId":9}})");
  auto ack = expect_event<ConnackEvent>(s);
  EXPECT_TRUE(ack.success);
  EXPECT_EQ(s.state(), ClientSession::State::connected);
  return json::parse(out);
}

SendSpec spec(uint32_t seq, std::string_view payload = "hi", std::string_view cmn = "cmn-1") {
  SendSpec sp;
  sp.channel_id = "bob";
  sp.channel_type = 1;
  sp.client_msg_no = cmn;
  sp.payload = payload;
  sp.client_seq = seq;
  return sp;
}

}  // namespace

TEST(ClientSessionJsonrpc, ConnectIsARequestAndItsResultAConnack) {
  ClientSession s(rpc_cfg());
  std::string out;
  s.encode_connect(1700000000000, out);
  json c = json::parse(out);
  EXPECT_EQ(c["jsonrpc"], "2.0");
  EXPECT_EQ(c["method"], "connect");
  EXPECT_EQ(c["id"], "c-1");
  EXPECT_EQ(c["params"]["uid"], "alice");
  EXPECT_EQ(c["params"]["token"], "tok");
  EXPECT_EQ(c["params"]["deviceId"], "dev1");
  EXPECT_EQ(c["params"]["deviceFlag"], 1);
  // The result may come in pieces.
  s.feed(R"( {"jsonrpc":"2.0","id":"c-1","res)");
  EXPECT_FALSE(s.poll().has_value());
  s.feed(R"(ult":{"reasonCode":1,"serverVersion":4,"timeDiff":-3,"nodeId":9}})");
  auto ack = expect_event<ConnackEvent>(s);
  EXPECT_TRUE(ack.success);
  EXPECT_TRUE(ack.server_sent_version);
  EXPECT_EQ(ack.version, 4);
  EXPECT_EQ(ack.time_diff, -3);
  EXPECT_EQ(ack.node_id, 9u);
  EXPECT_EQ(s.state(), ClientSession::State::connected);
}

TEST(ClientSessionJsonrpc, RefusedOrErroredConnectFailsTheHandshake) {
  {
    ClientSession s(rpc_cfg());
    std::string out;
    s.encode_connect(1, out);
    s.feed(R"({"id":"c-1","result":{"reasonCode":2}})");
    auto ack = expect_event<ConnackEvent>(s);
    EXPECT_FALSE(ack.success);
    EXPECT_EQ(ack.reason_code, 2);
    EXPECT_EQ(s.state(), ClientSession::State::failed);
  }
  {
    ClientSession s(rpc_cfg());
    std::string out;
    s.encode_connect(1, out);
    s.feed(R"({"jsonrpc":"2.0","id":"c-1","error":{"code":-32600,"message":"bad token"}})");
    auto ack = expect_event<ConnackEvent>(s);
    EXPECT_FALSE(ack.success);
    EXPECT_NE(ack.error.find("JSON-RPC error -32600: bad token"), std::string::npos) << ack.error;
  }
}

TEST(ClientSessionJsonrpc, SendResultsMapBackToTheClientSeqByRequestId) {
  ClientSession s(rpc_cfg());
  connected(s);
  std::string a, b;
  ASSERT_EQ(s.encode_send(spec(5, "hi", "cmn-5"), a).value(), 5u);
  ASSERT_EQ(s.encode_send(spec(9, "yo", "cmn-9"), b).value(), 9u);
  json ja = json::parse(a), jb = json::parse(b);
  EXPECT_EQ(ja["method"], "send");
  EXPECT_EQ(ja["id"], "s-2");
  EXPECT_EQ(jb["id"], "s-3");
  EXPECT_EQ(ja["params"]["clientMsgNo"], "cmn-5");
  EXPECT_EQ(ja["params"]["channelId"], "bob");
  EXPECT_EQ(ja["params"]["channelType"], 1);
  EXPECT_EQ(ja["params"]["payload"], "aGk=");  // base64 at 2.2.3, in clear
  EXPECT_FALSE(ja["params"].contains("clientSeq"));
  EXPECT_EQ(s.pending_rpc_sends(), 2u);
  // Answers out of order, both in one read.
  s.feed(R"({"jsonrpc":"2.0","id":"s-3","result":{"messageId":"900000000000000001","messageSeq":2,"reasonCode":1}})"
         "\n"
         R"({"jsonrpc":"2.0","id":"s-2","result":{"reasonCode":3}})");
  auto first = expect_event<SendackEvent>(s);
  EXPECT_EQ(first.frame.client_seq, 9u);
  EXPECT_EQ(first.frame.message_id, 900000000000000001);
  EXPECT_EQ(first.frame.message_seq, 2u);
  EXPECT_EQ(first.frame.reason_code, 1);
  EXPECT_FALSE(first.rpc_error);
  // A refused send has no messageId: still read as the send's answer.
  auto second = expect_event<SendackEvent>(s);
  EXPECT_EQ(second.frame.client_seq, 5u);
  EXPECT_EQ(second.frame.reason_code, 3);
  EXPECT_EQ(s.pending_rpc_sends(), 0u);
  // A repeated answer to an id already answered is unmatched (client_seq 0).
  s.feed(R"({"id":"s-3","result":{"messageId":"1","reasonCode":1}})");
  EXPECT_EQ(expect_event<SendackEvent>(s).frame.client_seq, 0u);
}

TEST(ClientSessionJsonrpc, AResendGetsANewRequestIdForTheSameMessage) {
  ClientSession s(rpc_cfg());
  connected(s);
  std::string a, b;
  SendSpec again = spec(4);
  ASSERT_TRUE(s.encode_send(spec(4), a).ok());
  again.dup = true;
  ASSERT_TRUE(s.encode_send(again, b).ok());
  json ja = json::parse(a), jb = json::parse(b);
  EXPECT_NE(ja["id"], jb["id"]);
  EXPECT_EQ(ja["params"]["clientMsgNo"], jb["params"]["clientMsgNo"]);
  EXPECT_EQ(jb["params"]["header"]["dup"], true);
  s.feed(R"({"id":")" + jb["id"].get<std::string>() + R"(","result":{"messageId":"7","reasonCode":1}})");
  EXPECT_EQ(expect_event<SendackEvent>(s).frame.client_seq, 4u);
  s.feed(R"({"id":")" + ja["id"].get<std::string>() + R"(","result":{"messageId":"7","reasonCode":1}})");
  EXPECT_EQ(expect_event<SendackEvent>(s).frame.client_seq, 4u);
}

TEST(ClientSessionJsonrpc, ManyUnansweredSendsStillMapBack) {
  ClientSession s(rpc_cfg());
  connected(s);
  std::string out;
  for (uint32_t seq = 1; seq <= 5000; ++seq) ASSERT_TRUE(s.encode_send(spec(seq), out).ok());
  EXPECT_EQ(s.pending_rpc_sends(), 5000u);
  // Request ids run s-2 .. s-5001 for client_seq 1 .. 5000.
  s.feed(R"({"id":"s-4001","result":{"messageId":"5","reasonCode":1}})");
  EXPECT_EQ(expect_event<SendackEvent>(s).frame.client_seq, 4000u);
  s.feed(R"({"id":"s-2","result":{"messageId":"6","reasonCode":1}})");
  EXPECT_EQ(expect_event<SendackEvent>(s).frame.client_seq, 1u);
}

TEST(ClientSessionJsonrpc, AnErrorAnsweringASendFailsThatMessage) {
  ClientSession s(rpc_cfg());
  connected(s);
  std::string out;
  ASSERT_TRUE(s.encode_send(spec(3), out).ok());
  s.feed(R"({"jsonrpc":"2.0","id":"s-2","error":{"code":25,"message":"send_ban"}})");
  auto ack = expect_event<SendackEvent>(s);
  EXPECT_TRUE(ack.rpc_error);
  EXPECT_EQ(ack.frame.client_seq, 3u);
  EXPECT_EQ(ack.frame.reason_code, 25);  // the 3.x gateway's reason code as error code
  EXPECT_EQ(ack.error_code, 25);
  EXPECT_EQ(ack.error_message, "send_ban");
  EXPECT_EQ(s.state(), ClientSession::State::connected);
  ASSERT_TRUE(s.encode_send(spec(4), out).ok());
  s.feed(R"({"jsonrpc":"2.0","id":"s-3","error":{"code":-32602,"message":"invalid params"}})");
  ack = expect_event<SendackEvent>(s);
  EXPECT_EQ(ack.frame.client_seq, 4u);
  EXPECT_EQ(ack.frame.reason_code, 0);
}

TEST(ClientSessionJsonrpc, AnErrorNotAnsweringASendEndsTheSession) {
  ClientSession s(rpc_cfg());
  connected(s);
  s.feed(R"({"jsonrpc":"2.0","error":{"code":-32700,"message":"parse error"}})");
  auto err = expect_event<ProtocolErrorEvent>(s);
  EXPECT_NE(err.error.message.find("JSON-RPC error -32700: parse error"), std::string::npos) << err.error.message;
  EXPECT_EQ(s.state(), ClientSession::State::failed);
}

TEST(ClientSessionJsonrpc, BrokenJsonEndsTheSession) {
  ClientSession s(rpc_cfg());
  connected(s);
  s.feed(R"({"jsonrpc":"2.0","method":"recv","params":{"messageSeq":01}})");
  expect_event<ProtocolErrorEvent>(s);
  EXPECT_EQ(s.state(), ClientSession::State::failed);
}

TEST(ClientSessionJsonrpc, RecvIsInClearAndItsRecvackANotification) {
  ClientSession s(rpc_cfg());
  connected(s);
  s.feed(R"({"jsonrpc":"2.0","method":"recv","params":{"messageId":"123456789012","messageSeq":7,)"
         R"("timestamp":1700000000,"channelId":"alice","channelType":1,"fromUid":"bob",)"
         R"("clientMsgNo":"c-9","payload":"aGVsbG8=","header":{"redDot":true}}})");
  auto rv = expect_event<RecvEvent>(s);
  EXPECT_EQ(rv.check, RecvCheck::not_encrypted);
  EXPECT_EQ(rv.plaintext, "hello");
  EXPECT_EQ(rv.frame.message_id, 123456789012);
  EXPECT_EQ(rv.frame.message_seq, 7u);
  EXPECT_EQ(rv.frame.from_uid, "bob");
  EXPECT_EQ(rv.frame.client_msg_no, "c-9");
  std::string out;
  s.encode_recvack(rv.frame.message_id, rv.frame.message_seq, out);
  json a = json::parse(out);
  EXPECT_EQ(a["method"], "recvack");
  EXPECT_FALSE(a.contains("id"));
  EXPECT_EQ(a["params"]["messageId"], "123456789012");
  EXPECT_EQ(a["params"]["messageSeq"], 7);
}

TEST(ClientSessionJsonrpc, Compat21EmbedsPayloadsAndRecvackIsARequest) {
  ClientSession s(rpc_cfg(jsonrpc::Compat::v2_1));
  connected(s);
  std::string out;
  ASSERT_TRUE(s.encode_send(spec(1, R"({"type":1,"content":"x"})"), out).ok());
  json j = json::parse(out);
  EXPECT_EQ(j["params"]["payload"]["content"], "x");
  // A payload that is not JSON text cannot be sent at 2.1/2.2: nothing is written.
  std::string none;
  EXPECT_FALSE(s.encode_send(spec(2, "not json"), none).ok());
  EXPECT_TRUE(none.empty());
  s.feed(R"({"method":"recv","params":{"messageId":"5","messageSeq":1,"channelId":"a","channelType":1,)"
         R"("fromUid":"b","payload":{"type":1,"content":"hey"}}})");
  auto rv = expect_event<RecvEvent>(s);
  EXPECT_EQ(rv.plaintext, R"({"type":1,"content":"hey"})");
  std::string ack;
  s.encode_recvack(5, 1, ack);
  json a = json::parse(ack);
  EXPECT_EQ(a["method"], "recvack");
  ASSERT_TRUE(a.contains("id"));
  // Its answer (if the server gives one) is no event.
  s.feed(R"({"id":")" + a["id"].get<std::string>() + R"("})");
  EXPECT_FALSE(s.poll().has_value());
  EXPECT_EQ(s.state(), ClientSession::State::connected);
}

TEST(ClientSessionJsonrpc, PingsBothWays) {
  ClientSession s(rpc_cfg());
  connected(s);
  std::string out;
  s.encode_ping(out);
  json p = json::parse(out);
  EXPECT_EQ(p["method"], "ping");
  ASSERT_TRUE(p.contains("id"));
  s.feed(R"({"jsonrpc":"2.0","id":")" + p["id"].get<std::string>() + R"("})");
  expect_event<PongEvent>(s);
  s.feed(R"({"jsonrpc":"2.0","method":"ping","id":"srv-7"})");
  expect_event<PingEvent>(s);
  std::string pong;
  s.encode_pong(pong);
  json a = json::parse(pong);
  EXPECT_EQ(a["id"], "srv-7");
  EXPECT_FALSE(a.contains("method"));
}

TEST(ClientSessionJsonrpc, DisconnectFromTheServer) {
  ClientSession s(rpc_cfg());
  connected(s);
  s.feed(R"({"jsonrpc":"2.0","method":"disconnect","params":{"reasonCode":13,"reason":"kicked"}})");
  auto d = expect_event<DisconnectEvent>(s);
  EXPECT_EQ(d.reason_code, 13);
  EXPECT_EQ(d.reason, "kicked");
  std::string out;
  s.encode_disconnect(0, "", out);
  json j = json::parse(out);
  EXPECT_EQ(j["method"], "disconnect");
  EXPECT_FALSE(j.contains("id"));
}
