#include "wkit/capture/reader.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace wkit::capture {

std::string_view direction_name(pb::Direction d) {
  switch (d) {
    case pb::CLIENT_TO_SERVER: return "c2s";
    case pb::SERVER_TO_CLIENT: return "s2c";
    default: return "?";
  }
}

std::string Truncation::describe() const {
  std::string s = "file ends inside the record at byte " + std::to_string(offset) + " (" +
                  std::to_string(bytes_present);
  if (bytes_needed) s += " of " + std::to_string(*bytes_needed);
  s += " bytes present); the records before it are complete";
  return s;
}

Result<std::unique_ptr<CaptureReader>> CaptureReader::open(const std::string& path) {
  std::unique_ptr<CaptureReader> r(new CaptureReader());
  r->f_ = std::fopen(path.c_str(), "rb");
  if (!r->f_) return Error::input("cannot open " + path + ": " + std::strerror(errno));
  if (auto err = r->read_header()) return *err;
  return r;
}

Result<std::unique_ptr<CaptureReader>> CaptureReader::from_memory(std::string_view data) {
  std::unique_ptr<CaptureReader> r(new CaptureReader());
  r->data_ = data.data();
  r->end_ = data.size();
  r->eof_ = true;
  if (auto err = r->read_header()) return *err;
  return r;
}

CaptureReader::~CaptureReader() {
  if (f_) std::fclose(f_);
}

CaptureReader::Fill CaptureReader::fill(size_t n) {
  if (available() >= n) return Fill::ok;
  if (!f_ || eof_) return Fill::eof;
  // Keep the unread tail at the front and grow to fit one whole message.
  size_t keep = available();
  if (pos_ > 0) {
    std::memmove(storage_.data(), storage_.data() + pos_, keep);
    consumed_before_ += pos_;
    pos_ = 0;
    end_ = keep;
  }
  if (storage_.size() < n) storage_.resize(std::max<size_t>(n, 64 * 1024));
  while (end_ < n && !eof_) {
    size_t got = std::fread(storage_.data() + end_, 1, storage_.size() - end_, f_);
    end_ += got;
    if (got == 0) eof_ = true;
  }
  data_ = storage_.data();
  return available() >= n ? Fill::ok : Fill::eof;
}

Result<bool> CaptureReader::read_message(std::string_view what, std::string_view& body) {
  const uint64_t start = offset();
  fill(5);
  if (available() == 0) return false;
  const size_t avail = std::min<size_t>(available(), 5);
  uint32_t len = 0;
  size_t prefix = 0;
  for (size_t i = 0; i < avail; ++i) {
    uint8_t b = static_cast<uint8_t>(data_[pos_ + i]);
    if (i == 4 && (b & 0xF0)) break;  // more than 32 bits: not a length we write
    len |= static_cast<uint32_t>(b & 0x7F) << (7 * i);
    if (!(b & 0x80)) {
      prefix = i + 1;
      break;
    }
  }
  if (prefix == 0) {
    if (avail < 5 && static_cast<uint8_t>(data_[pos_ + avail - 1]) & 0x80) {
      truncation_ = Truncation{start, avail, std::nullopt};
      return false;
    }
    return Error::input("invalid length prefix of the " + std::string(what) + " (not a varint32)", start);
  }
  if (len > kMaxMessageSize)
    return Error::input(std::string(what) + " length " + std::to_string(len) + " exceeds the " +
                            std::to_string(kMaxMessageSize) + "-byte limit (corrupt file?)",
                        start);
  if (fill(prefix + len) == Fill::eof) {
    truncation_ = Truncation{start, available(), prefix + len};
    return false;
  }
  body = std::string_view(data_ + pos_ + prefix, len);
  pos_ += prefix + len;
  return true;
}

Status CaptureReader::read_header() {
  fill(kMagic.size());
  std::string_view head(data_ ? data_ + pos_ : "", std::min(available(), kMagic.size()));
  if (head != kMagic.substr(0, head.size()) || (head.empty() && available() == 0 && !eof_))
    return Error::input("not a wkit capture file (bad magic)", 0);
  if (head.size() < kMagic.size())
    return Error::input("not a wkit capture file (" + std::to_string(head.size()) +
                            " bytes, shorter than the magic)", 0);
  pos_ += kMagic.size();
  std::string_view body;
  auto got = read_message("header", body);
  if (!got) return got.error();
  if (!got.value()) {
    truncation_.reset();
    return Error::input("file ends inside the header", kMagic.size());
  }
  if (!header_.ParseFromArray(body.data(), static_cast<int>(body.size())))
    return Error::input("header is not a valid Header message (corrupt file?)", kMagic.size());
  if (header_.format_version() == 0)
    return Error::input("header has no format_version (corrupt file?)", kMagic.size());
  if (header_.format_version() > kFormatVersion)
    return Error::input("capture format version " + std::to_string(header_.format_version()) +
                            " is newer than this wkit reads (" + std::to_string(kFormatVersion) + ")",
                        kMagic.size());
  return std::nullopt;
}

Result<bool> CaptureReader::next(pb::Record& rec) {
  if (failed_) return *failed_;
  if (truncation_) return false;
  const uint64_t start = offset();
  std::string_view body;
  auto got = read_message("record", body);
  if (!got) {
    failed_ = got.error();
    return *failed_;
  }
  if (!got.value()) return false;
  if (!rec.ParseFromArray(body.data(), static_cast<int>(body.size()))) {
    failed_ = Error::input("record is not a valid Record message (corrupt file?)", start);
    return *failed_;
  }
  if (rec.has_frame() && rec.frame().wire().empty()) {
    failed_ = Error::input("frame record with no wire bytes (corrupt file?)", start);
    return *failed_;
  }
  record_offset_ = start;
  ++records_;
  return true;
}

}  // namespace wkit::capture
