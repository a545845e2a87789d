// wkit proxy and capture import over WebSocket, SUB/SUBACK through the proxy,
// and replay --raw: real `wkit` processes, tcpdump on loopback for the pcaps
// (skipped, like proxy_replay_test, where tcpdump cannot capture).
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "support/process.hpp"
#include "support/serve_process.hpp"
#include "support/tcpdump.hpp"
#include "support/wk_client.hpp"
#include "support/wkit_commands.hpp"
#include "wkit/proto/codec.hpp"

using nlohmann::json;
using wkit::testing::Process;
using wkit::testing::ProxyProcess;
using wkit::testing::Done;
using wkit::testing::jsonl;
using wkit::testing::port_of;
using wkit::testing::run_wkit;
using wkit::testing::send_frames;
using wkit::testing::Tcpdump;
using wkit::testing::ServeProcess;
using wkit::testing::TempDir;

namespace {

std::vector<json> events_of(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return jsonl(ss.str());
}

}  // namespace

// Client -> proxy over ws://, proxy -> serve over ws://, the first SENDACK
// dropped: the client resends, the idempotent server gives one message_id,
// and the capture, the events and a tcpdump of the upstream leg all show it.
TEST(ProxyWs, DroppedSendackOverWebSocketOnBothLegs) {
  TempDir dir;
  std::string capture = (dir.path / "ws.wkcap").string(), events = (dir.path / "proxy-events.jsonl").string(),
              pcap = (dir.path / "upstream-ws.pcap").string();
  ServeProcess serve({"--in-memory", "--dedup", "on"});
  Tcpdump tcpdump(pcap, port_of(serve.ws()));
  Done sent;
  {
    ProxyProcess proxy("ws://127.0.0.1:0", serve.ws(),
                       {"--capture", capture, "--fault", "drop:sendack:nth=1", "--events", events});
    ASSERT_EQ(proxy.url().rfind("ws://127.0.0.1:", 0), 0u) << proxy.url();
    sent = run_wkit({"send", "-s", proxy.url(), "-u", "alice", "--to", "bob", "--text", "over websocket",
                     "--retries", "1", "--retry-mode", "on-timeout", "--ack-timeout", "1s", "-o", "jsonl"});
    // The dropped SENDACK leaves an attempt unanswered: the sender alone
    // cannot know whether the server kept one copy, so it exits 1.
    ASSERT_EQ(sent.code, 1) << sent.err << sent.out;
    ASSERT_EQ(proxy.stop(), 0) << proxy.process().stderr_text();
  }
  tcpdump.stop();

  // The client: one message, two attempts, one message_id.
  auto lines = jsonl(sent.out);
  ASSERT_EQ(lines.size(), 2u) << sent.out;
  EXPECT_EQ(lines[0]["attempts"], 2);
  EXPECT_EQ(lines[0]["verdict"], "unverified");
  ASSERT_EQ(lines[0]["message_ids"].size(), 1u);
  const int64_t message_id = lines[0]["message_ids"][0];
  const std::string cmn = lines[0]["client_msg_no"];
  EXPECT_EQ(lines[1]["sends"], 2);
  EXPECT_EQ(lines[1]["duplicate_message_ids"], 0);
  // The server got both SENDs and answered the resend from its dedup index.
  ASSERT_EQ(serve.stop(), 0);  // its events file is complete
  int server_sends = 0;
  for (auto& e : serve.events()) server_sends += e["event"] == "send" && e["client_msg_no"] == cmn;
  EXPECT_EQ(server_sends, 2);

  // The capture: WebSocket on the client side, the dropped SENDACK, the resend.
  auto info = run_wkit({"capture", "info", capture, "-o", "json"});
  ASSERT_EQ(info.code, 0) << info.err;
  auto ij = json::parse(info.out);
  ASSERT_EQ(ij["connections"].size(), 1u);
  EXPECT_EQ(ij["connections"][0]["transport"], "ws");
  EXPECT_EQ(ij["connections"][0]["server_address"], serve.ws());
  ASSERT_EQ(ij["faults"].size(), 1u);
  EXPECT_EQ(ij["faults"][0]["action"], "drop");
  EXPECT_EQ(ij["faults"][0]["frame_type"], "SENDACK");
  ASSERT_EQ(ij["resends"].size(), 1u);
  EXPECT_EQ(ij["resends"][0]["client_msg_no"], cmn);
  EXPECT_EQ(ij["resends"][0]["sends"], 2);
  EXPECT_EQ(ij["resends"][0]["sendacks_dropped"], 1);
  EXPECT_EQ(ij["resends"][0]["message_ids"], json::array({message_id}));
  EXPECT_EQ(ij["plaintext_payloads"], 2);
  // The events: one drop, on the first SENDACK.
  int drops = 0;
  for (auto& e : events_of(events))
    if (e["action"] == "drop") {
      ++drops;
      EXPECT_EQ(e["frame_type"], "SENDACK");
      EXPECT_EQ(e["fault"], "drop:sendack:nth=1");
    }
  EXPECT_EQ(drops, 1);

  // tcpdump's view of the proxy -> serve WebSocket leg decodes to the frames
  // the proxy recorded (a WebSocket pcap imports as WKProto frames).
  if (!tcpdump.running()) GTEST_SKIP() << "pcap part skipped: " << tcpdump.skip_reason();
  auto dec = run_wkit({"decode", "--input", "wkcap", capture, "-o", "jsonl"});
  auto from_pcap = run_wkit({"decode", pcap, "-o", "jsonl"});
  ASSERT_EQ(dec.code, 0) << dec.err;
  ASSERT_EQ(from_pcap.code, 0) << from_pcap.err;
  auto pcap_frames = send_frames(from_pcap.out);
  EXPECT_EQ(pcap_frames.size(), 4u) << from_pcap.out;
  EXPECT_EQ(pcap_frames, send_frames(dec.out));
  auto pinfo = run_wkit({"capture", "info", pcap, "-o", "json"});
  ASSERT_EQ(pinfo.code, 0) << pinfo.err;
  auto pj = json::parse(pinfo.out);
  ASSERT_EQ(pj["connections"].size(), 1u);
  EXPECT_EQ(pj["connections"][0]["transport"], "ws");
  EXPECT_EQ(pj["connections"][0]["uid"], "alice");
  EXPECT_TRUE(pj["anomalies"].empty()) << pinfo.out;
  EXPECT_EQ(pj["encrypted_payloads"], 2);  // a passive capture cannot see the plaintext
  ASSERT_EQ(pj["resends"].size(), 1u);
  EXPECT_EQ(pj["resends"][0]["message_ids"], json::array({message_id}));
}

