// End-to-end: real `wkit serve` processes, real sockets (TCP and WebSocket),
// the blocking test client. No timing assertions: "nothing more arrived" is
// proven by a later marker message arriving first.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/socket.h>

#include <boost/asio/ip/tcp.hpp>
#include <set>

#include "support/serve_process.hpp"
#include "support/wk_client.hpp"

using namespace wkit;
using namespace wkit::testing;
using namespace std::chrono_literals;

namespace {

proto::Sendack sendack(WkClient& c) {
  auto a = c.expect<proto::Sendack>();
  if (!a) throw std::runtime_error("no SENDACK");
  return *a;
}

int64_t count_rows(const std::string& data_dir, const std::string& where) {
  sqlite3* db = nullptr;
  sqlite3_open_v2((data_dir + "/wkit.db").c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(db, ("SELECT COUNT(*) FROM message WHERE " + where).c_str(), -1, &st, nullptr);
  int64_t n = -1;
  if (st && sqlite3_step(st) == SQLITE_ROW) n = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  sqlite3_close(db);
  return n;
}

}  // namespace

TEST(Serve, HandshakeAtEveryVersionOverTcpAndWebSocket) {
  ServeProcess srv({"--node-id", "7"});
  for (const std::string& url : {srv.tcp(), srv.ws()}) {
    for (int v = 2; v <= 6; ++v) {
      WkClient c(url);
      WkClient::ConnectOptions o;
      o.version = v;
      o.device_id = "d" + std::to_string(v);
      auto a = c.handshake("u" + std::to_string(v), o);
      EXPECT_EQ(a.reason_code, 1) << url << " v" << v;
      EXPECT_EQ(a.has_server_version, v > 3) << url << " v" << v;
      if (v > 3) {
        EXPECT_EQ(a.server_version, v);
      }
      if (v >= 4) {
        EXPECT_EQ(a.node_id, 7u);
      }
      EXPECT_EQ(a.salt.size(), 16u);
      c.ping();
      EXPECT_TRUE(c.expect<proto::Pong>().has_value()) << url << " v" << v;
    }
  }
}

TEST(Serve, PersonDeliveryTcpToWebSocket) {
  ServeProcess srv;
  auto bob = login(srv.ws(), "bob", {.version = 2});
  auto alice = login(srv.tcp(), "alice");
  for (uint32_t i = 1; i <= 3; ++i) {
    alice->send("bob", kPerson, "hello " + std::to_string(i), i, "cmn-" + std::to_string(i));
    auto a = sendack(*alice);
    EXPECT_EQ(a.reason_code, 1);
    EXPECT_EQ(a.client_seq, i);
    EXPECT_EQ(a.message_seq, i);
    EXPECT_EQ(a.client_msg_no, "cmn-" + std::to_string(i));
    auto m = recv_one(*bob);
    EXPECT_TRUE(m.msg_key_ok);
    ASSERT_TRUE(m.decrypt_ok);
    EXPECT_EQ(m.plaintext, "hello " + std::to_string(i));
    EXPECT_EQ(m.recv.channel_id, "alice");  // the sender's uid
    EXPECT_EQ(m.recv.from_uid, "alice");
    EXPECT_EQ(m.recv.message_id, a.message_id);
    EXPECT_EQ(m.recv.message_seq, i);
    bob->recvack(m.recv.message_id, m.recv.message_seq);
  }
  EXPECT_EQ(bob->bad_ws_messages(), 0u);
  EXPECT_EQ(srv.stop(), 0);
  EXPECT_EQ(count_rows(srv.data_dir(), "1"), 3);
  // Every event that names a message_id also gives it as a string (jq and
  // JavaScript round integers above 2^53).
  size_t with_id = 0;
  for (auto& e : srv.events()) {
    if (!e.contains("message_id")) continue;
    ++with_id;
    ASSERT_TRUE(e.contains("message_idstr")) << e.dump();
    EXPECT_EQ(e["message_idstr"], std::to_string(e["message_id"].get<int64_t>())) << e.dump();
  }
  EXPECT_GE(with_id, 3u);  // at least the three stored messages
}

TEST(Serve, GroupFanOutSkipsTheSendingConnection) {
  ServeProcess srv({"--group", "g1=alice,bob,carol", "--group", "g2=bob"});
  auto alice = login(srv.tcp(), "alice");
  auto bob = login(srv.ws(), "bob");
  auto carol = login(srv.tcp(), "carol", {.version = 4});
  alice->send("g1", kGroup, "to all", 1, "g-1");
  auto a = sendack(*alice);
  ASSERT_EQ(a.reason_code, 1);
  for (auto* c : {bob.get(), carol.get()}) {
    auto m = recv_one(*c);
    EXPECT_EQ(m.plaintext, "to all");
    EXPECT_EQ(m.recv.channel_id, "g1");
    EXPECT_EQ(m.recv.channel_type, kGroup);
    EXPECT_EQ(m.recv.from_uid, "alice");
    EXPECT_EQ(m.recv.message_id, a.message_id);
    EXPECT_TRUE(m.msg_key_ok);
  }
  // Not a member / no such group.
  alice->send("g2", kGroup, "x", 2, "g-2");
  EXPECT_EQ(sendack(*alice).reason_code, 11);
  alice->send("nope", kGroup, "x", 3, "g-3");
  EXPECT_EQ(sendack(*alice).reason_code, 5);
  // The sender's connection got no RECV: its next frame is the PONG.
  alice->ping();
  auto f = alice->next_frame();
  ASSERT_TRUE(f);
  EXPECT_EQ(f->type(), proto::FrameType::pong);
}

// The lost-SENDACK scenario: the client resends the same message.
static void resend_after_lost_sendack(bool dedup) {
  ServeProcess srv({"--dedup", dedup ? "on" : "off", "--fault", "drop:sendack:nth=1"});
  auto bob = login(srv.tcp(), "bob");
  auto alice = login(srv.tcp(), "alice");
  alice->send("bob", kPerson, "pay 10", 1, "cmn-pay");
  // The SENDACK is dropped; the message was stored and delivered anyway.
  auto first = recv_one(*bob);
  bob->recvack(first.recv.message_id, first.recv.message_seq);
  alice->send("bob", kPerson, "pay 10", 1, "cmn-pay", {.dup = true});
  auto ack = sendack(*alice);
  ASSERT_EQ(ack.reason_code, 1);
  alice->send("bob", kPerson, "marker", 2, "cmn-marker");
  auto marker_ack = sendack(*alice);
  if (dedup) {
    EXPECT_EQ(ack.message_id, first.recv.message_id);
    EXPECT_EQ(ack.message_seq, first.recv.message_seq);
    EXPECT_EQ(marker_ack.message_seq, 2u);
    auto next = recv_one(*bob);
    EXPECT_EQ(next.plaintext, "marker");  // no second "pay 10"
    EXPECT_EQ(srv.events("dedup_hit").size(), 1u);
  } else {
    EXPECT_NE(ack.message_id, first.recv.message_id);
    EXPECT_EQ(ack.message_seq, 2u);
    auto again = recv_one(*bob);
    EXPECT_EQ(again.plaintext, "pay 10");
    EXPECT_EQ(again.recv.client_msg_no, "cmn-pay");
    EXPECT_EQ(again.recv.message_id, ack.message_id);
    EXPECT_EQ(recv_one(*bob).plaintext, "marker");
  }
  auto faults = srv.events("fault");
  ASSERT_EQ(faults.size(), 1u);
  EXPECT_EQ(faults[0]["rule"], "drop:sendack:nth=1");
  EXPECT_EQ(srv.stop(), 0);
  EXPECT_EQ(count_rows(srv.data_dir(), "client_msg_no = 'cmn-pay'"), dedup ? 1 : 2);
}

TEST(Serve, DedupOnResendGetsOriginalIds) { resend_after_lost_sendack(true); }
TEST(Serve, DedupOffResendIsStoredAgain) { resend_after_lost_sendack(false); }

TEST(Serve, SameClientMsgNoDifferentPayloadIsAConflict) {
  ServeProcess srv;
  auto alice = login(srv.tcp(), "alice");
  alice->send("bob", kPerson, "one", 1, "cmn-c");
  EXPECT_EQ(sendack(*alice).reason_code, 1);
  alice->send("bob", kPerson, "two", 2, "cmn-c");
  auto a = sendack(*alice);
  EXPECT_EQ(a.reason_code, 15);
  EXPECT_EQ(a.client_msg_no, "cmn-c");
  EXPECT_EQ(srv.events("dedup_conflict").size(), 1u);
  // Empty client_msg_no is never de-duplicated.
  alice->send("bob", kPerson, "same", 3, "");
  alice->send("bob", kPerson, "same", 4, "");
  auto x = sendack(*alice), y = sendack(*alice);
  EXPECT_EQ(x.reason_code, 1);
  EXPECT_EQ(y.reason_code, 1);
  EXPECT_NE(x.message_id, y.message_id);
}

TEST(Serve, BadMsgKeyIsRefused) {
  ServeProcess srv;
  auto alice = login(srv.ws(), "alice");
  alice->send("bob", kPerson, "x", 1, "k1", {.corrupt_msg_key = true});
  EXPECT_EQ(sendack(*alice).reason_code, 8);
  alice->send("bob", kPerson, "plain", 2, "k2", {.no_encrypt = true});
  EXPECT_EQ(sendack(*alice).reason_code, 1);
}

TEST(Serve, UnackedRecvIsRedeliveredIdentically) {
  ServeProcess srv({"--redeliver-interval", "100ms", "--redeliver-max", "2"});
  auto bob = login(srv.tcp(), "bob");
  auto alice = login(srv.tcp(), "alice");
  alice->send("bob", kPerson, "again?", 1, "cmn-r");
  ASSERT_EQ(sendack(*alice).reason_code, 1);
  auto m1 = recv_one(*bob);
  auto m2 = recv_one(*bob);  // no RECVACK: resent
  auto m3 = recv_one(*bob);
  EXPECT_EQ(m2.frame.bytes(), m1.frame.bytes());
  EXPECT_EQ(m3.frame.bytes(), m1.frame.bytes());
  EXPECT_FALSE(m2.recv.header.dup);
  bob->recvack(m1.recv.message_id, m1.recv.message_seq);
  auto re = srv.events("redeliver");
  ASSERT_GE(re.size(), 2u);
  EXPECT_EQ(re[0]["message_id"], m1.recv.message_id);
  EXPECT_EQ(re[1]["attempt"], 2);
}

TEST(Serve, OfflineMessagesArriveOnConnectUntilAcked) {
  ServeProcess srv;
  {
    auto alice = login(srv.tcp(), "alice");
    for (uint32_t i = 1; i <= 3; ++i) {
      alice->send("bob", kPerson, "offline " + std::to_string(i), i, "off-" + std::to_string(i));
      ASSERT_EQ(sendack(*alice).reason_code, 1);
    }
  }
  {
    auto bob = login(srv.ws(), "bob");
    for (uint64_t i = 1; i <= 3; ++i) {
      auto m = recv_one(*bob);
      EXPECT_EQ(m.recv.message_seq, i);
      EXPECT_EQ(m.plaintext, "offline " + std::to_string(i));
      if (i != 2) bob->recvack(m.recv.message_id, m.recv.message_seq);  // leave #2 unacked
    }
    bob->ping();
    ASSERT_TRUE(bob->expect<proto::Pong>());  // acks were read before the PING
  }
  auto bob = login(srv.tcp(), "bob", {.device_id = "second"});
  auto m = recv_one(*bob);
  EXPECT_EQ(m.plaintext, "offline 2");  // only the unacked one comes back
  bob->recvack(m.recv.message_id, m.recv.message_seq);
  auto alice = login(srv.tcp(), "alice");
  alice->send("bob", kPerson, "live", 9, "live-9");
  EXPECT_EQ(recv_one(*bob).plaintext, "live");
}

TEST(Serve, RestartOnSameDataKeepsIdempotencyAndSequences) {
  TempDir dir;
  std::string data = (dir.path / "data").string();
  int64_t id1 = 0;
  {
    ServeProcess srv({}, data);
    auto alice = login(srv.tcp(), "alice");
    alice->send("bob", kPerson, "before restart", 1, "cmn-restart");
    auto a = sendack(*alice);
    ASSERT_EQ(a.reason_code, 1);
    id1 = a.message_id;
    EXPECT_EQ(srv.stop(), 0);
  }
  ServeProcess srv({}, data);
  auto alice = login(srv.ws(), "alice");
  alice->send("bob", kPerson, "before restart", 1, "cmn-restart");
  auto again = sendack(*alice);
  EXPECT_EQ(again.reason_code, 1);
  EXPECT_EQ(again.message_id, id1);
  EXPECT_EQ(again.message_seq, 1u);
  alice->send("bob", kPerson, "after restart", 2, "cmn-new");
  auto next = sendack(*alice);
  EXPECT_EQ(next.message_seq, 2u);
  EXPECT_GT(next.message_id, id1);
  alice->send("bob", kPerson, "changed", 3, "cmn-restart");
  EXPECT_EQ(sendack(*alice).reason_code, 15);
}

// With a window of 4 keys in memory, resends of keys long out of it are
// answered from the store's on-disk index (DIR/wkit.keys): the original ids,
// a changed payload refused, nothing stored twice; after a clean restart and
// after SIGKILL (the index is written without a WAL and caught up at start).
TEST(Serve, ResendsOlderThanTheDedupWindowAreAnsweredFromTheIndex) {
  TempDir dir;
  const std::string data = (dir.path / "data").string();
  const std::vector<std::string> flags = {"--dedup-window", "4"};
  constexpr int kMessages = 40;
  std::vector<proto::Sendack> first(kMessages);
  auto resend_all = [&](WkClient& alice, const char* when) {
    for (int i = 0; i < kMessages; ++i) {
      alice.send("bob", kPerson, "m" + std::to_string(i), 100 + i, "cmn-" + std::to_string(i), {.dup = true});
      auto a = sendack(alice);
      ASSERT_EQ(a.reason_code, 1) << when << " " << i;
      EXPECT_EQ(a.message_id, first[i].message_id) << when << " " << i;
      EXPECT_EQ(a.message_seq, first[i].message_seq) << when << " " << i;
    }
    alice.send("bob", kPerson, "changed", 200, "cmn-3");
    EXPECT_EQ(sendack(alice).reason_code, 15) << when;
  };
  {
    ServeProcess srv(flags, data);
    auto alice = login(srv.tcp(), "alice");
    for (int i = 0; i < kMessages; ++i) {
      alice->send("bob", kPerson, "m" + std::to_string(i), i + 1, "cmn-" + std::to_string(i));
      first[i] = sendack(*alice);
      ASSERT_EQ(first[i].reason_code, 1);
    }
    resend_all(*alice, "running");
    EXPECT_EQ(srv.stop(), 0);
  }
  {
    ServeProcess srv(flags, data);
    auto alice = login(srv.tcp(), "alice");
    resend_all(*alice, "after restart");
    // New keys, then a crash: they are in SQLite, maybe not yet in the index.
    for (int i = 0; i < 10; ++i) {
      alice->send("bob", kPerson, "late" + std::to_string(i), 300 + i, "late-" + std::to_string(i));
      ASSERT_EQ(sendack(*alice).reason_code, 1);
    }
    srv.process().kill_now();
  }
  ServeProcess srv(flags, data);
  auto alice = login(srv.tcp(), "alice");
  resend_all(*alice, "after SIGKILL");
  for (int i = 0; i < 10; ++i) {
    alice->send("bob", kPerson, "late" + std::to_string(i), 400 + i, "late-" + std::to_string(i));
    ASSERT_EQ(sendack(*alice).reason_code, 1);
  }
  EXPECT_EQ(srv.stop(), 0);
  EXPECT_EQ(count_rows(data, "1"), kMessages + 10);
  EXPECT_EQ(count_rows(data, "client_msg_no LIKE 'late-%'"), 10);
}

TEST(Serve, SecondConnectionOfSameUidAndDeviceFlagKicksTheFirst) {
  ServeProcess srv;
  auto first = login(srv.tcp(), "alice", {.device_flag = 1});
  auto other_flag = login(srv.tcp(), "alice", {.device_flag = 0, .device_id = "app"});
  auto second = login(srv.ws(), "alice", {.device_flag = 1, .device_id = "other"});
  ASSERT_TRUE(first->wait_closed());
  ASSERT_FALSE(first->held().empty());
  auto& last = first->held().back();
  ASSERT_EQ(last.type(), proto::FrameType::disconnect);
  EXPECT_EQ(std::get<proto::Disconnect>(last.frame()).reason_code, 12);
  other_flag->ping();
  EXPECT_TRUE(other_flag->expect<proto::Pong>());
  second->ping();
  EXPECT_TRUE(second->expect<proto::Pong>());
}

TEST(Serve, TokensFileAuthAndEmptyClientKey) {
  TempDir dir;
  std::string tokens = (dir.path / "tokens").string();
  std::ofstream(tokens) << "# users\nalice:secret\nbob:hunter2\n";
  ServeProcess srv({"--tokens", tokens});
  EXPECT_EQ(WkClient(srv.tcp()).handshake("alice", {.token = "secret"}).reason_code, 1);
  EXPECT_EQ(WkClient(srv.tcp()).handshake("alice", {.token = "wrong"}).reason_code, 2);
  EXPECT_EQ(WkClient(srv.ws()).handshake("mallory", {.token = "secret"}).reason_code, 2);
  WkClient nokey(srv.tcp());
  auto a = nokey.handshake("bob", {.token = "hunter2", .empty_client_key = true});
  EXPECT_EQ(a.reason_code, 21);
  EXPECT_TRUE(nokey.wait_closed());
}

TEST(Serve, MalformedInputClosesThatConnectionOnly) {
  ServeProcess srv;
  auto good = login(srv.tcp(), "good");
  auto bad = login(srv.tcp(), "bad");
  bad->write(std::string("\xf0\x01\x02", 3));  // type 15 does not exist
  ASSERT_TRUE(bad->wait_closed());
  ASSERT_FALSE(bad->held().empty());
  EXPECT_EQ(bad->held().back().type(), proto::FrameType::disconnect);
  // Not CONNECT first: closed without an answer.
  WkClient raw(srv.tcp());
  raw.write(std::string("\x70", 1));
  EXPECT_TRUE(raw.wait_closed());
  EXPECT_TRUE(raw.held().empty());
  good->ping();
  EXPECT_TRUE(good->expect<proto::Pong>());
}

TEST(Serve, IdleConnectionsAreClosed) {
  ServeProcess srv({"--idle-timeout", "200ms"});
  auto c = login(srv.tcp(), "sleepy");
  EXPECT_TRUE(c->wait_closed(10s));
  auto d = srv.events("disconnect");
  ASSERT_FALSE(d.empty());
  EXPECT_NE(d[0]["reason"].get<std::string>().find("idle"), std::string::npos);
}

TEST(Serve, WebSocketSendsOneFramePerMessage) {
  ServeProcess srv;
  auto bob = login(srv.ws(), "bob", {.version = 2});
  auto alice = login(srv.tcp(), "alice");
  for (uint32_t i = 1; i <= 50; ++i) alice->send("bob", kPerson, "burst", i, "b-" + std::to_string(i));
  for (int i = 0; i < 50; ++i) {
    auto m = recv_one(*bob);
    EXPECT_TRUE(m.msg_key_ok);
  }
  bob->ping();
  EXPECT_TRUE(bob->expect<proto::Pong>());
  EXPECT_EQ(bob->bad_ws_messages(), 0u);
}

TEST(Serve, SigtermExitsZero) {
  ServeProcess srv({"--in-memory"});
  auto c = login(srv.tcp(), "alice");
  EXPECT_EQ(srv.stop(), 0);
}

TEST(ServeStartup, PortInUseIsExit3) {
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor busy(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
  std::string url = "tcp://127.0.0.1:" + std::to_string(busy.local_endpoint().port());
  Process p({WKIT_BINARY, "serve", "--in-memory", "--listen", url});
  EXPECT_EQ(p.wait_exit(), 3);
  auto err = p.stderr_lines();
  ASSERT_EQ(err.size(), 1u);
  EXPECT_NE(err[0].find(url), std::string::npos) << err[0];
}

TEST(ServeStartup, BadFlagsAreExit2) {
  for (std::vector<std::string> args :
       {std::vector<std::string>{"--fault", "explode:sendack"}, {"--dedup", "maybe"}, {"--listen", "ftp://x:1"}, {"--listen", "http://x:1/api"},
        {"--group", "g1="}, {"--redeliver-interval", "soon"}, {"--node-id", "5000"}}) {
    std::vector<std::string> argv = {WKIT_BINARY, "serve", "--in-memory"};
    argv.insert(argv.end(), args.begin(), args.end());
    Process p(argv);
    EXPECT_EQ(p.wait_exit(), 2) << args[0];
    EXPECT_FALSE(p.stderr_lines().empty());
  }
}

TEST(ServeStartup, UnwritableDataDirIsExit5) {
  TempDir dir;
  std::ofstream(dir.path / "file") << "x";
  Process p({WKIT_BINARY, "serve", "--listen", "tcp://127.0.0.1:0", "--data", (dir.path / "file" / "d").string()});
  EXPECT_EQ(p.wait_exit(), 5);
  auto err = p.stderr_lines();
  ASSERT_EQ(err.size(), 1u);
  EXPECT_NE(err[0].find("data"), std::string::npos) << err[0];
}

TEST(ServeStartup, JsonListeningLines) {
  Process p({WKIT_BINARY, "serve", "--in-memory", "-o", "json", "--listen", "tcp://127.0.0.1:0", "--listen",
             "ws://127.0.0.1:0"});
  std::vector<std::string> urls;
  for (int i = 0; i < 2; ++i) {
    auto line = p.wait_stdout([&](const std::string& l) {
      return l.find("listening") != std::string::npos && std::find(urls.begin(), urls.end(), l) == urls.end();
    });
    ASSERT_TRUE(line);
    auto j = nlohmann::json::parse(*line);
    EXPECT_EQ(j["event"], "listening");
    urls.push_back(*line);
    std::string url = j["url"];
    EXPECT_TRUE(url.rfind(i == 0 ? "tcp://127.0.0.1:" : "ws://127.0.0.1:", 0) == 0) << url;
    EXPECT_EQ(url.find(":0"), std::string::npos);
  }
  EXPECT_EQ(p.signal_and_wait(SIGINT), 0);
}
