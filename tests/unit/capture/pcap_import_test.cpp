// pcap import: TCP reassembly (out of order, retransmitted, missing data) and
// WKProto decoding of hand-built captures.
#include <gtest/gtest.h>

#include "pcap_builder.hpp"
#include "wkit/capture/pcap_import.hpp"
#include "wkit/proto/codec.hpp"

using namespace wkit;
using namespace wkit::capture;
using wkit::testing::kWsUpgradeResponse;
using wkit::testing::PcapBuilder;
using wkit::testing::ws_frame;
using wkit::testing::ws_upgrade_request;

namespace {

std::string enc(const proto::Frame& f, int v = 6) {
  auto r = proto::encode_frame(f, v);
  EXPECT_TRUE(r.ok());
  return r.ok() ? r.value() : std::string();
}

std::string connect_bytes(std::string_view uid = "alice") {
  proto::Connect c;
  c.version = 6;
  c.device_flag = 1;
  c.device_id = "dev1";
  c.uid = uid;
  c.token = "tok";
  c.client_timestamp = 1700000000000;
  c.client_key = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
  return enc(c);
}
std::string connack_bytes() {
  proto::Connack c;
  c.has_server_version = true;
  c.server_version = 5;  // negotiated down: later frames use v5 layouts
  c.reason_code = 1;
  c.server_key = "BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB=";
  c.salt = "0123456789abcdef";
  return enc(c, 5);
}
std::string send_bytes(uint32_t seq, std::string_view cmn, std::string_view payload = "c2VjcmV0Cg==") {
  proto::Send s;
  s.client_seq = seq;
  s.client_msg_no = cmn;
  s.channel_id = "bob";
  s.channel_type = 1;
  s.msg_key = "0123456789abcdef0123456789abcdef";
  s.payload.data = payload;
  return enc(s, 5);
}
std::string sendack_bytes(uint32_t seq, int64_t id) {
  proto::Sendack a;
  a.message_id = id;
  a.client_seq = seq;
  a.message_seq = seq;
  a.reason_code = 1;
  return enc(a, 5);
}

struct Imported {
  ImportStats stats;
  std::vector<pb::Record> records;
  std::vector<pb::Record> of(pb::Record::BodyCase c) const {
    std::vector<pb::Record> out;
    for (auto& r : records) if (r.body_case() == c) out.push_back(r);
    return out;
  }
  std::vector<proto::FrameType> frame_types(pb::Direction d) const {
    std::vector<proto::FrameType> out;
    for (auto& r : records)
      if (r.has_frame() && r.direction() == d)
        out.push_back(static_cast<proto::FrameType>(static_cast<uint8_t>(r.frame().wire()[0]) >> 4));
    return out;
  }
};

Imported import(const std::string& pcap, ImportOptions opts = {}) {
  Imported out;
  auto r = import_pcap_memory(pcap, opts, [&](const pb::Record& rec) -> Status {
    out.records.push_back(rec);
    return std::nullopt;
  });
  EXPECT_TRUE(r.ok()) << r.error().describe();
  if (r.ok()) out.stats = r.value();
  return out;
}

// Client bytes: CONNECT, SEND(1), SEND(2); server: CONNACK, SENDACK(1), SENDACK(2).
struct Session {
  std::string c2s = connect_bytes() + send_bytes(1, "m1") + send_bytes(2, "m2");
  std::string s2c = connack_bytes() + sendack_bytes(1, 111) + sendack_bytes(2, 222);
  size_t connect_len = connect_bytes().size();
  size_t connack_len = connack_bytes().size();
};

using FT = proto::FrameType;
const std::vector<FT> kClientTypes{FT::connect, FT::send, FT::send};
const std::vector<FT> kServerTypes{FT::connack, FT::sendack, FT::sendack};

}  // namespace