// `wkit send` straight to `wkit serve` over ws://, captured by tcpdump: the
// import reports the frames the client and the server saw.
TEST(CaptureWs, SendToServeOverWebSocketImportsTheSameFrames) {
  TempDir dir;
  std::string pcap = (dir.path / "ws.pcap").string(), wk = (dir.path / "ws.wkcap").string();
  ServeProcess serve({"--in-memory"});
  Tcpdump tcpdump(pcap, port_of(serve.ws()));
  if (!tcpdump.running()) GTEST_SKIP() << tcpdump.skip_reason();
  auto sent = run_wkit({"send", "-s", serve.ws(), "-u", "carol", "--to", "dave", "--count", "3", "--payload-size",
                        "300", "-o", "jsonl"});
  ASSERT_EQ(sent.code, 0) << sent.err;
  tcpdump.stop();
  std::multiset<std::string> client_view;
  for (auto& j : jsonl(sent.out)) {
    if (j["type"] != "send") continue;
    client_view.insert("SEND " + std::to_string(j["client_seq"].get<int>()) + " " + j["client_msg_no"].get<std::string>());
    client_view.insert("SENDACK " + std::to_string(j["client_seq"].get<int>()) + " " +
                       std::to_string(j["message_ids"][0].get<int64_t>()));
  }
  ASSERT_EQ(client_view.size(), 6u);
  ASSERT_EQ(serve.stop(), 0);
  std::set<std::string> server_cmns;
  for (auto& e : serve.events())
    if (e["event"] == "send") server_cmns.insert(e["client_msg_no"].get<std::string>());

  auto imp = run_wkit({"capture", "import", pcap, "--out", wk, "--port", port_of(serve.ws()), "-o", "json"});
  ASSERT_EQ(imp.code, 0) << imp.err;
  auto ij = json::parse(imp.out);
  EXPECT_EQ(ij["connections"], 1);
  EXPECT_EQ(ij["decode_errors"], 0);
  EXPECT_EQ(ij["gaps"], 0);
  auto dec = run_wkit({"decode", wk, "-o", "jsonl"});
  ASSERT_EQ(dec.code, 0) << dec.err;
  EXPECT_EQ(send_frames(dec.out), client_view);
  std::set<std::string> pcap_cmns;
  std::vector<std::string> types;
  for (auto& j : jsonl(dec.out)) {
    types.push_back(j["frame_type"]);
    if (j["frame_type"] == "SEND") {
      pcap_cmns.insert(j["client_msg_no"].get<std::string>());
      EXPECT_EQ(j["payload_state"], "encrypted");
    }
  }
  EXPECT_EQ(pcap_cmns, server_cmns);
  ASSERT_GE(types.size(), 8u);
  EXPECT_EQ(types[0], "CONNECT");
  EXPECT_EQ(types[1], "CONNACK");
  auto info = json::parse(run_wkit({"capture", "info", wk, "-o", "json"}).out);
  EXPECT_EQ(info["connections"][0]["transport"], "ws");
  EXPECT_EQ(info["connections"][0]["uid"], "carol");
  EXPECT_EQ(info["frames_by_type"]["SEND"], 3);
  EXPECT_EQ(info["frames_by_type"]["SENDACK"], 3);
  EXPECT_TRUE(info["unacked_sends"].empty());
}

