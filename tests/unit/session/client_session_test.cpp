// The client session against a server side built in the test from the codec
// and crypto (the same steps a WuKongIM server takes).
#include <gtest/gtest.h>

#include "wkit/proto/codec.hpp"
#include "wkit/proto/stream_decoder.hpp"
#include "client_session_support.hpp"
#include "wkit/session/client_session.hpp"

using namespace wkit;
using namespace wkit::session;
using wkit::testing::expect_event;

namespace {

struct FakeServerSide {
  crypto::KeyPair kp = crypto::generate_keypair();
  std::string salt = "abcdefghABCDEFGH";
  std::unique_ptr<crypto::Cipher> cipher;

  // Decodes the client's CONNECT and answers a CONNACK at `version`.
  std::string connack(std::string_view connect_bytes, int answer_version, bool with_version,
                      uint8_t reason = 1, uint64_t node_id = 7) {
    auto d = proto::decode_frame(connect_bytes, 6);
    EXPECT_EQ(d.status, proto::DecodeStatus::ok);
    auto& c = std::get<proto::Connect>(d.frame);
    auto secret = crypto::shared_secret(kp, c.client_key);
    EXPECT_TRUE(secret.ok());
    cipher = std::make_unique<crypto::Cipher>(crypto::SessionKeys::derive(secret.value(), salt).value());
    proto::Connack a;
    a.has_server_version = with_version;
    a.server_version = static_cast<uint8_t>(answer_version);
    a.time_diff = -5;
    a.reason_code = reason;
    std::string key = kp.public_base64();
    a.server_key = key;
    a.salt = salt;
    a.node_id = node_id;
    return proto::encode_frame(a, answer_version).value();
  }
};

ClientConfig cfg(int version = 6, bool encrypt = true) {
  ClientConfig c = wkit::testing::alice_config();
  c.proto_version = version;
  c.encrypt = encrypt;
  return c;
}

// Connects `s` to `srv`, feeding the CONNACK one byte at a time.
ConnackEvent handshake(ClientSession& s, FakeServerSide& srv, int answer_version, bool with_version,
                       uint8_t reason = 1) {
  std::string out;
  s.encode_connect(1700000000000, out);
  auto ack = srv.connack(out, answer_version, with_version, reason);
  for (size_t i = 0; i + 1 < ack.size(); ++i) {
    s.feed(ack.substr(i, 1));
    EXPECT_FALSE(s.poll().has_value());
  }
  s.feed(ack.substr(ack.size() - 1));
  return expect_event<ConnackEvent>(s);
}

TEST(ClientSession, ConnectCarriesIdentityAndKey) {
  ClientSession s(cfg());
  std::string out;
  s.encode_connect(1234, out);
  auto d = proto::decode_frame(out, 6);
  ASSERT_EQ(d.status, proto::DecodeStatus::ok);
  auto& c = std::get<proto::Connect>(d.frame);
  EXPECT_EQ(c.version, 6);
  EXPECT_EQ(c.uid, "alice");
  EXPECT_EQ(c.token, "tok");
  EXPECT_EQ(c.device_id, "dev1");
  EXPECT_EQ(c.device_flag, 1);
  EXPECT_EQ(c.client_timestamp, 1234);
  EXPECT_EQ(c.client_key.size(), 44u);
  EXPECT_EQ(s.state(), ClientSession::State::awaiting_connack);
}

TEST(ClientSession, NegotiatesDownToServerVersion) {
  FakeServerSide srv;
  ClientSession s(cfg(6));
  auto ev = handshake(s, srv, 4, true);
  EXPECT_TRUE(ev.success);
  EXPECT_TRUE(ev.server_sent_version);
  EXPECT_EQ(ev.version, 4);
  EXPECT_EQ(ev.node_id, 7u);  // read at v4, where node_id exists
  EXPECT_EQ(ev.time_diff, -5);
  EXPECT_EQ(s.version(), 4);
}

TEST(ClientSession, OldClientVersionGetsNoVersionByte) {
  FakeServerSide srv;
  ClientSession s(cfg(3));
  auto ev = handshake(s, srv, 3, false);
  EXPECT_TRUE(ev.success);
  EXPECT_FALSE(ev.server_sent_version);
  EXPECT_EQ(ev.version, 3);
  EXPECT_EQ(ev.node_id, 0u);
}

TEST(ClientSession, FailedConnackReportsReason) {
  FakeServerSide srv;
  ClientSession s(cfg(6));
  auto ev = handshake(s, srv, 5, false, 2);  // 3.x: failures in v5 layout, no version byte
  EXPECT_FALSE(ev.success);
  EXPECT_EQ(ev.reason_code, 2);
  EXPECT_EQ(proto::reason_code_name(ev.reason_code), "auth_fail");
  EXPECT_EQ(s.state(), ClientSession::State::failed);
  std::string out;
  EXPECT_FALSE(s.encode_send(SendSpec{"bob", 1, "m1", "hi"}, out).ok());
  EXPECT_TRUE(out.empty());
}

TEST(ClientSession, NonConnackFirstIsAProtocolError) {
  ClientSession s(cfg());
  std::string out;
  s.encode_connect(1, out);
  s.feed(proto::encode_frame(proto::Pong{}, 6).value());
  auto ev = expect_event<ProtocolErrorEvent>(s);
  EXPECT_NE(ev.error.message.find("expected CONNACK"), std::string::npos);
}

TEST(ClientSession, EncryptedSendVerifiesOnTheServerSide) {
  FakeServerSide srv;
  ClientSession s(cfg(6));
  ASSERT_TRUE(handshake(s, srv, 6, true).success);
  std::string out;
  auto seq = s.encode_send(SendSpec{"bob", 1, "cmn-1", "{\"type\":1,\"content\":\"hi\"}"}, out);
  ASSERT_TRUE(seq.ok());
  EXPECT_EQ(seq.value(), 1u);
  auto d = proto::decode_frame(out, 6);
  ASSERT_EQ(d.status, proto::DecodeStatus::ok);
  auto& send = std::get<proto::Send>(d.frame);
  EXPECT_FALSE(send.setting.no_encrypt());
  EXPECT_FALSE(send.header.dup);
  std::string key;
  srv.cipher->send_msg_key(send.client_seq, send.client_msg_no, send.channel_id, send.channel_type,
                           send.payload.data, key);
  EXPECT_EQ(key, send.msg_key);
  std::string plain;
  ASSERT_FALSE(srv.cipher->open(send.payload.data, plain));
  EXPECT_EQ(plain, "{\"type\":1,\"content\":\"hi\"}");

  // A resend keeps client_seq and client_msg_no, sets DUP, same bytes otherwise.
  std::string again;
  ASSERT_EQ(s.encode_send(SendSpec{.channel_id = "bob", .channel_type = 1, .client_msg_no = "cmn-1",
                                   .payload = "{\"type\":1,\"content\":\"hi\"}", .client_seq = 1, .dup = true},
                          again).value(), 1u);
  EXPECT_EQ(again.substr(1), out.substr(1));
  EXPECT_EQ(uint8_t(again[0]), uint8_t(out[0]) | 0x08);
  // The next new message takes the next client_seq.
  std::string next;
  EXPECT_EQ(s.encode_send(SendSpec{"bob", 1, "cmn-2", "x"}, next).value(), 2u);
}

TEST(ClientSession, NoEncryptSetsSettingBit) {
  FakeServerSide srv;
  ClientSession s(cfg(6, false));
  ASSERT_TRUE(handshake(s, srv, 6, true).success);
  std::string out;
  ASSERT_TRUE(s.encode_send(SendSpec{"g1", 2, "m", "plain"}, out).ok());
  auto d = proto::decode_frame(out, 6);
  auto& send = std::get<proto::Send>(d.frame);
  EXPECT_TRUE(send.setting.no_encrypt());
  EXPECT_EQ(send.payload.data, "plain");
  EXPECT_TRUE(send.msg_key.empty());
}

TEST(ClientSession, SendackRecvPingAndSplitFeeding) {
  FakeServerSide srv;
  ClientSession s(cfg(6));
  ASSERT_TRUE(handshake(s, srv, 6, true).success);
  std::string stream;
  proto::Sendack sa;
  sa.message_id = 99;
  sa.client_seq = 1;
  sa.message_seq = 5;
  sa.reason_code = 1;
  sa.client_msg_no = "cmn-1";
  (void)proto::encode_frame(sa, 6, stream);

  std::string wire, key;
  srv.cipher->seal("hello", wire);
  proto::Recv r;
  r.from_uid = "bob";
  r.channel_id = "bob";
  r.channel_type = 1;
  r.client_msg_no = "c9";
  r.message_id = 1234567890123;
  r.message_seq = 0x100000001ull;  // u64 at v6
  r.timestamp = 1700000000;
  srv.cipher->recv_msg_key(r.message_id, r.message_seq, r.client_msg_no, r.timestamp, r.from_uid,
                           r.channel_id, r.channel_type, wire, key);
  r.msg_key = key;
  r.payload.data = wire;
  (void)proto::encode_frame(r, 6, stream);
  // The same RECV with a tampered msg_key.
  std::string bad_key = key;
  bad_key[0] = bad_key[0] == 'a' ? 'b' : 'a';
  r.msg_key = bad_key;
  (void)proto::encode_frame(r, 6, stream);
  (void)proto::encode_frame(proto::Ping{}, 6, stream);

  // Feed in 3-byte chunks; collect events.
  std::vector<int> kinds;
  int ok_recv = 0, bad_recv = 0;
  for (size_t i = 0; i < stream.size(); i += 3) {
    s.feed(stream.substr(i, 3));
    while (auto ev = s.poll()) {
      kinds.push_back(int(ev->index()));
      if (auto* a = std::get_if<SendackEvent>(&*ev)) {
        EXPECT_EQ(a->frame.message_id, 99);
        EXPECT_EQ(a->frame.client_seq, 1u);
        EXPECT_EQ(a->frame.client_msg_no, "cmn-1");
      }
      if (auto* rv = std::get_if<RecvEvent>(&*ev)) {
        if (rv->check == RecvCheck::ok) {
          ++ok_recv;
          EXPECT_EQ(rv->plaintext, "hello");
          EXPECT_EQ(rv->frame.message_seq, 0x100000001ull);
        } else {
          ++bad_recv;
          EXPECT_EQ(rv->check, RecvCheck::msg_key_mismatch);
          EXPECT_TRUE(rv->plaintext.empty());
        }
      }
    }
  }
  EXPECT_EQ(kinds, (std::vector<int>{1, 2, 2, 3}));
  EXPECT_EQ(ok_recv, 1);
  EXPECT_EQ(bad_recv, 1);

  std::string ack;
  s.encode_recvack(1234567890123, 0x100000001ull, ack);
  auto d = proto::decode_frame(ack, 6);
  ASSERT_EQ(d.status, proto::DecodeStatus::ok);
  EXPECT_EQ(std::get<proto::Recvack>(d.frame).message_seq, 0x100000001ull);
}

TEST(ClientSession, BrokenStreamIsAProtocolErrorWithOffset) {
  FakeServerSide srv;
  ClientSession s(cfg(6));
  ASSERT_TRUE(handshake(s, srv, 6, true).success);
  s.feed(std::string("\x70\x00", 2));  // PING, then a stray 0x00 (type 0)
  expect_event<PingEvent>(s);
  auto ev = expect_event<ProtocolErrorEvent>(s);
  ASSERT_TRUE(ev.error.offset.has_value());
  EXPECT_EQ(*ev.error.offset, 1u);
}

}  // namespace
