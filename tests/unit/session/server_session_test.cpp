#include "wkit/session/server_session.hpp"

#include <gtest/gtest.h>

#include "wkit/proto/codec.hpp"

using namespace wkit;
using namespace wkit::session;
using proto::FrameType;

namespace {

struct Collector : FrameSink {
  std::string buf;
  std::vector<std::string> frames;
  std::string& buffer() override { return buf; }
  void commit() override {
    frames.push_back(buf);
    buf.clear();
  }
};

struct Hooks : ServerHooks {
  uint8_t auth_reason = 1;
  int opens = 0;
  std::vector<std::string> plaintexts;
  std::vector<uint32_t> send_seqs;
  std::vector<int64_t> acks;
  std::vector<std::string> faults;
  std::vector<int> redelivers;
  std::string closed_why;
  std::function<void(ServerSession&, const SendRequest&)> on_send_fn;
  uint8_t authenticate(const ConnectInfo&) override { return auth_reason; }
  void on_open(ServerSession&) override { ++opens; }
  void on_send(ServerSession& s, const SendRequest& r) override {
    plaintexts.emplace_back(r.plaintext);
    send_seqs.push_back(r.frame->client_seq);
    if (on_send_fn) on_send_fn(s, r);
  }
  void on_recvack(ServerSession&, int64_t id, uint64_t) override { acks.push_back(id); }
  void on_fault(ServerSession&, const fault::Decision& d, FrameType, fault::Direction) override {
    faults.push_back(d.rule->text);
  }
  void on_redeliver(ServerSession&, int64_t, uint64_t, int attempt) override { redelivers.push_back(attempt); }
  void on_close(ServerSession&, std::string_view why) override { closed_why = why; }
  std::vector<uint64_t> handshake_timeouts;  // bytes received
  void on_handshake_timeout(ServerSession&, uint64_t bytes) override { handshake_timeouts.push_back(bytes); }
  std::vector<std::pair<int64_t, uint32_t>> pages;  // (after_id, limit) asked for
  void on_page_wanted(ServerSession&, int64_t after, uint32_t limit) override { pages.emplace_back(after, limit); }
};

Now at(int64_t ms) { return Now{ms, 1'700'000'000'000 + ms}; }

// The client half of a session, enough to drive the server.
struct Client {
  crypto::KeyPair kp = crypto::generate_keypair();
  std::optional<crypto::Cipher> cipher;
  int version = 6;

  std::string connect(int v, bool with_key = true) {
    version = v;
    proto::Connect c;
    c.version = static_cast<uint8_t>(v);
    c.device_flag = 1;
    c.device_id = "dev";
    c.uid = "alice";
    c.token = "tok";
    c.client_timestamp = 1'700'000'000'000;
    std::string key = kp.public_base64();
    if (with_key) c.client_key = key;
    return proto::encode_frame(c, v).value();
  }
  proto::Connack accept(const std::string& bytes) {
    auto r = proto::decode_frame(bytes, version == 0 ? 6 : version);  // 3.x reads 0 as 6
    EXPECT_EQ(r.status, proto::DecodeStatus::ok);
    auto a = std::get<proto::Connack>(r.frame);
    if (a.has_server_version) version = a.server_version;
    if (a.reason_code == 1) {
      auto secret = crypto::shared_secret(kp, a.server_key).value();
      cipher.emplace(crypto::SessionKeys::derive(secret, a.salt).value());
    }
    return a;
  }
  std::string send(uint32_t seq, std::string cmn, std::string plain, bool corrupt_key = false) {
    std::string wire;
    cipher->seal(plain, wire);
    std::string key;
    cipher->send_msg_key(seq, cmn, "bob", 1, wire, key);
    if (corrupt_key) key[0] = key[0] == 'a' ? 'b' : 'a';
    proto::Send s;
    s.client_seq = seq;
    s.client_msg_no = cmn;
    s.channel_id = "bob";
    s.channel_type = 1;
    s.msg_key = key;
    s.payload.data = wire;
    return proto::encode_frame(s, version).value();
  }
  template <class T>
  T decode(const std::string& bytes) {
    auto r = proto::decode_frame(bytes, version);
    EXPECT_EQ(r.status, proto::DecodeStatus::ok) << r.error.describe();
    EXPECT_TRUE(std::holds_alternative<T>(r.frame)) << proto::frame_type_name(proto::type_of(r.frame));
    return std::get<T>(r.frame);
  }
};

struct Fixture : ::testing::Test {
  ServerSessionConfig cfg;
  Hooks hooks;
  Collector out;
  Client client;
  std::vector<fault::Rule> rules;
  std::unique_ptr<ServerSession> s;