// A SUB goes through the proxy to `wkit serve`, whose SUBACK (reason 5,
// channel not exist: serve does not serve subscriptions) comes back
// unchanged; the client's DISCONNECT reaches the server too. A SEND with a
// bad msg_key is answered by the proxy and logged as not forwarded.
TEST(ProxySub, SubReachesServeAndItsSubackComesBack) {
  TempDir dir;
  std::string capture = (dir.path / "sub.wkcap").string(), events = (dir.path / "proxy-events.jsonl").string(),
              pcap = (dir.path / "upstream.pcap").string();
  ServeProcess serve({"--in-memory"});
  Tcpdump tcpdump(pcap, port_of(serve.tcp()));
  {
    ProxyProcess proxy("tcp://127.0.0.1:0", serve.tcp(), {"--capture", capture, "--events", events});
    wkit::testing::WkClient client(proxy.url());
    ASSERT_EQ(client.handshake("erin").reason_code, 1);
    // A SEND with a bad msg_key stops at the proxy, which answers it (reason 8).
    wkit::testing::ClientSendOptions corrupt;
    corrupt.corrupt_msg_key = true;
    client.send("frank", 1, "tampered", 1, "cmn-bad-key", corrupt);
    auto refused = client.expect<wkit::proto::Sendack>();
    ASSERT_TRUE(refused);
    EXPECT_EQ(refused->reason_code, 8);
    wkit::proto::Sub sub;
    sub.sub_no = "sub-42";
    sub.channel_id = "room-7";
    sub.channel_type = 2;
    sub.action = 0;
    sub.param = "p=1";
    client.write(wkit::proto::encode_frame(sub, client.version()).value());
    auto ack = client.expect<wkit::proto::Suback>();
    ASSERT_TRUE(ack) << "no SUBACK through the proxy";
    EXPECT_EQ(ack->sub_no, "sub-42");
    EXPECT_EQ(ack->channel_id, "room-7");
    EXPECT_EQ(ack->channel_type, 2);
    EXPECT_EQ(ack->action, 0);
    EXPECT_EQ(ack->reason_code, 5);
    wkit::proto::Disconnect bye;
    bye.reason_code = 0;
    bye.reason = "client says bye";
    client.write(wkit::proto::encode_frame(bye, client.version()).value());
    EXPECT_TRUE(client.wait_closed());
    ASSERT_EQ(proxy.stop(), 0) << proxy.process().stderr_text();
  }
  tcpdump.stop();
  ASSERT_EQ(serve.stop(), 0);
  // The proxy's events: the SUB forwarded up, the SUBACK forwarded down.
  int sub_fwd = 0, suback_fwd = 0;
  for (auto& e : events_of(events)) {
    if (e["action"] == "forward" && e["frame_type"] == "SUB" && e["direction"] == "c2s") ++sub_fwd;
    if (e["action"] == "forward" && e["frame_type"] == "SUBACK" && e["direction"] == "s2c") ++suback_fwd;
  }
  EXPECT_EQ(sub_fwd, 1);
  EXPECT_EQ(suback_fwd, 1);
  int send_not_fwd = 0;
  for (auto& e : events_of(events))
    if (e["action"] == "not_forwarded" && e["frame_type"] == "SEND") {
      ++send_not_fwd;
      EXPECT_NE(e["detail"].get<std::string>().find("msg_key"), std::string::npos) << e.dump();
    }
  EXPECT_EQ(send_not_fwd, 1);
  for (auto& e : serve.events()) EXPECT_NE(e["event"], "send") << e.dump();
  auto info = json::parse(run_wkit({"capture", "info", capture, "-o", "json"}).out);
  EXPECT_EQ(info["frames_by_type"]["SUB"], 1);
  EXPECT_EQ(info["frames_by_type"]["SUBACK"], 1);
  EXPECT_EQ(info["frames_by_type"]["SEND"], 1);
  EXPECT_EQ(info["frames_by_type"]["SENDACK"], 1);  // the proxy's own reason-8 answer is recorded

  // On the wire between the proxy and serve: the SUB as the client wrote it,
  // serve's SUBACK, and the client's DISCONNECT with its reason.
  if (!tcpdump.running()) GTEST_SKIP() << "pcap part skipped: " << tcpdump.skip_reason();
  auto dec = run_wkit({"decode", pcap, "-o", "jsonl"});
  ASSERT_EQ(dec.code, 0) << dec.err;
  int subs = 0, subacks = 0, disconnects = 0;
  for (auto& j : jsonl(dec.out)) {
    if (j["frame_type"] == "SUB" && j["direction"] == "c2s") {
      ++subs;
      EXPECT_EQ(j["sub_no"], "sub-42");
      EXPECT_EQ(j["param"], "p=1");
    }
    if (j["frame_type"] == "SUBACK" && j["direction"] == "s2c") {
      ++subacks;
      EXPECT_EQ(j["sub_no"], "sub-42");
      EXPECT_EQ(j["reason_code"], 5);
    }
    EXPECT_NE(j["frame_type"], "SEND");  // the tampered SEND never reached serve
    if (j["frame_type"] == "DISCONNECT" && j["direction"] == "c2s") {
      ++disconnects;
      EXPECT_EQ(j["reason"], "client says bye");
    }
  }
  EXPECT_EQ(subs, 1) << dec.out;
  EXPECT_EQ(subacks, 1) << dec.out;
  EXPECT_EQ(disconnects, 1) << dec.out;
}