TEST(PcapImport, InOrderSession) {
  Session s;
  PcapBuilder b;
  PcapBuilder::Flow f;
  b.syn(f, 1'000'000);
  b.synack(f, 1'000'100);
  b.arp(1'000'150);
  b.data(f, true, 0, s.c2s.substr(0, s.connect_len), 1'000'200);
  b.data(f, false, 0, s.s2c.substr(0, s.connack_len), 1'000'300);
  b.data(f, true, s.connect_len, s.c2s.substr(s.connect_len), 1'000'400);
  b.data(f, false, s.connack_len, s.s2c.substr(s.connack_len), 1'000'500);
  b.fin(f, true, s.c2s.size(), 1'000'600);
  b.fin(f, false, s.s2c.size(), 1'000'700);
  auto im = import(b.bytes());
  EXPECT_EQ(im.stats.connections, 1u);
  EXPECT_EQ(im.stats.frames, 6u);
  EXPECT_EQ(im.stats.skipped_packets, 1u);  // the ARP
  EXPECT_EQ(im.stats.link_type, "EN10MB");
  EXPECT_EQ(im.frame_types(pb::CLIENT_TO_SERVER), kClientTypes);
  EXPECT_EQ(im.frame_types(pb::SERVER_TO_CLIENT), kServerTypes);
  auto conns = im.of(pb::Record::kConnection);
  ASSERT_FALSE(conns.empty());
  const auto& last = conns.back().connection();
  EXPECT_EQ(last.uid(), "alice");
  EXPECT_EQ(last.device_id(), "dev1");
  EXPECT_EQ(last.device_flag(), 1u);
  EXPECT_EQ(last.protocol_version(), 5u);  // from the CONNACK
  EXPECT_EQ(last.client_address(), "127.0.0.1:40000");
  EXPECT_EQ(last.server_address(), "127.0.0.1:5100");
  EXPECT_FALSE(last.direction_inferred());
  // Frames keep their wire bytes and stream offsets; SEND payloads are marked encrypted.
  std::string rebuilt;
  for (auto& r : im.records)
    if (r.has_frame() && r.direction() == pb::CLIENT_TO_SERVER) {
      EXPECT_EQ(r.frame().stream_offset(), rebuilt.size());
      rebuilt += r.frame().wire();
      bool is_send = (static_cast<uint8_t>(r.frame().wire()[0]) >> 4) == 3;
      EXPECT_EQ(r.frame().payload_state(), is_send ? pb::PAYLOAD_ENCRYPTED : pb::PAYLOAD_NONE);
    }
  EXPECT_EQ(rebuilt, s.c2s);
  // Timestamps are the capture times (ns) of the packet that completed each frame.
  auto frames = im.of(pb::Record::kFrame);
  EXPECT_EQ(frames.front().timestamp_ns(), 1'000'200'000);
  auto closed = im.of(pb::Record::kClosed);
  ASSERT_EQ(closed.size(), 1u);
  EXPECT_EQ(closed[0].closed().reason(), "fin");
  EXPECT_TRUE(im.of(pb::Record::kAnomaly).empty());
}

TEST(PcapImport, OutOfOrderAndOneByteSegments) {
  Session s;
  PcapBuilder b;
  PcapBuilder::Flow f;
  b.syn(f, 1);
  b.synack(f, 2);
  // Client stream in 3 pieces delivered 3,1,2; server stream one byte per segment, reversed pairs.
  size_t a = 10, c = s.connect_len + 7;
  b.data(f, true, c, s.c2s.substr(c), 10);
  b.data(f, true, 0, s.c2s.substr(0, a), 11);
  b.data(f, true, a, s.c2s.substr(a, c - a), 12);
  for (size_t i = 0; i + 1 < s.s2c.size(); i += 2) {
    b.data(f, false, i + 1, s.s2c.substr(i + 1, 1), 20 + i);
    b.data(f, false, i, s.s2c.substr(i, 1), 20 + i);
  }
  if (s.s2c.size() % 2) b.data(f, false, s.s2c.size() - 1, s.s2c.substr(s.s2c.size() - 1), 999);
  auto im = import(b.bytes());
  EXPECT_EQ(im.frame_types(pb::CLIENT_TO_SERVER), kClientTypes);
  EXPECT_EQ(im.frame_types(pb::SERVER_TO_CLIENT), kServerTypes);
  EXPECT_GE(im.stats.out_of_order_segments, 2u);
  EXPECT_EQ(im.stats.gaps, 0u);
  EXPECT_TRUE(im.of(pb::Record::kAnomaly).empty());
  // Capture ended without FIN: the connection is closed at capture end.
  ASSERT_EQ(im.of(pb::Record::kClosed).size(), 1u);
  EXPECT_EQ(im.of(pb::Record::kClosed)[0].closed().reason(), "capture end");
}

TEST(PcapImport, RetransmissionsAreNotDuplicated) {
  Session s;
  PcapBuilder b;
  PcapBuilder::Flow f;
  b.syn(f, 1);
  b.synack(f, 2);
  b.data(f, true, 0, s.c2s.substr(0, s.connect_len), 3);
  b.data(f, true, 0, s.c2s.substr(0, s.connect_len), 4);  // exact retransmission
  b.data(f, false, 0, s.s2c, 5);
  b.data(f, true, s.connect_len, s.c2s.substr(s.connect_len, 20), 6);
  // Overlapping retransmission that also carries new bytes.
  b.data(f, true, s.connect_len + 10, s.c2s.substr(s.connect_len + 10), 7);
  b.data(f, true, s.connect_len, s.c2s.substr(s.connect_len), 8);  // all old again
  auto im = import(b.bytes());
  EXPECT_EQ(im.frame_types(pb::CLIENT_TO_SERVER), kClientTypes);
  EXPECT_EQ(im.frame_types(pb::SERVER_TO_CLIENT), kServerTypes);
  EXPECT_EQ(im.stats.retransmitted_segments, 3u);
  EXPECT_EQ(im.stats.inconsistent_retransmitted_bytes, 0u);
}

TEST(PcapImport, MissingDataIsAGapNotAGuess) {
  Session s;
  PcapBuilder b;
  PcapBuilder::Flow f;
  b.syn(f, 1);
  b.synack(f, 2);
  b.data(f, true, 0, s.c2s.substr(0, s.connect_len), 3);
  b.data(f, false, 0, s.s2c, 4);
  size_t send1 = send_bytes(1, "m1").size();
  // The first 5 bytes of SEND(1) are never captured; the rest is.
  b.data(f, true, s.connect_len + 5, s.c2s.substr(s.connect_len + 5), 5);
  auto im = import(b.bytes());
  EXPECT_EQ(im.stats.gaps, 1u);
  EXPECT_EQ(im.stats.gap_bytes, 5u);
  // Only the CONNECT is decoded from the client side: nothing after the gap is guessed.
  EXPECT_EQ(im.frame_types(pb::CLIENT_TO_SERVER), std::vector<FT>{FT::connect});
  EXPECT_EQ(im.frame_types(pb::SERVER_TO_CLIENT), kServerTypes);
  auto anomalies = im.of(pb::Record::kAnomaly);
  ASSERT_EQ(anomalies.size(), 2u);
  EXPECT_EQ(anomalies[0].anomaly().kind(), pb::Anomaly::GAP);
  EXPECT_EQ(anomalies[0].anomaly().stream_offset(), s.connect_len);
  EXPECT_EQ(anomalies[0].anomaly().length(), 5u);
  EXPECT_EQ(anomalies[0].direction(), pb::CLIENT_TO_SERVER);
  EXPECT_EQ(anomalies[1].anomaly().kind(), pb::Anomaly::UNDECODED);
  EXPECT_EQ(anomalies[1].anomaly().stream_offset(), s.connect_len + 5);
  EXPECT_EQ(anomalies[1].anomaly().length(), s.c2s.size() - s.connect_len - 5);
  (void)send1;
}

TEST(PcapImport, StreamEndingInsideAFrameIsReported) {
  Session s;
  PcapBuilder b;
  PcapBuilder::Flow f;
  b.syn(f, 1);
  b.synack(f, 2);
  b.data(f, true, 0, s.c2s.substr(0, s.connect_len + 4), 3);
  b.data(f, false, 0, s.s2c.substr(0, s.connack_len), 4);
  b.rst(f, true, s.connect_len + 4, 5);
  auto im = import(b.bytes());
  auto anomalies = im.of(pb::Record::kAnomaly);
  ASSERT_EQ(anomalies.size(), 1u);
  EXPECT_EQ(anomalies[0].anomaly().kind(), pb::Anomaly::TRUNCATED);
  EXPECT_EQ(anomalies[0].anomaly().stream_offset(), s.connect_len);
  EXPECT_EQ(anomalies[0].anomaly().length(), 4u);
  ASSERT_EQ(im.of(pb::Record::kClosed).size(), 1u);
  EXPECT_EQ(im.of(pb::Record::kClosed)[0].closed().reason(), "rst");
}

TEST(PcapImport, NonWkprotoConnectionsAreSkippedUnlessPortGiven) {
  Session s;
  PcapBuilder b;
  PcapBuilder::Flow http;
  http.client_port = 40001;
  http.server_port = 80;
  b.syn(http, 1);
  b.synack(http, 2);
  b.data(http, true, 0, "GET / HTTP/1.1\r\nHost: x\r\n\r\n", 3);
  PcapBuilder::Flow wk;
  b.syn(wk, 4);
  b.synack(wk, 5);
  b.data(wk, true, 0, s.c2s, 6);
  b.data(wk, false, 0, s.s2c, 7);
  auto im = import(b.bytes());
  EXPECT_EQ(im.stats.connections, 1u);
  EXPECT_EQ(im.stats.skipped_connections, 1u);
  EXPECT_EQ(im.records.front().connection().server_address(), "127.0.0.1:5100");
  EXPECT_EQ(im.records.front().connection_id(), 1u);

  ImportOptions only80;
  only80.port = 80;
  auto im80 = import(b.bytes(), only80);
  EXPECT_EQ(im80.stats.connections, 1u);
  auto anomalies = im80.of(pb::Record::kAnomaly);
  ASSERT_FALSE(anomalies.empty());
  EXPECT_EQ(anomalies[0].anomaly().kind(), pb::Anomaly::NOT_WKPROTO);
}

TEST(PcapImport, NoHandshakeCapturedUsesPortToFindTheServer) {
  Session s;
  PcapBuilder b;
  PcapBuilder::Flow f;
  f.client_port = 6000;  // higher than 5100
  b.data(f, true, 0, s.c2s, 1);
  b.data(f, false, 0, s.s2c, 2);
  auto im = import(b.bytes());
  ASSERT_EQ(im.stats.connections, 1u);
  EXPECT_TRUE(im.records.front().connection().direction_inferred());
  EXPECT_EQ(im.frame_types(pb::CLIENT_TO_SERVER), kClientTypes);
}

TEST(PcapImport, SecondConnectionOnSamePortsIsNew) {
  Session s;
  PcapBuilder b;
  PcapBuilder::Flow f;
  for (int round = 0; round < 2; ++round) {
    f.client_isn += 100000;
    b.syn(f, 10 + round * 10);
    b.synack(f, 11 + round * 10);
    b.data(f, true, 0, s.c2s, 12 + round * 10);
    b.data(f, false, 0, s.s2c, 13 + round * 10);
    b.fin(f, true, s.c2s.size(), 14 + round * 10);
    b.fin(f, false, s.s2c.size(), 15 + round * 10);
  }
  auto im = import(b.bytes());
  EXPECT_EQ(im.stats.connections, 2u);
  EXPECT_EQ(im.stats.frames, 12u);
}

TEST(PcapImport, CutOffFileKeepsWhatWasRead) {
  Session s;
  PcapBuilder b;
  PcapBuilder::Flow f;
  b.syn(f, 1);
  b.synack(f, 2);
  b.data(f, true, 0, s.c2s, 3);
  b.data(f, false, 0, s.s2c, 4);
  std::string cut = b.bytes().substr(0, b.bytes().size() - 10);
  auto im = import(cut);
  ASSERT_TRUE(im.stats.file_truncated.has_value());
  EXPECT_EQ(im.frame_types(pb::CLIENT_TO_SERVER), kClientTypes);
  EXPECT_TRUE(im.frame_types(pb::SERVER_TO_CLIENT).empty());
}

TEST(PcapImport, GarbageIsAClearError) {
  auto r = import_pcap_memory("this is not a capture", {}, [](const pb::Record&) -> Status { return std::nullopt; });
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::bad_input);
  EXPECT_FALSE(looks_like_pcap("this is"));
  PcapBuilder b;
  EXPECT_TRUE(looks_like_pcap(b.bytes()));
}

