#pragma once
// The size and kind of the WebSocket frame at the start of a byte range
// (RFC 6455 section 5.2), read without consuming or validating it: Beast
// parses and checks every frame; CoalescingStream only needs to know where
// one ends, to hand Beast one frame at a time and to see whether the next
// message is already here.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace wkit::net {

struct WsFrameExtent {
  std::size_t header = 0;     // 2 to 14 bytes
  std::uint64_t payload = 0;  // as the length field says
  std::uint8_t opcode = 0;
  bool fin = false;
  bool rsv = false;  // any of RSV1-3 set
  // A whole message of one data frame (text or binary), nothing unusual.
  bool plain_message() const { return fin && !rsv && (opcode == 1 || opcode == 2); }
};

// nullopt while `bytes` does not hold the whole header yet.
inline std::optional<WsFrameExtent> peek_ws_frame(std::span<const unsigned char> bytes) {
  if (bytes.size() < 2) return std::nullopt;
  WsFrameExtent f;
  f.fin = bytes[0] & 0x80;
  f.rsv = bytes[0] & 0x70;
  f.opcode = bytes[0] & 0x0f;
  const bool masked = bytes[1] & 0x80;
  const unsigned len7 = bytes[1] & 0x7f;
  const std::size_t len_bytes = len7 == 126 ? 2 : len7 == 127 ? 8 : 0;
  f.header = 2 + len_bytes + (masked ? 4 : 0);
  if (bytes.size() < f.header) return std::nullopt;
  if (len_bytes == 0) {
    f.payload = len7;
  } else {
    for (std::size_t i = 0; i < len_bytes; ++i) f.payload = (f.payload << 8) | bytes[2 + i];
  }
  return f;
}

}  // namespace wkit::net
