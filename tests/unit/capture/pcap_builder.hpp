#pragma once
// Writes classic pcap files (Ethernet/IPv4/TCP) by hand, so tests can craft
// exactly the segments they need: out of order, retransmitted, missing.
#include <cstdint>
#include <string>
#include <string_view>

namespace wkit::testing {

class PcapBuilder {
 public:
  PcapBuilder() {
    put32(0xA1B2C3D4);  // microsecond pcap, host byte order
    put16(2); put16(4); put32(0); put32(0); put32(262144); put32(1);  // LINKTYPE_ETHERNET
  }
  struct Flow {
    uint32_t client_ip = 0x7F000001, server_ip = 0x7F000001;
    uint16_t client_port = 40000, server_port = 5100;
    uint32_t client_isn = 1000, server_isn = 5000000;
  };
  // seq values below are relative stream offsets (0 = first data byte).
  void syn(const Flow& f, uint64_t t_us) { packet(f, true, f.client_isn, 0x02, "", t_us); }
  void synack(const Flow& f, uint64_t t_us) { packet(f, false, f.server_isn, 0x12, "", t_us); }
  void data(const Flow& f, bool from_client, uint32_t rel, std::string_view bytes, uint64_t t_us) {
    uint32_t isn = from_client ? f.client_isn : f.server_isn;
    packet(f, from_client, isn + 1 + rel, 0x18, bytes, t_us);
  }
  void fin(const Flow& f, bool from_client, uint32_t rel, uint64_t t_us) {
    uint32_t isn = from_client ? f.client_isn : f.server_isn;
    packet(f, from_client, isn + 1 + rel, 0x11, "", t_us);
  }
  void rst(const Flow& f, bool from_client, uint32_t rel, uint64_t t_us) {
    uint32_t isn = from_client ? f.client_isn : f.server_isn;
    packet(f, from_client, isn + 1 + rel, 0x04, "", t_us);
  }
  // A non-TCP frame (ARP) that the importer must skip.
  void arp(uint64_t t_us) {
    std::string eth(12, '\x01');
    eth += "\x08\x06";
    eth += std::string(28, '\0');
    record(eth, t_us);
  }
  const std::string& bytes() const { return out_; }

 private:
  void packet(const Flow& f, bool from_client, uint32_t seq, uint8_t flags, std::string_view payload,
              uint64_t t_us) {
    std::string p;
    auto b16 = [&](uint16_t v) { p += char(v >> 8); p += char(v); };
    auto b32 = [&](uint32_t v) { b16(uint16_t(v >> 16)); b16(uint16_t(v)); };
    p += std::string("\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01\x08\x00", 14);
    p += char(0x45); p += char(0);
    b16(uint16_t(20 + 20 + payload.size()));
    b16(0); b16(0x4000); p += char(64); p += char(6); b16(0);
    b32(from_client ? f.client_ip : f.server_ip);
    b32(from_client ? f.server_ip : f.client_ip);
    b16(from_client ? f.client_port : f.server_port);
    b16(from_client ? f.server_port : f.client_port);
    b32(seq); b32(0);
    p += char(0x50); p += char(flags); b16(65535); b16(0); b16(0);
    p.append(payload);
    record(p, t_us);
  }
  void record(std::string_view pkt, uint64_t t_us) {
    put32(uint32_t(t_us / 1000000)); put32(uint32_t(t_us % 1000000));
    put32(uint32_t(pkt.size())); put32(uint32_t(pkt.size()));
    out_.append(pkt);
  }
  void put16(uint16_t v) { out_.append(reinterpret_cast<const char*>(&v), 2); }
  void put32(uint32_t v) { out_.append(reinterpret_cast<const char*>(&v), 4); }
  std::string out_;
};

// The HTTP upgrade of a WebSocket connection (RFC 6455 1.3's sample key).
inline std::string ws_upgrade_request(std::string_view path) {
  return "GET " + std::string(path) +
         " HTTP/1.1\r\nHost: 127.0.0.1:5200\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
         "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
}
inline const std::string kWsUpgradeResponse =
    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n";

// One WebSocket frame (`first`: FIN + opcode byte); client frames are masked
// (RFC 6455 5.3).
inline std::string ws_frame(uint8_t first, std::string_view payload, bool masked) {
  std::string f(1, static_cast<char>(first));
  const uint8_t m = masked ? 0x80 : 0;
  if (payload.size() < 126) {
    f += static_cast<char>(m | payload.size());
  } else {
    f += static_cast<char>(m | 126);
    f += static_cast<char>(payload.size() >> 8);
    f += static_cast<char>(payload.size());
  }
  const char mask[4] = {'\x5a', '\x01', '\x7f', '\x33'};
  if (masked) f.append(mask, 4);
  for (size_t i = 0; i < payload.size(); ++i) f += masked ? static_cast<char>(payload[i] ^ mask[i & 3]) : payload[i];
  return f;
}

}  // namespace wkit::testing
