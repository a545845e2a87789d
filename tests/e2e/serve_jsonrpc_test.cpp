// End-to-end: JSON-RPC clients (the EasySDK protocol) against a real
// `wkit serve`, beside binary WKProto clients: connect, send/ack, recv/recvack,
// ping, resends with the same clientMsgNo (dedup on and off), a lost send
// result, redelivery, offline delivery, each generation's payload form, and
// malformed input. "Nothing more arrived" is proven by a later marker
// message arriving first; no timing assertions.
#include <gtest/gtest.h>

#include "support/api_serve.hpp"
#include "support/http_client.hpp"
#include "support/jsonrpc_client.hpp"
#include "support/serve_process.hpp"
#include "support/wk_client.hpp"
#include "wkit/crypto/crypto.hpp"

using namespace wkit;
using namespace wkit::testing;
using json = nlohmann::json;

namespace {

std::unique_ptr<JsonRpcClient> json_login(const std::string& url, const std::string& uid) {
  auto c = std::make_unique<JsonRpcClient>(url);
  json r = c->connect(uid);
  if (r["reasonCode"] != 1) throw std::runtime_error("connect " + uid + " refused: " + r.dump());
  return c;
}

json next_recv(JsonRpcClient& c) {
  for (;;) {
    auto m = c.next_notification();
    if (!m) throw std::runtime_error("no recv");
    if ((*m)["method"] == "recv") return (*m)["params"];
  }
}

json send_ok(JsonRpcClient& c, const std::string& to, const std::string& text, const std::string& cmn) {
  auto r = c.send(to, kPerson, crypto::base64_encode(text), cmn);
  if (!r || !r->contains("result")) throw std::runtime_error("send: " + (r ? r->dump() : std::string("no answer")));
  return (*r)["result"];
}

}  // namespace

TEST(ServeJsonRpc, JsonRpcAndWkprotoClientsTalkToEachOther) {
  ServeProcess srv;
  auto alice = json_login(srv.ws(), "alice");
  auto bob = login(srv.tcp(), "bob");

  // JSON-RPC -> WKProto: bob gets the payload, encrypted for his session.
  json ack = send_ok(*alice, "bob", R"({"type":1,"content":"hi bob"})", "cmn-a1");
  EXPECT_EQ(ack["reasonCode"], 1);
  ASSERT_TRUE(ack["messageId"].is_string());
  auto got = recv_one(*bob);
  EXPECT_TRUE(got.msg_key_ok);
  EXPECT_EQ(got.plaintext, R"({"type":1,"content":"hi bob"})");
  EXPECT_EQ(got.recv.client_msg_no, "cmn-a1");
  EXPECT_EQ(std::to_string(got.recv.message_id), ack["messageId"].get<std::string>());
  EXPECT_EQ(got.recv.from_uid, "alice");
  bob->recvack(got.recv.message_id, got.recv.message_seq);

  // WKProto -> JSON-RPC: alice gets it in clear, base64, with the ids.
  bob->send("alice", kPerson, "hello alice", 1, "cmn-b1");
  auto back = bob->expect<proto::Sendack>();
  ASSERT_TRUE(back);
  json r = next_recv(*alice);
  EXPECT_EQ(r["fromUid"], "bob");
  EXPECT_EQ(r["channelId"], "bob");
  EXPECT_EQ(r["channelType"], kPerson);
  EXPECT_EQ(r["clientMsgNo"], "cmn-b1");
  EXPECT_EQ(r["messageId"], std::to_string(back->message_id));
  EXPECT_EQ(crypto::base64_decode(r["payload"].get<std::string>()).value(), "hello alice");
  alice->recvack(r);

  auto pong = alice->request("ping", json::object());
  ASSERT_TRUE(pong);
  EXPECT_TRUE(pong->contains("result"));
  EXPECT_EQ(alice->bad_ws_messages(), 0u);
  EXPECT_EQ(srv.stop(), 0);
}

// A send whose result was lost is sent again with the same clientMsgNo.
static void resend_after_lost_result(bool dedup) {
  ServeProcess srv({"--dedup", dedup ? "on" : "off", "--fault", "drop:sendack:nth=1"});
  auto bob = json_login(srv.ws(), "bob");
  auto alice = json_login(srv.ws(), "alice");
  const std::string payload = crypto::base64_encode("pay 10");
  const json params = {{"clientMsgNo", "cmn-pay"}, {"channelId", "bob"}, {"channelType", kPerson}, {"payload", payload}};
  alice->write(json{{"method", "send"}, {"id", "lost-1"}, {"params", params}}.dump());
  json first = next_recv(*bob);
  bob->recvack(first);
  // Dropped by the fault: no answer ever comes (the wait only bounds the test).
  EXPECT_FALSE(alice->response_to("lost-1", std::chrono::seconds(1)));
  auto again = alice->request("send", params);
  ASSERT_TRUE(again && again->contains("result")) << (again ? again->dump() : "no answer");
  json ack = (*again)["result"];
  send_ok(*alice, "bob", "marker", "cmn-marker");
  // The next recv that is not a redelivery of the first (same messageId).
  auto next_new = [&] {
    json m = next_recv(*bob);
    while (m["messageId"] == first["messageId"]) m = next_recv(*bob);
    return m;
  };
  if (dedup) {
    EXPECT_EQ(ack["messageId"], first["messageId"]);
    EXPECT_EQ(ack["messageSeq"], first["messageSeq"]);
    EXPECT_EQ(next_new()["clientMsgNo"], "cmn-marker");  // no second "pay 10"
  } else {
    EXPECT_NE(ack["messageId"], first["messageId"]);
    json dup = next_new();
    EXPECT_EQ(dup["clientMsgNo"], "cmn-pay");
    EXPECT_EQ(dup["messageId"], ack["messageId"]);
    bob->recvack(dup);
    json marker = next_recv(*bob);
    while (marker["messageId"] == dup["messageId"]) marker = next_recv(*bob);
    EXPECT_EQ(marker["clientMsgNo"], "cmn-marker");
  }
  EXPECT_EQ(srv.stop(), 0);
}

