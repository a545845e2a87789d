// pcap import of JSON-RPC connections: WebSocket text frames (fragmented
// messages, several objects in one message) and plain TCP; each object one
// frame record with dialect JSONRPC; an object that is not JSON-RPC is a
// DECODE_ERROR anomaly and the objects after it are still read.
#include <gtest/gtest.h>

#include "pcap_builder.hpp"
#include "wkit/capture/pcap_import.hpp"
#include "wkit/capture/record_decoder.hpp"

using namespace wkit;
using namespace wkit::capture;
using wkit::testing::kWsUpgradeResponse;
using wkit::testing::PcapBuilder;
using wkit::testing::ws_frame;
using wkit::testing::ws_upgrade_request;

namespace {

const std::string kRpcUpgradeRequest = ws_upgrade_request("/");

const std::string kRpcConnect = R"({"method":"connect","id":"c-1","params":{"uid":"alice","token":"t","deviceId":"d1"}})";
const std::string kRpcSend1 =
    R"({"method":"send","id":"s-1","params":{"clientMsgNo":"m1","channelId":"bob","channelType":1,"payload":"aGk="}})";
const std::string kRpcSend2 =
    R"({"method":"send","id":"s-2","params":{"clientMsgNo":"m1","channelId":"bob","channelType":1,"payload":"aGk="}})";
const std::string kRpcBad = R"({"method":"send","id":"s-x","params":{"channelType":"one"}})";
const std::string kRpcConnack = R"({"jsonrpc":"2.0","id":"c-1","result":{"serverVersion":6,"reasonCode":1}})";
const std::string kRpcAck1 = R"({"jsonrpc":"2.0","id":"s-1","result":{"messageId":"900","messageSeq":1,"reasonCode":1}})";
const std::string kRpcAck2 = R"({"jsonrpc":"2.0","id":"s-2","result":{"messageId":"900","messageSeq":1,"reasonCode":1}})";

std::vector<pb::Record> rpc_import(const std::string& pcap, ImportStats& stats) {
  std::vector<pb::Record> out;
  auto r = import_pcap_memory(pcap, {}, [&](const pb::Record& rec) -> Status {
    out.push_back(rec);
    return std::nullopt;
  });
  EXPECT_TRUE(r.ok()) << r.error().describe();
  if (r.ok()) stats = r.value();
  return out;
}

std::string rpc_session_pcap(const std::string& c2s, const std::string& s2c) {
  PcapBuilder b;
  PcapBuilder::Flow f;
  f.server_port = 5200;
  b.syn(f, 1'000'000);
  b.synack(f, 1'000'100);
  b.data(f, true, 0, c2s, 1'000'200);
  b.data(f, false, 0, s2c, 1'000'300);
  b.fin(f, true, c2s.size(), 1'000'400);
  b.fin(f, false, s2c.size(), 1'000'500);
  return b.bytes();
}

}  // namespace