// A pcap of a --no-encrypt session replays with --raw: the server gets the
// recorded SENDs and the report has their SENDACKs. A pcap with encrypted
// payloads is refused without --raw (exit 4, says why and offers --raw).
TEST(ReplayRaw, NoEncryptPcapReplaysRawEncryptedIsRefused) {
  TempDir dir;
  std::string pcap = (dir.path / "session.pcap").string(), wk = (dir.path / "session.wkcap").string();
  std::vector<std::string> clear_cmns;
  {
    ServeProcess serve({"--in-memory"});
    Tcpdump tcpdump(pcap, port_of(serve.tcp()));
    if (!tcpdump.running()) GTEST_SKIP() << tcpdump.skip_reason();
    // Connection 1 without encryption, connection 2 encrypted.
    auto clear = run_wkit({"send", "-s", serve.tcp(), "-u", "frank", "--to", "gina", "--count", "2", "--no-encrypt",
                           "--text", "in the clear", "-o", "jsonl"});
    ASSERT_EQ(clear.code, 0) << clear.err;
    for (auto& j : jsonl(clear.out))
      if (j["type"] == "send") clear_cmns.push_back(j["client_msg_no"]);
    auto sealed = run_wkit({"send", "-s", serve.tcp(), "-u", "hank", "--to", "gina", "--text", "sealed"});
    ASSERT_EQ(sealed.code, 0) << sealed.err;
    tcpdump.stop();
  }
  ASSERT_EQ(clear_cmns.size(), 2u);
  auto imp = run_wkit({"capture", "import", pcap, "--out", wk});
  ASSERT_EQ(imp.code, 0) << imp.err;

  ServeProcess target({"--in-memory"});
  // Without --raw: refused before connecting, naming the encrypted connection
  // (the server's events below show only the --raw run's SENDs).
  auto refused = run_wkit({"replay", wk, "-s", target.tcp()});
  EXPECT_EQ(refused.code, 4);
  EXPECT_NE(refused.err.find("still encrypted"), std::string::npos) << refused.err;
  EXPECT_NE(refused.err.find("connection 2"), std::string::npos) << refused.err;
  EXPECT_NE(refused.err.find("--raw"), std::string::npos) << refused.err;
  EXPECT_EQ(std::count(refused.err.begin(), refused.err.end(), '\n'), 1);

  // --raw, the NoEncrypt connection: the server stores both SENDs.
  auto raw = run_wkit({"replay", wk, "-s", target.tcp(), "--raw", "--conn", "1", "--speed", "max", "--expect-same",
                       "-o", "json"});
  ASSERT_EQ(raw.code, 0) << raw.err << raw.out;
  auto rj = json::parse(raw.out);
  EXPECT_EQ(rj["sends"], 2);
  EXPECT_EQ(rj["sendacks"], 2);
  EXPECT_EQ(rj["raw_encrypted_sends"], 0);
  ASSERT_EQ(rj["per_connection"].size(), 1u);
  std::vector<std::string> replayed;
  for (auto& s : rj["per_connection"][0]["send_log"]) {
    EXPECT_EQ(s["reason"], "success");
    EXPECT_EQ(s["recorded_reason"], "success");
    replayed.push_back(s["client_msg_no"]);
  }
  EXPECT_EQ(replayed, clear_cmns);
  ASSERT_EQ(target.stop(), 0);
  std::vector<std::string> stored;
  for (auto& e : target.events())
    if (e["event"] == "send") {
      stored.push_back(e["client_msg_no"]);
      EXPECT_EQ(e["uid"], "frank");
    }
  EXPECT_EQ(stored, clear_cmns);

  // --raw on the encrypted connection: the recorded msg_key does not match
  // the new session, which the server says (reason 8) and --expect-same reports.
  ServeProcess target2({"--in-memory"});
  auto raw_sealed = run_wkit({"replay", wk, "-s", target2.tcp(), "--raw", "--conn", "2", "--speed", "max",
                              "--expect-same", "-o", "json"});
  EXPECT_EQ(raw_sealed.code, 1) << raw_sealed.err << raw_sealed.out;
  EXPECT_NE(raw_sealed.err.find("warning: --raw resent 1 SEND"), std::string::npos) << raw_sealed.err;
  auto sj = json::parse(raw_sealed.out);
  EXPECT_EQ(sj["raw_encrypted_sends"], 1);
  ASSERT_EQ(sj["per_connection"][0]["send_log"].size(), 1u);
  EXPECT_EQ(sj["per_connection"][0]["send_log"][0]["reason"], "msg_key_error");
  EXPECT_EQ(sj["reason_mismatches"], 1);
}