  void make() {
    cfg.faults = rules;
    cfg.node_id = 9;
    s = std::make_unique<ServerSession>(1, cfg, hooks, out, at(0));
  }
  proto::Connack open(int v = 6) {
    if (!s) make();
    s->feed(client.connect(v), at(1));
    EXPECT_EQ(out.frames.size(), 1u);
    auto a = client.accept(out.frames.at(0));
    out.frames.clear();
    if (s->state() == ServerSession::State::open && cfg.inflight_window > 0) {
      // The owner's store holds no offline messages.
      EXPECT_EQ(hooks.pages.size(), 1u);
      s->page_done(0, false, at(1));
      hooks.pages.clear();
    }
    EXPECT_TRUE(hooks.pages.empty());
    return a;
  }
  Delivery delivery(int64_t id, uint64_t seq, std::string_view payload) {
    Delivery d;
    d.message_id = id;
    d.message_seq = seq;
    d.from_uid = "bob";
    d.channel_id = "bob";
    d.channel_type = 1;
    d.client_msg_no = "cmn-x";
    d.payload = payload;
    d.timestamp = 1700000000;
    return d;
  }
};

}  // namespace

TEST_F(Fixture, HandshakeVersions) {
  struct Case { int client, agreed; bool has_version; };
  for (Case c : {Case{2, 2, false}, Case{3, 3, false}, Case{4, 4, true}, Case{5, 5, true}, Case{6, 6, true},
                 Case{9, 6, true}, Case{0, 6, true}}) {
    s.reset();
    out.frames.clear();
    auto a = open(c.client);
    EXPECT_EQ(a.reason_code, 1) << c.client;
    EXPECT_EQ(a.has_server_version, c.has_version) << c.client;
    if (c.has_version) EXPECT_EQ(a.server_version, c.agreed);
    EXPECT_EQ(s->version(), c.agreed);
    EXPECT_EQ(a.salt.size(), 16u);
    EXPECT_EQ(a.time_diff, 1);
    if (c.agreed >= 4) EXPECT_EQ(a.node_id, 9u);
    EXPECT_EQ(s->state(), ServerSession::State::open);
  }
  EXPECT_EQ(hooks.opens, 7);
}

TEST_F(Fixture, EmptyClientKeyIsReason21AndCloses) {
  make();
  s->feed(client.connect(4, false), at(1));
  ASSERT_EQ(out.frames.size(), 1u);
  client.version = 5;  // failure CONNACKs use the v5 layout without a version byte
  auto a = client.decode<proto::Connack>(out.frames[0]);
  EXPECT_FALSE(a.has_server_version);
  EXPECT_EQ(a.reason_code, 21);
  EXPECT_TRUE(s->closed());
  EXPECT_EQ(hooks.opens, 0);
}

TEST_F(Fixture, AuthRefusal) {
  hooks.auth_reason = 2;
  make();
  s->feed(client.connect(6), at(1));
  client.version = 5;
  EXPECT_EQ(client.decode<proto::Connack>(out.frames.at(0)).reason_code, 2);
  EXPECT_TRUE(s->closed());
}

TEST_F(Fixture, FirstFrameMustBeConnect) {
  make();
  s->feed(std::string("\x70", 1), at(1));
  EXPECT_TRUE(s->closed());
  EXPECT_TRUE(out.frames.empty());
  EXPECT_NE(hooks.closed_why.find("PING"), std::string::npos);
}

TEST_F(Fixture, SendVerifiedAndDecryptedInAnyChunking) {
  open(4);
  std::string bytes = client.send(1, "c1", "hello") + client.send(2, "c2", "world");
  for (char ch : bytes) s->feed(std::string_view(&ch, 1), at(2));
  EXPECT_EQ(hooks.plaintexts, (std::vector<std::string>{"hello", "world"}));
  EXPECT_TRUE(out.frames.empty());  // the owner answers
  s->sendack(77, 2, 5, 1, "c2", at(3));
  auto a = client.decode<proto::Sendack>(out.frames.at(0));
  EXPECT_EQ(a.message_id, 77);
  EXPECT_EQ(a.client_seq, 2u);
  EXPECT_EQ(a.message_seq, 5u);
  EXPECT_EQ(a.client_msg_no, "c2");
}

