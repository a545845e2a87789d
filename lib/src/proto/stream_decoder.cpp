#include "wkit/proto/stream_decoder.hpp"

namespace wkit::proto {
namespace {
// The sticky error of a failed decoder, as a fresh result.
DecodeResult sticky_error(DecodeErrc errc, const Error& error) {
  DecodeResult r;
  r.status = DecodeStatus::error;
  r.errc = errc;
  r.error = error;
  return r;
}
}  // namespace

StreamDecoder::StreamDecoder(int version, Limits limits) : version_(version), limits_(limits) {}

void StreamDecoder::feed(std::string_view bytes) {
  if (failed_) return;
  // Drop what was consumed once it is at least half the buffer: each byte is
  // moved O(1) times on average and the buffer stays within about twice the
  // unread bytes.
  if (pos_ > 0 && (pos_ == buf_.size() || pos_ >= buf_.size() / 2)) {
    buf_.erase(0, pos_);
    base_offset_ += pos_;
    pos_ = 0;
  }
  buf_.append(bytes);
}

DecodeResult StreamDecoder::next(uint64_t* offset) {
  const uint64_t at = base_offset_ + pos_;
  if (offset) *offset = at;
  const bool was_failed = failed_;
  // A single named result and a single return: g++ only elides the copy of
  // this 264-byte object (NRVO) when every return names it.
  DecodeResult r = was_failed ? sticky_error(last_errc_, last_error_)
                              : decode_frame(std::string_view(buf_).substr(pos_), version_, limits_);
  if (r.status == DecodeStatus::ok) [[likely]] {
    pos_ += r.consumed;
  } else if (r.status == DecodeStatus::error && !was_failed) {
    r.error.offset = at + r.error.offset.value_or(0);
    failed_ = true;
    last_errc_ = r.errc;
    last_error_ = r.error;
  }
  return r;
}

Status StreamDecoder::finish() const {
  if (failed_) return last_error_;
  const size_t left = buffered();
  if (left == 0) return std::nullopt;
  const uint64_t at = base_offset_ + pos_;
  const auto* b = reinterpret_cast<const unsigned char*>(buf_.data() + pos_);
  const auto type = static_cast<FrameType>(b[0] >> 4);
  std::string what = std::string(frame_type_name(type)) + " frame truncated: the stream ends ";
  // The varint is complete when some byte of it lacks the continuation bit.
  size_t i = 1;
  uint64_t rl = 0;
  for (; i < left && i <= 4; ++i) {
    rl |= uint64_t(b[i] & 0x7f) << (7 * (i - 1));
    if (!(b[i] & 0x80)) break;
  }
  if (i >= left)
    what += "inside its remaining length (" + std::to_string(left) + " bytes)";
  else
    what += "after " + std::to_string(left) + " of its " + std::to_string(i + 1 + rl) + " bytes";
  return Error::input(std::move(what), at);
}

void StreamDecoder::reset() {
  buf_.clear();
  pos_ = 0;
  base_offset_ = 0;
  failed_ = false;
  last_errc_ = DecodeErrc::none;
  last_error_ = Error{};
}

}  // namespace wkit::proto