// --- WebSocket -------------------------------------------------------------

namespace {

const std::string kWsUpgradeRequest = ws_upgrade_request("/ws");


// The Session's frames over WebSocket: the CONNECT split over two WS frames
// (a fragmented message), both SENDs in one WS message, a Ping from the
// server between its messages.
struct WsSession {
  Session s;
  std::string c2s, s2c;
  WsSession() {
    std::string connect = s.c2s.substr(0, s.connect_len), sends = s.c2s.substr(s.connect_len);
    c2s = kWsUpgradeRequest + ws_frame(0x02, connect.substr(0, 10), true) + ws_frame(0x80, connect.substr(10), true) +
          ws_frame(0x82, sends, true);
    std::string connack = s.s2c.substr(0, s.connack_len), acks = s.s2c.substr(s.connack_len);
    std::string ack1 = acks.substr(0, acks.size() / 2), ack2 = acks.substr(acks.size() / 2);
    s2c = kWsUpgradeResponse + ws_frame(0x82, connack, false) + ws_frame(0x89, "", false) + ws_frame(0x82, ack1, false) +
          ws_frame(0x82, ack2, false);
  }
};

}  // namespace

TEST(PcapImport, WebSocketSessionDecodesTheMessageStream) {
  WsSession w;
  PcapBuilder b;
  PcapBuilder::Flow f;
  f.server_port = 5200;
  b.syn(f, 1'000'000);
  b.synack(f, 1'000'100);
  // Client bytes in 7-byte segments, the second and third swapped (out of order).
  std::vector<std::pair<uint32_t, std::string>> segs;
  for (size_t i = 0; i < w.c2s.size(); i += 7) segs.emplace_back(i, w.c2s.substr(i, 7));
  std::swap(segs[1], segs[2]);
  uint64_t t = 1'000'200;
  size_t up_to_header = kWsUpgradeResponse.size();
  bool response_sent = false;
  for (auto& [off, bytes] : segs) {
    b.data(f, true, off, bytes, t += 10);
    if (!response_sent && off > kWsUpgradeRequest.size()) {
      b.data(f, false, 0, w.s2c.substr(0, up_to_header + 20), t += 10);
      b.data(f, false, up_to_header + 20, w.s2c.substr(up_to_header + 20), t += 10);
      response_sent = true;
    }
  }
  b.fin(f, true, w.c2s.size(), t += 10);
  b.fin(f, false, w.s2c.size(), t += 10);
  auto im = import(b.bytes());
  EXPECT_EQ(im.stats.connections, 1u);
  EXPECT_EQ(im.stats.skipped_connections, 0u);
  EXPECT_EQ(im.stats.decode_errors, 0u);
  EXPECT_EQ(im.frame_types(pb::CLIENT_TO_SERVER), kClientTypes);
  EXPECT_EQ(im.frame_types(pb::SERVER_TO_CLIENT), kServerTypes);
  EXPECT_TRUE(im.of(pb::Record::kAnomaly).empty());
  auto conns = im.of(pb::Record::kConnection);
  ASSERT_FALSE(conns.empty());
  EXPECT_EQ(conns.back().connection().transport(), "ws");
  EXPECT_EQ(conns.back().connection().uid(), "alice");
  // Frame bytes and offsets are those of the WebSocket message stream.
  std::string rebuilt_c2s, rebuilt_s2c;
  for (auto& r : im.records) {
    if (!r.has_frame()) continue;
    auto& rebuilt = r.direction() == pb::CLIENT_TO_SERVER ? rebuilt_c2s : rebuilt_s2c;
    EXPECT_EQ(r.frame().stream_offset(), rebuilt.size());
    rebuilt += r.frame().wire();
  }
  EXPECT_EQ(rebuilt_c2s, w.s.c2s);
  EXPECT_EQ(rebuilt_s2c, w.s.s2c);
}