TEST(PcapImportJsonRpc, WebSocketTextFramesAreOneRecordPerObject) {
  // The first send over two fragments; the bad object and the second send in one message.
  const std::string c2s = kRpcUpgradeRequest + ws_frame(0x81, kRpcConnect, true) +
                          ws_frame(0x01, kRpcSend1.substr(0, 30), true) +
                          ws_frame(0x80, kRpcSend1.substr(30), true) +
                          ws_frame(0x81, kRpcBad + "\n" + kRpcSend2, true);
  const std::string s2c = kWsUpgradeResponse + ws_frame(0x81, kRpcConnack, false) +
                          ws_frame(0x81, kRpcAck1, false) + ws_frame(0x81, kRpcAck2, false);
  ImportStats stats;
  auto recs = rpc_import(rpc_session_pcap(c2s, s2c), stats);
  EXPECT_EQ(stats.connections, 1u);
  EXPECT_EQ(stats.decode_errors, 1u);
  std::vector<std::string> c_wires, s_wires;
  std::vector<uint64_t> c_offsets;
  pb::Connection conn;
  int anomalies = 0;
  for (auto& r : recs) {
    if (r.has_connection()) conn = r.connection();
    if (r.has_anomaly()) {
      ++anomalies;
      EXPECT_EQ(r.anomaly().kind(), pb::Anomaly::DECODE_ERROR);
      EXPECT_EQ(r.anomaly().stream_offset(), kRpcConnect.size() + kRpcSend1.size());
      EXPECT_EQ(r.anomaly().length(), kRpcBad.size());
      EXPECT_NE(r.anomaly().message().find("channelType"), std::string::npos) << r.anomaly().message();
    }
    if (!r.has_frame()) continue;
    EXPECT_EQ(r.frame().dialect(), pb::DIALECT_JSONRPC);
    if (r.direction() == pb::CLIENT_TO_SERVER) {
      c_wires.push_back(r.frame().wire());
      c_offsets.push_back(r.frame().stream_offset());
    } else {
      s_wires.push_back(r.frame().wire());
    }
  }
  EXPECT_EQ(anomalies, 1);
  EXPECT_EQ(c_wires, (std::vector<std::string>{kRpcConnect, kRpcSend1, kRpcSend2}));
  EXPECT_EQ(s_wires, (std::vector<std::string>{kRpcConnack, kRpcAck1, kRpcAck2}));
  // Offsets in the stream of message text (the "\n" between the objects counted).
  const uint64_t send2_at = kRpcConnect.size() + kRpcSend1.size() + kRpcBad.size() + 1;
  EXPECT_EQ(c_offsets, (std::vector<uint64_t>{0, kRpcConnect.size(), send2_at}));
  EXPECT_EQ(conn.dialect(), pb::DIALECT_JSONRPC);
  EXPECT_EQ(conn.transport(), "ws");
  EXPECT_EQ(conn.uid(), "alice");
  EXPECT_EQ(conn.device_id(), "d1");
  EXPECT_EQ(conn.protocol_version(), 6u);

  // Read back as frames: each send result answers its own request.
  RecordDecoder dec;
  pb::Connection info;
  std::vector<std::pair<uint32_t, std::string>> acks;
  for (auto& r : recs) {
    if (r.has_connection()) info = r.connection();
    if (!r.has_frame()) continue;
    const auto& d = dec.decode(r, info, 6);
    ASSERT_TRUE(d.ok()) << d.result.error.describe();
    if (const auto* a = std::get_if<proto::Sendack>(&d.result.frame))
      acks.emplace_back(a->client_seq, std::string(a->client_msg_no));
  }
  EXPECT_EQ(acks, (std::vector<std::pair<uint32_t, std::string>>{{1, "m1"}, {2, "m1"}}));
}

TEST(PcapImportJsonRpc, PlainTcpConnectionStartingWithABrace) {
  const std::string c2s = "\n" + kRpcConnect + kRpcSend1;
  const std::string s2c = kRpcConnack + "\n" + kRpcAck1 + "\n";
  ImportStats stats;
  auto recs = rpc_import(rpc_session_pcap(c2s, s2c), stats);
  EXPECT_EQ(stats.connections, 1u);
  EXPECT_EQ(stats.decode_errors, 0u);
  int frames = 0;
  for (auto& r : recs) {
    EXPECT_FALSE(r.has_anomaly()) << r.anomaly().message();
    if (r.has_connection()) {
      EXPECT_EQ(r.connection().transport(), "tcp");
      EXPECT_EQ(r.connection().dialect(), pb::DIALECT_JSONRPC);
    }
    frames += r.has_frame();
  }
  EXPECT_EQ(frames, 4);
}

TEST(PcapImportJsonRpc, FirstObjectNotAConnectIsSkippedWithoutPort) {
  const std::string c2s = kRpcSend1;
  const std::string s2c = kRpcAck1;
  ImportStats stats;
  auto recs = rpc_import(rpc_session_pcap(c2s, s2c), stats);
  EXPECT_EQ(stats.connections, 0u);
  EXPECT_EQ(stats.skipped_connections, 1u);
  EXPECT_TRUE(recs.empty());
}
