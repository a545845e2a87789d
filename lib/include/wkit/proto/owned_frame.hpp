#pragma once
// A frame that owns its bytes: for frames that outlive the buffer they were
// decoded from (queues, redelivery, captures). Holds the encoded bytes and a
// view-frame decoded from them; copying and moving re-point the views (a moved
// std::string may change address: short strings live inside the object).
#include <string>

#include "wkit/proto/codec.hpp"

namespace wkit::proto {

class OwnedFrame {
 public:
  OwnedFrame() = default;
  // Copies `encoded` (exactly one whole frame) and decodes it at `version`.
  static Result<OwnedFrame> from_bytes(std::string_view encoded, int version);
  // Copies an already decoded frame: `encoded` is the frame's bytes and `f`
  // holds views into them (as DecodeResult gives). No re-decode.
  static OwnedFrame from_decoded(std::string_view encoded, const Frame& f, int version);
  // Encodes `f` at `version` into owned storage.
  static Result<OwnedFrame> from_frame(const Frame& f, int version);

  OwnedFrame(const OwnedFrame& o);
  OwnedFrame& operator=(const OwnedFrame& o);
  OwnedFrame(OwnedFrame&&) noexcept;
  OwnedFrame& operator=(OwnedFrame&&) noexcept;

  const Frame& frame() const { return frame_; }
  const std::string& bytes() const { return bytes_; }
  int version() const { return version_; }
  FrameType type() const { return type_of(frame_); }

 private:
  // Re-points every view of frame_ from a buffer that began at `old_base`
  // (and held bytes_.size() bytes) to bytes_.
  void rebase(const char* old_base);
  std::string bytes_;
  Frame frame_;
  int version_ = kMaxProtoVersion;
};

}  // namespace wkit::proto