namespace {

// An upstream that speaks WKProto as a server and sends EVENT frames, which
// `wkit serve` never does. In the same write as its CONNACK (so the client
// reads them together) it sends an offline RECV (message_id 777, sealed with
// the session keys), EVENT ev-1, a RECVACK (a frame no server may send a
// client), then EVENT ev-2; it holds the connection until the peer closes and
// notes whether the RECV was acknowledged.
class EventingUpstream {
 public:
  EventingUpstream() : acceptor_(io_, {boost::asio::ip::make_address("127.0.0.1"), 0}) {
    port_ = acceptor_.local_endpoint().port();
    thread_ = std::thread([this] {
      try {
        serve();
      } catch (const std::exception& e) {
        error_ = e.what();
      }
    });
  }
  ~EventingUpstream() {
    boost::system::error_code ec;
    acceptor_.close(ec);
    if (sock_) sock_->shutdown(boost::asio::ip::tcp::socket::shutdown_both, ec);
    if (thread_.joinable()) thread_.join();
  }
  std::string url() const { return "tcp://127.0.0.1:" + std::to_string(port_); }
  const std::string& error() const { return error_; }
  bool recv_acked() const { return recv_acked_; }

 private:
  void serve() {
    using namespace wkit;
    sock_ = std::make_unique<boost::asio::ip::tcp::socket>(acceptor_.accept());
    proto::StreamDecoder dec(6);
    char buf[4096];
    std::optional<proto::OwnedFrame> connect;
    while (!connect) {
      size_t n = sock_->read_some(boost::asio::buffer(buf));
      dec.feed(std::string_view(buf, n));
      auto r = dec.next();
      if (r.status == proto::DecodeStatus::ok) connect = proto::OwnedFrame::from_frame(r.frame, 6).value();
    }
    auto kp = crypto::generate_keypair();
    proto::Connack a;
    a.has_server_version = true;
    a.server_version = 6;
    a.reason_code = 1;
    std::string key = kp.public_base64(), salt = crypto::random_salt(16);
    a.server_key = key;
    a.salt = salt;
    a.node_id = 1;
    proto::Event e1;
    e1.id = "ev-1";
    e1.type = "user.status";
    e1.timestamp = 1'700'000'000'123;
    e1.data.data = R"({"uid":"ivy","online":true})";
    proto::Recvack stray;
    stray.message_id = 99;
    stray.message_seq = 1;
    proto::Event e2 = e1;
    e2.id = "ev-2";
    const auto& c = std::get<proto::Connect>(connect->frame());
    auto secret = crypto::shared_secret(kp, c.client_key);
    if (!secret) throw std::runtime_error("bad client_key");
    crypto::Cipher cipher(crypto::SessionKeys::derive(*secret, salt).value());
    proto::Recv r;
    r.from_uid = "zed";
    r.channel_id = "zed";
    r.channel_type = 1;
    r.client_msg_no = "offline-1";
    r.message_id = 777;
    r.message_seq = 1;
    r.timestamp = 1'700'000'000;
    std::string sealed, msg_key;
    cipher.seal("offline hello", sealed);
    cipher.recv_msg_key(r.message_id, r.message_seq, r.client_msg_no, r.timestamp, r.from_uid, r.channel_id,
                        r.channel_type, sealed, msg_key);
    r.payload.data = sealed;
    r.msg_key = msg_key;
    std::string out = proto::encode_frame(a, 6).value() + proto::encode_frame(r, 6).value() +
                      proto::encode_frame(e1, 6).value() + proto::encode_frame(stray, 6).value() +
                      proto::encode_frame(e2, 6).value();
    boost::asio::write(*sock_, boost::asio::buffer(out));
    boost::system::error_code ec;
    for (;;) {
      size_t n = sock_->read_some(boost::asio::buffer(buf), ec);
      if (ec) break;
      dec.feed(std::string_view(buf, n));
      for (auto f = dec.next(); f.status == proto::DecodeStatus::ok; f = dec.next())
        if (auto* ack = std::get_if<proto::Recvack>(&f.frame); ack && ack->message_id == 777) recv_acked_ = true;
    }
  }

