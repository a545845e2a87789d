#pragma once
// A frame that owns its bytes: for frames that outlive the buffer they were
// decoded from (queues, redelivery, captures). Holds the encoded bytes and a
// view-frame decoded from them; copying re-points the views.
#include <string>

#include "wkit/proto/codec.hpp"

namespace wkit::proto {

class OwnedFrame {
 public:
  OwnedFrame() = default;
  // Copies `encoded` (one whole frame) and decodes it at `version`.
  static Result<OwnedFrame> from_bytes(std::string_view encoded, int version);
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
  void redecode();
  std::string bytes_;
  Frame frame_;
  int version_ = kMaxProtoVersion;
};

}  // namespace wkit::proto