TEST(PcapImport, WebSocketViolationIsADecodeErrorAtItsTcpOffset) {
  WsSession w;
  // After the CONNACK the server sends a masked frame (servers must not mask).
  std::string s2c = kWsUpgradeResponse + ws_frame(0x82, w.s.s2c.substr(0, w.s.connack_len), false);
  size_t bad_at = s2c.size();
  s2c += ws_frame(0x82, w.s.s2c.substr(w.s.connack_len), true);
  PcapBuilder b;
  PcapBuilder::Flow f;
  b.syn(f, 1'000'000);
  b.synack(f, 1'000'100);
  b.data(f, true, 0, w.c2s, 1'000'200);
  b.data(f, false, 0, s2c, 1'000'300);
  auto im = import(b.bytes());
  EXPECT_EQ(im.stats.connections, 1u);
  EXPECT_EQ(im.stats.decode_errors, 1u);
  EXPECT_EQ(im.frame_types(pb::CLIENT_TO_SERVER), kClientTypes);
  EXPECT_EQ(im.frame_types(pb::SERVER_TO_CLIENT), std::vector<FT>{FT::connack});
  auto an = im.of(pb::Record::kAnomaly);
  ASSERT_EQ(an.size(), 2u);
  EXPECT_EQ(an[0].anomaly().kind(), pb::Anomaly::DECODE_ERROR);
  EXPECT_EQ(an[0].direction(), pb::SERVER_TO_CLIENT);
  EXPECT_EQ(an[0].anomaly().stream_offset(), bad_at);
  EXPECT_NE(an[0].anomaly().message().find("server frame is masked"), std::string::npos) << an[0].anomaly().message();
  EXPECT_EQ(an[1].anomaly().kind(), pb::Anomaly::UNDECODED);
  EXPECT_EQ(an[1].anomaly().stream_offset(), bad_at);
  EXPECT_EQ(an[1].anomaly().length(), s2c.size() - bad_at);
}