TEST(ServeJsonRpc, DedupOnResendGetsTheOriginalIds) { resend_after_lost_result(true); }
TEST(ServeJsonRpc, DedupOffResendIsStoredAgain) { resend_after_lost_result(false); }

TEST(ServeJsonRpc, UnackedRecvIsRedeliveredIdenticallyAndOfflineMessagesArriveOnConnect) {
  ServeProcess srv({"--redeliver-interval", "200ms"});
  auto alice = login(srv.tcp(), "alice");
  // carol is offline: her message waits in the store.
  alice->send("carol", kPerson, "while you were away", 1, "cmn-off");
  ASSERT_TRUE(alice->expect<proto::Sendack>());
  auto carol = json_login(srv.ws(), "carol");
  json first = next_recv(*carol);
  EXPECT_EQ(first["clientMsgNo"], "cmn-off");
  // No recvack: the same recv comes again.
  json second = next_recv(*carol);
  EXPECT_EQ(second, first);
  carol->recvack(second);
  alice->send("carol", kPerson, "marker", 2, "cmn-marker");
  ASSERT_TRUE(alice->expect<proto::Sendack>());
  json next = next_recv(*carol);
  // Redeliveries already on the wire may still come; the ack stops later ones.
  while (next["clientMsgNo"] == "cmn-off") next = next_recv(*carol);
  EXPECT_EQ(next["clientMsgNo"], "cmn-marker");
  carol->recvack(next);
  EXPECT_EQ(srv.stop(), 0);
}

TEST(ServeJsonRpc, OlderGenerationEmbedsJsonPayloads) {
  ServeProcess srv({"--jsonrpc-compat", "2.2", "--in-memory"});
  auto bob = json_login(srv.ws(), "bob");
  auto alice = json_login(srv.ws(), "alice");
  // A 2.2 client writes the payload as embedded JSON.
  auto r = alice->send("bob", kPerson, json{{"type", 1}, {"content", "hi"}}, "cmn-1");
  ASSERT_TRUE(r && r->contains("result")) << (r ? r->dump() : "no answer");
  json got = next_recv(*bob);
  EXPECT_EQ(got["payload"], (json{{"type", 1}, {"content", "hi"}}));
  EXPECT_EQ(srv.stop(), 0);
}

TEST(ServeJsonRpc, MalformedInputGetsErrorsAndTheConnectionKeepsWorkingOverTcp) {
  ServeProcess srv({"--in-memory"});
  auto alice = json_login(srv.tcp(), "alice");
  alice->write(R"({"method":"nope","id":"x-1","params":{}})");
  auto e1 = alice->response_to("x-1");
  ASSERT_TRUE(e1);
  EXPECT_EQ((*e1)["error"]["code"], -32601);
  alice->write("this is not JSON ");
  auto e2 = alice->next_object();
  ASSERT_TRUE(e2);
  EXPECT_EQ((*e2)["error"]["code"], -32700);
  alice->write(R"({"method":"send","id":"x-2","params":{"channelId":"bob","channelType":"one"}})");
  auto e3 = alice->response_to("x-2");
  ASSERT_TRUE(e3);
  EXPECT_EQ((*e3)["error"]["code"], -32602);
  // Still served: a send and a ping.
  json ack = send_ok(*alice, "bob", "after the errors", "cmn-ok");
  EXPECT_EQ(ack["reasonCode"], 1);
  EXPECT_TRUE(alice->request("ping", json::object()));
  EXPECT_EQ(srv.events("jsonrpc_error").size(), 3u);
  EXPECT_EQ(srv.stop(), 0);
}

TEST(ServeJsonRpc, OffMeansWkprotoOnly) {
  ServeProcess srv({"--jsonrpc", "off", "--in-memory"});
  JsonRpcClient c(srv.ws());
  c.write(R"({"method":"connect","id":"c-1","params":{"uid":"alice","token":"t"}})");
  EXPECT_TRUE(c.wait_closed());
  EXPECT_EQ(srv.stop(), 0);
}

TEST(ServeJsonRpc, HttpApiSendsReachJsonRpcClients) {
  ApiServe srv;  // tcp:// and http://; JSON-RPC over plain TCP, as 2.x allows
  auto bob = json_login(srv.tcp(), "bob");
  const std::string body = json{{"from_uid", "alice"}, {"channel_id", "bob"}, {"channel_type", kPerson},
                                {"client_msg_no", "cmn-http"}, {"payload", crypto::base64_encode("from the backend")}}
                               .dump();
  auto sent = http_post(srv.http(), "/message/send", body);
  ASSERT_EQ(sent.status, 200) << sent.body;
  json got = next_recv(*bob);
  EXPECT_EQ(got["fromUid"], "alice");
  EXPECT_EQ(got["clientMsgNo"], "cmn-http");
  EXPECT_EQ(got["messageId"], sent.json()["message_idstr"]);
  EXPECT_EQ(crypto::base64_decode(got["payload"].get<std::string>()).value(), "from the backend");
  bob->recvack(got);
  EXPECT_EQ(srv.stop(), 0);
}
