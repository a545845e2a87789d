#pragma once
// Frames <-> bytes for protocol versions 1..6 (docs/protocol.md sections 1-2, 9).
// Decoding never allocates: the returned Frame holds views into `in`.
// Encoding appends to a caller-owned buffer (reuse it: no allocation once warm).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "wkit/proto/frame.hpp"
#include "wkit/util/error.hpp"

namespace wkit::proto {

struct Limits {
  uint32_t max_remaining_length = 1u << 20;  // 1 MiB, inclusive (reference)
  static constexpr uint32_t kMaxString = 32767;  // int16 length prefix
  // Both reference encoders refuse a SEND payload above 32767 bytes
  // (PayloadMaxSize); the decoders accept any size within the length limit.
  uint32_t max_send_payload = 32767;
};

// Lowest protocol version wkit understands; versions below it decode like it.
inline constexpr int kMinProtoVersion = 0;
// Clamps a requested version to the layouts wkit knows (above 6 behaves like 6).
inline int effective_version(int v) { return v > kMaxProtoVersion ? kMaxProtoVersion : (v < 0 ? 0 : v); }

// How a body was read when the codec had a choice (reported, never hidden).
enum class DecodeLayout : uint8_t {
  standard,
  // SENDACK with client_msg_no right after client_seq (a transition layout
  // the 3.x server also accepts when the standard one does not fit exactly).
  sendack_client_msg_no_first,
};

enum class DecodeStatus : uint8_t { ok, incomplete, error };

// Why a decode failed. The offset in DecodeResult::error is relative to the
// start of `in` (a StreamDecoder rebases it to the stream).
enum class DecodeErrc : uint8_t {
  none,
  invalid_type,             // type 0 or 13..15
  varint_too_long,          // remaining length needs more than 4 bytes
  length_over_limit,        // remaining length > Limits::max_remaining_length
  zero_length,              // remaining length 0 for a non-PING/PONG frame
  truncated_body,           // a field runs past the frame's remaining length
  negative_string_length,   // string length >= 0x8000
  value_out_of_range,       // e.g. message_seq above u32 where the version has u32
};

struct DecodeResult {
  DecodeStatus status = DecodeStatus::incomplete;
  // Valid when status == ok. Starts as the 4-byte Ping so that building a
  // result does not zero a large frame twice (hot path).
  Frame frame{std::in_place_type<Ping>};
  size_t consumed = 0;           // bytes of the whole frame (header + length + body)
  uint32_t remaining_length = 0;
  uint32_t extra_body_bytes = 0; // bytes inside the remaining length no field used
  uint8_t header_byte = 0;       // the raw first byte (type and flags)
  DecodeLayout layout = DecodeLayout::standard;
  DecodeErrc errc = DecodeErrc::none;
  Error error;                   // valid when status == error; offset set
};

// Decodes one frame from the start of `in`, read at protocol `version`.
// incomplete: `in` is a strict prefix of a frame (need more bytes).
// Unlike the Go reference it never returns incomplete for input that can never
// become a frame (type 0, 13..15, over-long varint, over-limit length).
DecodeResult decode_frame(std::string_view in, int version, const Limits& limits = {});

// Exact encoded size of `f` at `version`, or an Error if `f` cannot be encoded
// (string over 32767 bytes, message_seq above u32 below v6, body over limit).
Result<size_t> encoded_size(const Frame& f, int version, const Limits& limits = {});

// Appends the encoding of `f` at `version` to `out`. On error nothing is appended.
Status encode_frame(const Frame& f, int version, std::string& out, const Limits& limits = {});

// The same for a concrete frame struct: no copy into a Frame on hot paths
// (instantiated for the 12 frame structs in codec.cpp).
template <class T>
concept FrameStruct = requires { T::kType; } && !std::is_same_v<T, Frame>;
template <FrameStruct T>
Status encode_frame(const T& f, int version, std::string& out, const Limits& limits = {});
template <FrameStruct T>
Result<size_t> encoded_size(const T& f, int version, const Limits& limits = {});

// Convenience for tests and one-off use.
inline Result<std::string> encode_frame(const Frame& f, int version) {
  std::string out;
  if (auto err = encode_frame(f, version, out)) return *err;
  return out;
}

std::string_view decode_errc_name(DecodeErrc e);
std::string_view decode_layout_name(DecodeLayout l);

// Whether field `name` (an each_field() name) is on the wire for `f` at
// `version`: e.g. expire only from v3, stream fields only for 2 <= v < 5 with
// the STREAM bit, topic only with the TOPIC bit, node_id from v4,
// server_version only with has_server_version. SENDACK's client_msg_no counts
// as present when non-empty.
bool field_on_wire(const Frame& f, std::string_view name, int version);

}  // namespace wkit::proto