TEST(PcapImport, WebSocketUpgradeRefusedOrPlainHttp) {
  for (bool with_port : {false, true}) {
    PcapBuilder b;
    PcapBuilder::Flow f;
    b.syn(f, 1'000'000);
    b.synack(f, 1'000'100);
    b.data(f, true, 0, kWsUpgradeRequest, 1'000'200);
    b.data(f, false, 0, "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n", 1'000'300);
    ImportOptions o;
    if (with_port) o.port = 5100;
    auto im = import(b.bytes(), o);
    if (!with_port) {
      EXPECT_EQ(im.stats.connections, 0u);
      EXPECT_EQ(im.stats.skipped_connections, 1u);
      continue;
    }
    EXPECT_EQ(im.stats.connections, 1u);
    auto an = im.of(pb::Record::kAnomaly);
    ASSERT_EQ(an.size(), 1u);
    EXPECT_EQ(an[0].anomaly().kind(), pb::Anomaly::NOT_WKPROTO);
    EXPECT_NE(an[0].anomaly().message().find("HTTP 403"), std::string::npos) << an[0].anomaly().message();
  }
  // A WebSocket session cut inside a frame: TRUNCATED, not silence.
  WsSession w;
  PcapBuilder b;
  PcapBuilder::Flow f;
  b.syn(f, 1'000'000);
  b.synack(f, 1'000'100);
  b.data(f, true, 0, w.c2s.substr(0, w.c2s.size() - 3), 1'000'200);
  b.data(f, false, 0, w.s2c, 1'000'300);
  auto im = import(b.bytes());
  // Message bytes count as they arrive: the first SEND is whole, the second is not.
  EXPECT_EQ(im.frame_types(pb::CLIENT_TO_SERVER), (std::vector<FT>{FT::connect, FT::send}));
  bool ws_truncated = false, frame_truncated = false;
  for (auto& r : im.of(pb::Record::kAnomaly)) {
    ws_truncated |= r.anomaly().kind() == pb::Anomaly::TRUNCATED &&
                    r.anomaly().message().find("inside a WebSocket frame") != std::string::npos;
    frame_truncated |= r.anomaly().kind() == pb::Anomaly::TRUNCATED &&
                       r.anomaly().stream_offset() == w.s.connect_len + send_bytes(1, "m1").size();
  }
  EXPECT_TRUE(ws_truncated);
  EXPECT_TRUE(frame_truncated);
}

