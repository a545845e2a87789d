#pragma once
// WebSocket (RFC 6455) on captured bytes: the HTTP upgrade, then one
// direction's frames turned back into the message byte stream that WKProto
// runs on (docs/protocol.md section 6: inbound messages are one byte stream). Beast parses
// the HTTP upgrade; Beast's WebSocket stream only runs on a live socket, so
// the frame layer here is a small deframer for bytes read from a capture.
//
// It takes any chunking, unmasks client frames, joins fragmented messages
// (control frames may come between the fragments), and reads 7/16/64-bit
// lengths. Data (binary or text: WKProto, or JSON-RPC objects) payload bytes
// are appended to the output as they arrive; Ping/Pong/Close are counted and the Close is kept. The first
// violation of RFC 6455 (reserved bits or opcodes, an unmasked client frame,
// a masked server frame, a fragmented or oversized control frame, a stray
// continuation, a compressed frame) is an error naming the stream offset of
// the frame header; nothing after it is decoded.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "wkit/util/error.hpp"

namespace wkit::capture {

// The HTTP/1.1 upgrade at the start of a WebSocket connection, one side.
class WsHandshake {
 public:
  enum class Side { request, response };
  explicit WsHandshake(Side side);
  ~WsHandshake();
  WsHandshake(const WsHandshake&) = delete;
  WsHandshake& operator=(const WsHandshake&) = delete;

  // Feeds bytes until the header is complete; returns how many were part of
  // the HTTP message (the rest are WebSocket frames). Errors name the byte
  // offset (from the start of the stream) where the HTTP parser stopped.
  Result<size_t> feed(std::string_view bytes);
  bool done() const { return done_; }
  // After done(): whether this is a WebSocket upgrade request / a 101 answer.
  bool upgrade() const { return upgrade_; }
  unsigned status() const { return status_; }    // response only
  const std::string& target() const { return target_; }  // request only
  // The extensions the server agreed to (e.g. "permessage-deflate"); "" none.
  const std::string& extensions() const { return extensions_; }

  // Whether `prefix` (the first client bytes) starts like an HTTP GET.
  static bool looks_like_request(std::string_view prefix);

 private:
  struct Parser;
  Side side_;
  Parser* parser_ = nullptr;
  uint64_t consumed_ = 0;
  bool done_ = false, upgrade_ = false;
  unsigned status_ = 0;
  std::string target_, extensions_, pending_;
};

class WsDeframer {
 public:
  // `from_client`: client frames must be masked, server frames must not.
  // `base_offset`: stream offset of the first byte fed (after the HTTP header).
  WsDeframer(bool from_client, uint64_t base_offset);

  // Appends the data payload bytes in `bytes` to `out`. After an error it
  // appends nothing more and returns the same error.
  Status feed(std::string_view bytes, std::string& out);

  uint64_t offset() const { return offset_; }  // stream offset of the next byte
  uint64_t payload_bytes() const { return payload_bytes_; }  // data bytes produced so far
  // Inside a frame or a fragmented message (the stream must not end here).
  bool mid_frame() const { return state_ != State::header || hdr_len_ != 0; }
  bool mid_message() const { return in_message_; }
  uint64_t frames() const { return frames_; }
  uint64_t messages() const { return messages_; }
  uint64_t text_messages() const { return text_messages_; }
  uint64_t pings() const { return pings_; }
  uint64_t pongs() const { return pongs_; }
  struct Close {
    std::optional<uint16_t> code;
    std::string reason;
    uint64_t offset = 0;
  };
  const std::optional<Close>& close() const { return close_; }
  const Status& error() const { return error_; }

 private:
  enum class State : uint8_t { header, payload };
  Status fail(std::string msg, uint64_t at);
  Status start_frame();
  void end_frame();

  bool from_client_;
  uint64_t offset_;
  State state_ = State::header;
  uint8_t hdr_[14] = {};
  size_t hdr_len_ = 0;
  uint64_t frame_start_ = 0;
  uint8_t opcode_ = 0;
  bool fin_ = false, masked_ = false;
  uint8_t mask_[4] = {};
  uint64_t remaining_ = 0, payload_pos_ = 0;
  std::string control_;  // payload of the current control frame
  bool in_message_ = false;
  uint64_t payload_bytes_ = 0, frames_ = 0, messages_ = 0, text_messages_ = 0, pings_ = 0, pongs_ = 0;
  std::optional<Close> close_;
  Status error_;
};

}  // namespace wkit::capture