TEST_F(Fixture, BadMsgKeyIsReason8BadPayloadIsReason9) {
  open(6);
  s->feed(client.send(1, "c1", "hello", true), at(2));
  ASSERT_EQ(out.frames.size(), 1u);
  EXPECT_EQ(client.decode<proto::Sendack>(out.frames[0]).reason_code, 8);
  // A payload that is not base64 of AES blocks, with a matching msg_key.
  std::string key;
  client.cipher->send_msg_key(2, "c2", "bob", 1, "!!notbase64!!", key);
  proto::Send snd;
  snd.client_seq = 2;
  snd.client_msg_no = "c2";
  snd.channel_id = "bob";
  snd.channel_type = 1;
  snd.msg_key = key;
  snd.payload.data = "!!notbase64!!";
  s->feed(proto::encode_frame(snd, 6).value(), at(3));
  ASSERT_EQ(out.frames.size(), 2u);
  EXPECT_EQ(client.decode<proto::Sendack>(out.frames[1]).reason_code, 9);
  EXPECT_TRUE(hooks.plaintexts.empty());
  // NoEncrypt: neither check, the payload is the plaintext.
  snd.setting.bits = proto::Setting::kNoEncrypt;
  snd.msg_key = "";
  snd.payload.data = "plain";
  s->feed(proto::encode_frame(snd, 6).value(), at(4));
  EXPECT_EQ(hooks.plaintexts, (std::vector<std::string>{"plain"}));
  EXPECT_FALSE(s->closed());
}

TEST_F(Fixture, PingPong) {
  open(2);
  s->feed(std::string("\x70", 1), at(2));
  ASSERT_EQ(out.frames.size(), 1u);
  EXPECT_EQ(out.frames[0], std::string("\x80", 1));
}

TEST_F(Fixture, DeliverEncryptsPerConnectionAndRedeliversIdentically) {
  cfg.redeliver_interval_ms = 1000;
  cfg.redeliver_max = 2;
  open(6);
  s->deliver(delivery(500, 3, "secret"), at(10));
  ASSERT_EQ(out.frames.size(), 1u);
  auto r = client.decode<proto::Recv>(out.frames[0]);
  std::string plain, key;
  ASSERT_FALSE(client.cipher->open(r.payload.data, plain));
  EXPECT_EQ(plain, "secret");
  client.cipher->recv_msg_key(r.message_id, r.message_seq, r.client_msg_no, r.timestamp, r.from_uid, r.channel_id,
                              r.channel_type, r.payload.data, key);
  EXPECT_EQ(key, r.msg_key);
  EXPECT_EQ(s->next_deadline(), 1010);
  s->tick(at(500));
  EXPECT_EQ(out.frames.size(), 1u);
  s->tick(at(1010));
  ASSERT_EQ(out.frames.size(), 2u);
  EXPECT_EQ(out.frames[1], out.frames[0]);  // identical bytes, no DUP bit
  s->tick(at(2010));
  s->tick(at(3010));  // redeliver_max reached: no third resend
  s->tick(at(9000));
  EXPECT_EQ(out.frames.size(), 3u);
  EXPECT_EQ(hooks.redelivers, (std::vector<int>{1, 2}));
  EXPECT_EQ(s->unacked(), 0u);
}

TEST_F(Fixture, RecvackStopsRedelivery) {
  cfg.redeliver_interval_ms = 1000;
  open(5);
  s->deliver(delivery(501, 4, "x"), at(10));
  s->deliver(delivery(501, 4, "x"), at(11));  // already outstanding: not sent twice
  EXPECT_EQ(out.frames.size(), 1u);
  proto::Recvack ack;
  ack.message_id = 501;
  ack.message_seq = 4;
  s->feed(proto::encode_frame(ack, 5).value(), at(20));
  EXPECT_EQ(hooks.acks, (std::vector<int64_t>{501}));
  s->tick(at(5000));
  EXPECT_EQ(out.frames.size(), 1u);
}

TEST_F(Fixture, IdleTimeoutCloses) {
  cfg.idle_timeout_ms = 3000;
  open(6);
  s->tick(at(2000));
  EXPECT_FALSE(s->closed());
  s->feed(std::string("\x70", 1), at(2500));  // inbound data resets the clock
  s->tick(at(5000));
  EXPECT_FALSE(s->closed());
  EXPECT_EQ(s->next_deadline(), 5500);
  s->tick(at(5500));
  EXPECT_TRUE(s->closed());
  EXPECT_NE(hooks.closed_why.find("idle"), std::string::npos);
}

