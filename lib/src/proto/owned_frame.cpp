#include "wkit/proto/owned_frame.hpp"

#include <functional>

namespace wkit::proto {
namespace {

// Views into [old_base, old_base + size] move to the same offset in new_base.
struct Repoint {
  const char* old_base;
  const char* new_base;
  size_t size;
  void operator()(std::string_view& s) const {
    if (s.data() == nullptr) return;
    auto lo = std::less_equal<const char*>{};
    if (lo(old_base, s.data()) && lo(s.data() + s.size(), old_base + size))
      s = std::string_view(new_base + (s.data() - old_base), s.size());
  }
};

}  // namespace

void OwnedFrame::rebase(const char* old_base) {
  if (old_base == bytes_.data()) return;
  const Repoint rp{old_base, bytes_.data(), bytes_.size()};
  std::visit(
      [&](auto& x) {
        each_field_mut(x, [&](std::string_view, auto& field) {
          using T = std::remove_cvref_t<decltype(field)>;
          if constexpr (std::is_same_v<T, std::string_view>) rp(field);
          if constexpr (std::is_same_v<T, Bytes>) rp(field.data);
        });
      },
      frame_);
}

Result<OwnedFrame> OwnedFrame::from_bytes(std::string_view encoded, int version) {
  OwnedFrame o;
  o.bytes_.assign(encoded);
  o.version_ = version;
  DecodeResult r = decode_frame(o.bytes_, version);
  if (r.status == DecodeStatus::error) return r.error;
  if (r.status == DecodeStatus::incomplete)
    return Error::input("truncated frame: " + std::to_string(encoded.size()) +
                            " bytes do not hold a whole frame",
                        encoded.size());
  if (r.consumed != encoded.size())
    return Error::input(std::to_string(encoded.size() - r.consumed) +
                            " bytes after the end of the frame",
                        r.consumed);
  o.frame_ = r.frame;
  return o;
}

OwnedFrame OwnedFrame::from_decoded(std::string_view encoded, const Frame& f, int version) {
  OwnedFrame o;
  o.bytes_.assign(encoded);
  o.version_ = version;
  o.frame_ = f;
  o.rebase(encoded.data());
  return o;
}

Result<OwnedFrame> OwnedFrame::from_frame(const Frame& f, int version) {
  std::string bytes;
  if (auto err = encode_frame(f, version, bytes, Limits{})) return *err;
  return from_bytes(bytes, version);
}

OwnedFrame::OwnedFrame(const OwnedFrame& o) : bytes_(o.bytes_), frame_(o.frame_), version_(o.version_) {
  rebase(o.bytes_.data());
}

OwnedFrame& OwnedFrame::operator=(const OwnedFrame& o) {
  if (this != &o) {
    bytes_ = o.bytes_;
    frame_ = o.frame_;
    version_ = o.version_;
    rebase(o.bytes_.data());
  }
  return *this;
}

OwnedFrame::OwnedFrame(OwnedFrame&& o) noexcept : frame_(o.frame_), version_(o.version_) {
  const char* old = o.bytes_.data();
  bytes_ = std::move(o.bytes_);
  rebase(old);
  o.bytes_.clear();
  o.frame_ = Frame{};
}

OwnedFrame& OwnedFrame::operator=(OwnedFrame&& o) noexcept {
  if (this != &o) {
    const char* old = o.bytes_.data();
    bytes_ = std::move(o.bytes_);
    frame_ = o.frame_;
    version_ = o.version_;
    rebase(old);
    o.bytes_.clear();
    o.frame_ = Frame{};
  }
  return *this;
}

}  // namespace wkit::proto
