#pragma once
// Incremental decoder over a byte stream: feed any chunking, get frames in
// order. Never stalls: input that can never form a frame is an error naming
// the absolute byte offset in the stream and the reason. After an error the
// decoder stays failed (a byte stream cannot be resynchronised reliably).
#include <cstdint>
#include <string>
#include <string_view>

#include "wkit/proto/codec.hpp"

namespace wkit::proto {

class StreamDecoder {
 public:
  explicit StreamDecoder(int version = kMaxProtoVersion, Limits limits = {});

  // Appends bytes. Frames returned by next() before this call are invalidated.
  // Ignored once the decoder has failed.
  void feed(std::string_view bytes);

  // Next frame: status ok (frame valid until the next feed()/reset()),
  // incomplete (feed more), or error (sticky).
  // `offset` receives the absolute stream offset of the frame's first byte.
  DecodeResult next(uint64_t* offset = nullptr);

  void set_version(int version) { version_ = version; }
  int version() const { return version_; }
  uint64_t stream_offset() const { return base_offset_ + pos_; }  // next unread byte
  size_t buffered() const { return buf_.size() - pos_; }
  bool failed() const { return failed_; }
  // At end of stream: bytes left over are a truncated frame (an Error), or nullopt.
  Status finish() const;
  void reset();

 private:
  int version_;
  Limits limits_;
  std::string buf_;
  size_t pos_ = 0;
  uint64_t base_offset_ = 0;  // stream offset of buf_[0]
  bool failed_ = false;
  DecodeErrc last_errc_ = DecodeErrc::none;
  Error last_error_;
};

}  // namespace wkit::proto
