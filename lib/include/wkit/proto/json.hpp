#pragma once
// The one frame-to-JSON renderer (docs/architecture.md "One frame model"), driven by each
// frame's each_field() list, used by every command that prints frames.
//
// Object layout, keys in this order:
//   "frame_type": "RECV"            frame type name (EVENT has its own "type" field)
//   "header": {"dup","sync_once","red_dot","no_persist"}   header bits 3..0
//   then each field on the wire at the version, in wire order, snake_case:
//   - integers as numbers; every 64-bit field (message_id, message_seq,
//     stream_id, node_id, timestamps...) also as a decimal string under
//     "<name>str" (JavaScript loses precision above 2^53)
//   - "setting": number, plus "setting_flags": {"receipt","signal",
//     "no_encrypt","topic","stream"}
//   - strings as JSON strings; a string that is not valid UTF-8 is rendered
//     with U+FFFD replacements and its exact bytes under "<name>_hex"
//   - bytes (payload, EVENT data): "<name>" base64 and/or "<name>_hex",
//     and "<name>_size"
//   - "reason_code_name", "channel_type_name", "device_flag_name",
//     "action_name" beside the numeric field
//   Fields not on the wire at that version/setting (field_on_wire) are left
//   out unless JsonOptions::show_absent. SENDACK's client_msg_no is always
//   shown ("" when absent).
#include <nlohmann/json.hpp>
#include <string>

#include "wkit/proto/codec.hpp"

namespace wkit::proto {

using Json = nlohmann::ordered_json;  // keeps wire order for people reading it

enum class BytesForm : uint8_t { base64, hex, both };
bool bytes_form_from_name(std::string_view name, BytesForm& out);  // "base64", "hex", "both"

struct JsonOptions {
  BytesForm bytes = BytesForm::base64;
  bool show_absent = false;
};

// Adds the frame's keys to `out` (an object; existing keys stay first).
// J is Json (ordered) or nlohmann::json.
template <class J>
void append_frame_json(const Frame& f, int version, J& out, const JsonOptions& opts = {});

Json frame_to_json(const Frame& f, int version, const JsonOptions& opts = {});

// Decode metadata for a frame read from a stream: "offset", "size",
// "remaining_length", and when non-default "extra_body_bytes", "layout".
template <class J>
void append_decode_info(const DecodeResult& r, uint64_t offset, J& out);

// One line for tables and logs: non-empty fields as name=value, bytes as
// their size, e.g. `message_id=42 message_seq=7 client_msg_no=ab12 payload=100B`.
std::string frame_summary(const Frame& f, int version);
// Header flags set, e.g. "DUP|RED_DOT", or "-" (CONNACK: "HAS_SERVER_VERSION").
std::string header_flags_text(const Frame& f);
// Setting bits set, e.g. "receipt|topic", or "-".
std::string setting_text(Setting s);

bool is_valid_utf8(std::string_view s);

}  // namespace wkit::proto
