#pragma once
// The .wkcap capture format (docs/capture-format.md): an 8-byte magic, then
// varint-length-delimited protobuf messages (lib/schema/capture.proto): one
// Header, then Records.
#include <cstdint>
#include <string_view>

#include "capture.pb.h"

namespace wkit::capture {


// 0x89 "WKCAP" CR LF: the high byte and the CR LF catch 7-bit and text-mode
// transfers, like PNG's signature.
inline constexpr std::string_view kMagic{"\x89WKCAP\r\n", 8};
inline constexpr uint32_t kFormatVersion = 1;
// A record larger than this is treated as corruption, not allocated.
inline constexpr uint32_t kMaxMessageSize = 16u << 20;

// Whether `prefix` (the first bytes of a file) starts like a .wkcap file.
inline bool looks_like_wkcap(std::string_view prefix) {
  return prefix.substr(0, kMagic.size()) == kMagic;
}

std::string_view direction_name(pb::Direction d);  // "c2s", "s2c", "?"

}  // namespace wkit::capture