TEST_F(Fixture, MalformedFrameGetsDisconnectAndCloses) {
  open(6);
  s->feed(std::string("\x70\x00", 2), at(2));  // PING with a stray length byte: type 0 follows
  EXPECT_TRUE(s->closed());
  ASSERT_GE(out.frames.size(), 2u);  // PONG, then DISCONNECT
  auto d = client.decode<proto::Disconnect>(out.frames.back());
  EXPECT_NE(std::string(d.reason).find("invalid frame type 0"), std::string::npos) << d.reason;
}

TEST_F(Fixture, UnexpectedServerFrameFromClientCloses) {
  open(6);
  proto::Sendack a;
  a.client_seq = 1;
  s->feed(proto::encode_frame(a, 6).value(), at(2));
  EXPECT_TRUE(s->closed());
  EXPECT_EQ(client.decode<proto::Disconnect>(out.frames.at(0)).reason_code, 0);
}

TEST_F(Fixture, KickSendsReason12) {
  open(6);
  s->kick(12, "another connection of alice/web", at(5));
  EXPECT_EQ(client.decode<proto::Disconnect>(out.frames.at(0)).reason_code, 12);
  EXPECT_TRUE(s->closed());
  s->sendack(1, 1, 1, 1, "", at(6));  // nothing after close
  EXPECT_EQ(out.frames.size(), 1u);
}

TEST_F(Fixture, FaultDropFirstSendack) {
  rules.push_back(fault::parse_rule("drop:sendack:nth=1").value());
  open(6);
  s->sendack(1, 1, 1, 1, "a", at(2));
  s->sendack(1, 1, 1, 1, "a", at(3));
  ASSERT_EQ(out.frames.size(), 1u);
  EXPECT_EQ(hooks.faults, (std::vector<std::string>{"drop:sendack:nth=1"}));
}

TEST_F(Fixture, FaultDelayAndDupAndReset) {
  rules.push_back(fault::parse_rule("delay:sendack:nth=1,ms=300").value());
  rules.push_back(fault::parse_rule("dup:pong").value());
  rules.push_back(fault::parse_rule("reset:sendack:nth=3").value());
  open(6);
  s->sendack(1, 1, 1, 1, "", at(100));
  EXPECT_TRUE(out.frames.empty());
  EXPECT_EQ(s->next_deadline(), 400);
  s->tick(at(399));
  EXPECT_TRUE(out.frames.empty());
  s->tick(at(400));
  ASSERT_EQ(out.frames.size(), 1u);
  s->feed(std::string("\x70", 1), at(401));
  EXPECT_EQ(out.frames.size(), 3u);  // PONG twice
  s->sendack(2, 2, 2, 1, "", at(402));
  EXPECT_EQ(out.frames.size(), 4u);
  s->sendack(3, 3, 3, 1, "", at(403));
  EXPECT_EQ(out.frames.size(), 4u);
  EXPECT_TRUE(s->closed());
}

TEST_F(Fixture, InboundDupSendIsHandledTwice) {
  rules.push_back(fault::parse_rule("dup:send:nth=1").value());
  open(6);
  s->feed(client.send(1, "c1", "once"), at(2));
  EXPECT_EQ(hooks.plaintexts, (std::vector<std::string>{"once", "once"}));
}

TEST_F(Fixture, TricklingConnectIsClosedAtTheHandshakeDeadline) {
  cfg.handshake_timeout_ms = 4000;
  make();
  EXPECT_EQ(s->next_deadline(), 4000);
  std::string connect = client.connect(6);
  // One byte a second: every byte is "activity", but the CONNECT never completes in time.
  for (int64_t t = 1000; t < 4000; t += 1000) {
    s->feed(connect.substr(static_cast<size_t>(t / 1000 - 1), 1), at(t));
    s->tick(at(t));
    EXPECT_FALSE(s->closed()) << t;
    EXPECT_EQ(s->next_deadline(), 4000) << "the deadline does not move with activity";
  }
  s->tick(at(4000));
  EXPECT_TRUE(s->closed());
  EXPECT_EQ(hooks.handshake_timeouts, (std::vector<uint64_t>{3}));
  EXPECT_NE(hooks.closed_why.find("handshake timeout"), std::string::npos) << hooks.closed_why;
  EXPECT_TRUE(out.frames.empty());
  EXPECT_EQ(hooks.opens, 0);
}