  boost::asio::io_context io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::unique_ptr<boost::asio::ip::tcp::socket> sock_;
  uint16_t port_ = 0;
  std::thread thread_;
  std::string error_;
  std::atomic<bool> recv_acked_{false};
};

}  // namespace

// EVENT frames from the upstream reach the client unchanged and in order; a
// frame the proxy must not relay is logged as not_forwarded, not dropped silently.
TEST(ProxyEvent, EventsRelayedStrayFrameLogged) {
  TempDir dir;
  std::string capture = (dir.path / "ev.wkcap").string(), events = (dir.path / "proxy-events.jsonl").string();
  EventingUpstream upstream;
  {
    ProxyProcess proxy("tcp://127.0.0.1:0", upstream.url(), {"--capture", capture, "--events", events});
    wkit::testing::WkClient client(proxy.url());
    ASSERT_EQ(client.handshake("ivy").reason_code, 1);
    // The offline RECV that came with the upstream's CONNACK, re-encrypted for this client.
    auto m = client.next_message();
    ASSERT_TRUE(m) << "no RECV through the proxy";
    EXPECT_EQ(m->recv.message_id, 777);
    EXPECT_EQ(m->recv.client_msg_no, "offline-1");
    EXPECT_TRUE(m->msg_key_ok);
    EXPECT_EQ(m->plaintext, "offline hello");
    client.recvack(m->recv.message_id, m->recv.message_seq);
    auto e1 = client.expect<wkit::proto::Event>();
    ASSERT_TRUE(e1) << "no EVENT through the proxy; " << upstream.error() << [&] {
      std::string all;
      for (auto& e : events_of(events)) all += e.dump() + "\n";
      return all;
    }();
    EXPECT_EQ(e1->id, "ev-1");
    EXPECT_EQ(e1->type, "user.status");
    EXPECT_EQ(e1->timestamp, 1'700'000'000'123);
    EXPECT_EQ(e1->data.data, R"({"uid":"ivy","online":true})");
    auto e2 = client.expect<wkit::proto::Event>();  // the RECVACK in between never arrives
    ASSERT_TRUE(e2);
    EXPECT_EQ(e2->id, "ev-2");
    client.close();
    ASSERT_EQ(proxy.stop(), 0) << proxy.process().stderr_text();
  }
  EXPECT_EQ(upstream.error(), "");
  EXPECT_TRUE(upstream.recv_acked());  // the client's RECVACK went upstream
  std::vector<std::string> s2c;
  for (auto& e : events_of(events))
    if (e["direction"] == "s2c" && e.contains("frame_type"))
      s2c.push_back(e["action"].get<std::string>() + " " + e["frame_type"].get<std::string>());
  EXPECT_EQ(s2c, (std::vector<std::string>{"forward CONNACK", "forward RECV", "forward EVENT",
                                           "not_forwarded RECVACK", "forward EVENT"}));
  for (auto& e : events_of(events)) {
    if (e["action"] == "not_forwarded") {
      EXPECT_NE(e["detail"].get<std::string>().find("must not receive RECVACK"), std::string::npos) << e.dump();
    }
  }
  auto info = json::parse(run_wkit({"capture", "info", capture, "-o", "json"}).out);
  EXPECT_EQ(info["frames_by_type"]["EVENT"], 2);

  // Replaying the connection: the RECV that comes with the CONNACK is
  // counted and acknowledged.
  EventingUpstream again;
  auto r = run_wkit({"replay", capture, "-s", again.url(), "--speed", "max", "--ack-timeout", "200ms", "-o", "json"});
  ASSERT_EQ(r.code, 0) << r.err << r.out;
  EXPECT_EQ(json::parse(r.out)["recvs"], 1) << r.out;
  // The replay closed the connection after its RECVACK was written.
  for (int i = 0; i < 200 && !again.recv_acked(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_TRUE(again.recv_acked());
}

// `wkit recv` straight against a server that sends an offline RECV in the
// same write as its CONNACK: the RECV is handed out at once (not left in the
// session until some later read) and acknowledged.
TEST(RecvAfterConnack, RecvInTheSameReadAsConnackIsDelivered) {
  EventingUpstream upstream;
  auto r = run_wkit({"recv", "-s", upstream.url(), "-u", "ivy", "--count", "1", "--timeout", "5s", "-o", "jsonl"});
  ASSERT_EQ(r.code, 0) << r.err << r.out;
  auto first = json::parse(r.out.substr(0, r.out.find('\n')));
  EXPECT_EQ(first["message_id"], 777) << r.out;
  EXPECT_EQ(first["client_msg_no"], "offline-1");
  EXPECT_EQ(first["check"], "ok") << r.out;
  for (int i = 0; i < 200 && !upstream.recv_acked(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_TRUE(upstream.recv_acked());
}