TEST(PcapImport, WebSocketWkprotoErrorCountsUndecodedMessageBytes) {
  WsSession w;
  std::string connect = w.s.c2s.substr(0, w.s.connect_len);
  std::string c2s = kWsUpgradeRequest + ws_frame(0x82, connect, true);
  std::string junk("\x00\x01\x02", 3), later(10, '\x30');
  c2s += ws_frame(0x82, junk, true);
  PcapBuilder b;
  PcapBuilder::Flow f;
  b.syn(f, 1'000'000);
  b.synack(f, 1'000'100);
  b.data(f, true, 0, c2s, 1'000'200);
  b.data(f, false, 0, kWsUpgradeResponse + ws_frame(0x82, w.s.s2c.substr(0, w.s.connack_len), false), 1'000'300);
  std::string more = ws_frame(0x82, later, true);
  b.data(f, true, c2s.size(), more, 1'000'400);
  auto im = import(b.bytes());
  EXPECT_EQ(im.frame_types(pb::CLIENT_TO_SERVER), std::vector<FT>{FT::connect});
  auto an = im.of(pb::Record::kAnomaly);
  ASSERT_EQ(an.size(), 2u);
  EXPECT_EQ(an[0].anomaly().kind(), pb::Anomaly::DECODE_ERROR);
  EXPECT_EQ(an[0].anomaly().stream_offset(), connect.size());  // message-stream offset
  EXPECT_EQ(an[1].anomaly().kind(), pb::Anomaly::UNDECODED);
  EXPECT_EQ(an[1].anomaly().stream_offset(), connect.size());
  EXPECT_EQ(an[1].anomaly().length(), junk.size() + later.size());  // message bytes, not TCP bytes
}