TEST_F(Fixture, HandshakeDeadlineEndsWithTheConnect) {
  cfg.handshake_timeout_ms = 4000;
  cfg.idle_timeout_ms = 0;
  open(6);
  EXPECT_EQ(s->next_deadline(), INT64_MAX);
  s->tick(at(10'000));
  EXPECT_FALSE(s->closed());
  EXPECT_TRUE(hooks.handshake_timeouts.empty());
}

TEST_F(Fixture, NoHandshakeDeadlineByDefault) {
  cfg.idle_timeout_ms = 0;
  make();
  EXPECT_EQ(s->next_deadline(), INT64_MAX);
  s->tick(at(60'000));
  EXPECT_FALSE(s->closed());
}

namespace {

proto::Recvack recvack(int64_t id, uint64_t seq) {
  proto::Recvack a;
  a.message_id = id;
  a.message_seq = seq;
  return a;
}

// A sink whose transport has written only `written` of the frames committed.
struct SlowSink : Collector {
  uint64_t written = 0;
  uint64_t frames_committed() const override { return frames.size(); }
  uint64_t frames_written() const override { return written; }
};

}  // namespace

TEST_F(Fixture, OfflineBacklogIsAskedForAtOpenAndLiveWaitsForIt) {
  cfg.inflight_window = 4;
  make();
  s->feed(client.connect(6), at(1));
  client.accept(out.frames.at(0));
  out.frames.clear();
  ASSERT_EQ(hooks.pages, (std::vector<std::pair<int64_t, uint32_t>>{{0, 4}}));
  EXPECT_TRUE(s->behind());
  // A live message while the backlog is being read stays in the store.
  EXPECT_EQ(s->deliver(delivery(900, 9, "live"), at(2)), DeliverResult::deferred);
  EXPECT_TRUE(out.frames.empty());
  // The page: two stored messages (the live one among them), fewer than asked.
  EXPECT_EQ(s->deliver(delivery(800, 8, "old"), at(3), ServerSession::Origin::page), DeliverResult::sent);
  EXPECT_EQ(s->deliver(delivery(900, 9, "live"), at(3), ServerSession::Origin::page), DeliverResult::sent);
  s->page_done(2, false, at(3));
  EXPECT_FALSE(s->behind());
  EXPECT_EQ(hooks.pages.size(), 1u);
  ASSERT_EQ(out.frames.size(), 2u);
  EXPECT_EQ(client.decode<proto::Recv>(out.frames[0]).message_id, 800);
  EXPECT_EQ(client.decode<proto::Recv>(out.frames[1]).message_id, 900);
  // Caught up: live messages go out at once.
  EXPECT_EQ(s->deliver(delivery(901, 10, "next"), at(4)), DeliverResult::sent);
  EXPECT_EQ(out.frames.size(), 3u);
}

TEST_F(Fixture, WindowBoundsUnackedRecvsAndAcksRefillItFromTheStore) {
  cfg.inflight_window = 3;
  open(6);
  for (int64_t id = 1; id <= 5; ++id) {
    auto r = s->deliver(delivery(id, id, "m"), at(10));
    EXPECT_EQ(r, id <= 3 ? DeliverResult::sent : DeliverResult::deferred) << id;
  }
  EXPECT_EQ(out.frames.size(), 3u);
  EXPECT_EQ(s->unacked(), 3u);
  EXPECT_TRUE(s->behind());
  EXPECT_TRUE(hooks.pages.empty());  // no room: nothing to ask for yet
  // A copy for the sender's other device is not stored for it: dropped, not deferred.
  Delivery copy = delivery(6, 6, "copy");
  copy.stored = false;
  EXPECT_EQ(s->deliver(copy, at(11)), DeliverResult::dropped);

  s->feed(proto::encode_frame(recvack(1, 1), 6).value(), at(20));
  EXPECT_TRUE(hooks.pages.empty());  // one free slot: less than half the window
  s->feed(proto::encode_frame(recvack(2, 2), 6).value(), at(21));
  // Two free: the next page, after the last stored message handed over (3).
  ASSERT_EQ(hooks.pages, (std::vector<std::pair<int64_t, uint32_t>>{{3, 2}}));
  // Live messages still wait while the page is being read.
  EXPECT_EQ(s->deliver(delivery(7, 7, "m"), at(22)), DeliverResult::deferred);
  EXPECT_EQ(s->deliver(delivery(4, 4, "m"), at(23), ServerSession::Origin::page), DeliverResult::sent);
  EXPECT_EQ(s->deliver(delivery(5, 5, "m"), at(23), ServerSession::Origin::page), DeliverResult::sent);
  s->page_done(2, false, at(23));  // a full page: maybe more
  EXPECT_TRUE(s->behind());
  EXPECT_EQ(s->unacked(), 3u);
  EXPECT_EQ(out.frames.size(), 5u);
  EXPECT_EQ(hooks.pages.size(), 1u);  // window full again

  for (int64_t id : {3, 4, 5}) s->feed(proto::encode_frame(recvack(id, id), 6).value(), at(30));
  ASSERT_EQ(hooks.pages.size(), 2u);
  EXPECT_EQ(hooks.pages[1], (std::pair<int64_t, uint32_t>{5, 2}));  // asked at 2 free; the third ack came during it
  EXPECT_EQ(s->deliver(delivery(7, 7, "m"), at(31), ServerSession::Origin::page), DeliverResult::sent);
  s->page_done(1, false, at(31));
  EXPECT_FALSE(s->behind());
  EXPECT_EQ(s->deliver(delivery(8, 8, "m"), at(32)), DeliverResult::sent);
  EXPECT_EQ(out.frames.size(), 7u);
  EXPECT_EQ(hooks.acks, (std::vector<int64_t>{1, 2, 3, 4, 5}));
}

TEST_F(Fixture, PageItemsBeyondTheWindowAreReadAgainLater) {
  cfg.inflight_window = 2;
  make();
  s->feed(client.connect(6), at(1));
  out.frames.clear();
  ASSERT_EQ(hooks.pages.size(), 1u);
  EXPECT_EQ(s->deliver(delivery(1, 1, "m"), at(2), ServerSession::Origin::page), DeliverResult::sent);
  EXPECT_EQ(s->deliver(delivery(2, 2, "m"), at(2), ServerSession::Origin::page), DeliverResult::sent);
  // An owner that hands over more than asked: the surplus is not sent.
  EXPECT_EQ(s->deliver(delivery(3, 3, "m"), at(2), ServerSession::Origin::page), DeliverResult::deferred);
  s->page_done(1, false, at(2));  // short, but an item did not fit: still behind
  EXPECT_TRUE(s->behind());
  s->feed(proto::encode_frame(recvack(1, 1), 6).value(), at(3));
  ASSERT_EQ(hooks.pages.size(), 2u);
  EXPECT_EQ(hooks.pages[1].first, 2);  // 3 is read again
}

TEST_F(Fixture, NoWindowNoPagingForAnOwnerWithoutAStore) {
  cfg.inflight_window = 0;
  cfg.redeliver_max = 0;
  open(6);
  EXPECT_FALSE(s->behind());
  for (int64_t id = 1; id <= 2000; ++id) EXPECT_EQ(s->deliver(delivery(id, id, "m"), at(10)), DeliverResult::sent);
  EXPECT_EQ(out.frames.size(), 2000u);
  EXPECT_EQ(s->unacked(), 0u);  // nothing kept per RECV
  EXPECT_TRUE(hooks.pages.empty());
}

TEST_F(Fixture, NoRedeliveryWhileTheRecvIsStillQueued) {
  cfg.redeliver_interval_ms = 1000;
  cfg.redeliver_max = 2;
  SlowSink slow;
  cfg.faults = rules;
  s = std::make_unique<ServerSession>(1, cfg, hooks, slow, at(0));
  s->feed(client.connect(6), at(1));
  client.accept(slow.frames.at(0));
  slow.frames.clear();
  s->page_done(0, false, at(1));
  slow.written = 0;  // nothing written: the CONNACK and the RECV are both still queued
  EXPECT_EQ(s->deliver(delivery(500, 3, "x"), at(10)), DeliverResult::sent);
  ASSERT_EQ(slow.frames.size(), 1u);
  for (int64_t t = 1010; t <= 10'010; t += 1000) s->tick(at(t));
  EXPECT_EQ(slow.frames.size(), 1u);  // never queued twice
  EXPECT_TRUE(hooks.redelivers.empty());
  EXPECT_EQ(s->unacked(), 1u);  // nor given up: no attempt was used
  slow.written = slow.frames.size();  // the transport caught up
  s->tick(at(11'010));
  ASSERT_EQ(slow.frames.size(), 2u);
  EXPECT_EQ(slow.frames[1], slow.frames[0]);
  EXPECT_EQ(hooks.redelivers, (std::vector<int>{1}));
  s->tick(at(12'010));  // the resend itself is queued again
  EXPECT_EQ(slow.frames.size(), 2u);
}