namespace {

// The first bytes of a TLS 1.2/1.3 ClientHello and the server's answer: what
// a packet capture of a wss:// session holds (ciphertext after it).
const std::string kClientHello = std::string("\x16\x03\x01\x00\x2a\x01\x00\x00\x26\x03\x03", 11) + std::string(38, '\x5a');
const std::string kServerHello = std::string("\x16\x03\x03\x00\x10\x02\x00\x00\x0c\x03\x03", 11) + std::string(10, '\x33');

void tls_flow(PcapBuilder& b, const PcapBuilder::Flow& f, uint64_t t_us) {
  b.syn(f, t_us);
  b.synack(f, t_us + 100);
  b.data(f, true, 0, kClientHello, t_us + 200);
  b.data(f, false, 0, kServerHello, t_us + 300);
  b.fin(f, true, kClientHello.size(), t_us + 400);
  b.fin(f, false, kServerHello.size(), t_us + 500);
}

}  // namespace

TEST(PcapImport, OnlyTlsConnectionsIsRefusedWithTheProxyHint) {
  for (bool with_port : {false, true}) {
    PcapBuilder b;
    PcapBuilder::Flow f;
    f.server_port = 5210;
    tls_flow(b, f, 1'000'000);
    ImportOptions opts;
    if (with_port) opts.port = 5210;  // even when told it is the IM port
    size_t records = 0;
    auto r = import_pcap_memory(b.bytes(), opts, [&](const pb::Record&) -> Status {
      ++records;
      return std::nullopt;
    });
    ASSERT_FALSE(r.ok()) << with_port;
    EXPECT_EQ(r.error().kind, ErrorKind::bad_input);
    EXPECT_NE(r.error().message.find("1 TLS connection(s) (first to 127.0.0.1:5210)"), std::string::npos)
        << r.error().message;
    EXPECT_NE(r.error().message.find("wkit proxy --listen wss://"), std::string::npos) << r.error().message;
    EXPECT_EQ(records, 0u);
  }
}

TEST(PcapImport, TlsConnectionsBesidePlainOnesAreSkippedAndCounted) {
  Session s;
  PcapBuilder b;
  PcapBuilder::Flow plain;
  b.syn(plain, 1'000'000);
  b.synack(plain, 1'000'100);
  b.data(plain, true, 0, s.c2s, 1'000'200);
  b.data(plain, false, 0, s.s2c, 1'000'300);
  PcapBuilder::Flow tls;
  tls.client_port = 40001;
  tls.server_port = 5210;
  tls_flow(b, tls, 1'000'400);
  auto im = import(b.bytes());
  EXPECT_EQ(im.stats.connections, 1u);
  EXPECT_EQ(im.stats.frames, 6u);
  EXPECT_EQ(im.stats.tls_connections, 1u);
  EXPECT_EQ(im.stats.skipped_connections, 1u);
  EXPECT_EQ(im.stats.first_tls_server, "127.0.0.1:5210");
}
