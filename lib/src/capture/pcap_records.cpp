#include "wkit/capture/pcap_records.hpp"

#include <algorithm>
#include <cstring>

namespace wkit::capture {

namespace {

constexpr uint32_t kShb = 0x0A0D0D0A;

uint32_t bswap(uint32_t v) { return __builtin_bswap32(v); }

bool known_block_type(uint32_t t) {
  // SHB, IDB, obsolete packet block, SPB, NRB, ISB, EPB, decryption secrets.
  return t == kShb || (t >= 1 && t <= 6) || t == 0x0000000A;
}

}  // namespace

std::optional<PcapRecords> PcapRecords::open(ReadAt read_at, SizeNow size) {
  char h[12];
  if (read_at(0, h, sizeof h) != sizeof h) return std::nullopt;
  PcapRecords r;
  r.read_at_ = std::move(read_at);
  r.size_now_ = std::move(size);
  uint32_t magic;
  std::memcpy(&magic, h, 4);
  if (magic == kShb) {
    uint32_t bom;
    std::memcpy(&bom, h + 8, 4);
    if (bom != 0x1A2B3C4D && bom != 0x4D3C2B1A) return std::nullopt;
    r.ng_ = true;
    r.swapped_ = bom == 0x4D3C2B1A;
    return r;
  }
  switch (magic) {
    case 0xA1B2C3D4: break;
    case 0xD4C3B2A1: r.swapped_ = true; break;
    case 0xA1B23C4D: r.nano_ = true; break;
    case 0x4D3CB2A1: r.swapped_ = r.nano_ = true; break;
    default: return std::nullopt;
  }
  return r;
}

uint32_t PcapRecords::u32(const char* p) const {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return swapped_ ? bswap(v) : v;
}

std::optional<uint32_t> PcapRecords::block_length(const char* h) const {
  uint32_t type, total = u32(h + 4);
  std::memcpy(&type, h, 4);
  if (type != kShb) return total;
  // A new section may change the byte order; its length is in that order.
  uint32_t bom;
  std::memcpy(&bom, h + 8, 4);
  if (bom == 0x4D3C2B1A) return bswap(total);
  if (bom == 0x1A2B3C4D) return total;
  return std::nullopt;
}

PcapRecords::Failure PcapRecords::classify(uint64_t off, const std::string& libpcap_error) const {
  size_ = size_now_();
  window_.clear();
  auto cut = [&](uint64_t at, uint64_t need) {
    return Failure{at, true, "the file ends inside this record (" + std::to_string(size_ - at) + " of " +
                                 std::to_string(need) + " bytes present)"};
  };
  char h[16];
  if (off >= size_) return {off, false, libpcap_error};
  if (!ng_) {
    if (size_ - off < 16) return cut(off, 16);
    read(off, h, 16);
    uint32_t caplen = u32(h + 8);
    // libpcap fails a classic record only for these two reasons.
    if (caplen > kMaxCaplen)
      return {off, false, "captured length " + std::to_string(caplen) + " is above the maximum " +
                              std::to_string(kMaxCaplen)};
    if (size_ - off < 16 + uint64_t{caplen}) return cut(off, 16 + uint64_t{caplen});
    return {off, false, libpcap_error};
  }
  // libpcap passes over whole blocks that are not packets (statistics, name
  // resolution, new sections) within one read: the culprit is the first
  // block that is not whole, or else the packet block it stopped at.
  for (uint64_t at = off; at < size_;) {
    uint64_t left = size_ - at;
    if (left < 12) return cut(at, 12);
    read(at, h, 12);
    uint32_t type;
    std::memcpy(&type, h, 4);
    const auto length = block_length(h);
    if (!length) return {at, false, "section header with an unknown byte-order magic"};
    const uint32_t total = *length;
    if (total < 12 || total % 4 != 0 || total > kMaxBlock)
      return {at, false, "block length " + std::to_string(total) +
                             " is impossible (below 12, not a multiple of 4, or above " + std::to_string(kMaxBlock) +
                             ")"};
    if (left < total) return cut(at, total);
    char t[4];
    read(at + total - 4, t, 4);
    uint32_t raw;
    std::memcpy(&raw, t, 4);
    uint32_t trailer = u32(t);
    if (type == kShb && (raw == total || bswap(raw) == total)) trailer = total;  // either byte order
    if (trailer != total)
      return {at, false, "block length " + std::to_string(total) + " disagrees with the length " +
                             std::to_string(trailer) + " at its end"};
    uint32_t t32 = u32(h);
    if (t32 == 2 || t32 == 3 || t32 == 6) return {at, false, libpcap_error};  // a packet block
    at += total;
  }
  return {off, false, libpcap_error};
}

std::optional<uint64_t> PcapRecords::after_packets(uint64_t off, uint64_t count) const {
  size_ = size_now_();
  window_.clear();
  char h[16];
  while (count > 0) {
    if (!ng_) {
      if (read(off, h, 16) != 16) return std::nullopt;
      off += 16 + uint64_t{u32(h + 8)};
      --count;
      continue;
    }
    if (read(off, h, 12) != 12) return std::nullopt;
    const uint32_t total = block_length(h).value_or(u32(h + 4));
    if (total < 12) return std::nullopt;
    uint32_t t32 = u32(h);
    if (t32 == 2 || t32 == 3 || t32 == 6) --count;  // a packet block
    off += total;
  }
  return off;
}

size_t PcapRecords::read(uint64_t off, char* buf, size_t n) const {
  // Resynchronising looks at every offset: read through a window, not a call each.
  if (off < window_off_ || off + n > window_off_ + window_.size()) {
    window_.resize(64 * 1024);
    window_off_ = off;
    window_.resize(read_at_(off, window_.data(), window_.size()));
  }
  size_t have = std::min<uint64_t>(n, window_off_ + window_.size() - off);
  std::memcpy(buf, window_.data() + (off - window_off_), have);
  return have;
}

// A record header that could start here: sane lengths and timestamp; with
// `whole`, the record also fits in the file.
bool PcapRecords::classic_plausible(uint64_t off, std::optional<int64_t> ts, bool whole, uint64_t* next) const {
  char h[16];
  if (read(off, h, 16) != 16) return false;
  uint32_t sec = u32(h), sub = u32(h + 4), caplen = u32(h + 8), len = u32(h + 12);
  if (caplen == 0 || caplen > kMaxCaplen || caplen > len) return false;
  if (sub >= (nano_ ? 1'000'000'000u : 1'000'000u)) return false;
  if (ts && (int64_t{sec} < *ts - 86400 || int64_t{sec} > *ts + 86400)) return false;
  *next = off + 16 + caplen;
  return !whole || *next <= size_;
}

// A block that could start here: a known type and a sane length; with
// `whole`, it fits in the file and the length at its end agrees.
bool PcapRecords::block_plausible(uint64_t off, bool whole, uint64_t* next) const {
  char h[8];
  if (read(off, h, 8) != 8) return false;
  uint32_t type;
  std::memcpy(&type, h, 4);
  bool shb = type == kShb;
  if (!shb && !known_block_type(u32(h))) return false;
  uint32_t total = u32(h + 4);
  if (shb && (total < 12 || total % 4 != 0 || total > kMaxBlock)) total = bswap(total);  // another byte order
  if (total < 12 || total % 4 != 0 || total > kMaxBlock) return false;
  *next = off + total;
  if (!whole) return true;
  if (*next > size_) return false;
  char t[4];
  if (read(off + total - 4, t, 4) != 4) return false;
  uint32_t trailer;
  std::memcpy(&trailer, t, 4);
  return trailer == total || bswap(trailer) == total;
}

std::optional<uint64_t> PcapRecords::resync(uint64_t off, std::optional<int64_t> last_ts_sec) const {
  size_ = size_now_();
  window_.clear();
  const uint64_t step = ng_ ? 4 : 1;
  for (uint64_t cand = off + step; cand < size_; cand += step) {
    uint64_t next = 0, after = 0;
    bool ok = ng_ ? block_plausible(cand, true, &next) : classic_plausible(cand, last_ts_sec, true, &next);
    if (!ok) continue;
    if (next == size_) return cand;
    if (ng_ ? block_plausible(next, false, &after) : classic_plausible(next, last_ts_sec, false, &after)) return cand;
  }
  return std::nullopt;
}

}  // namespace wkit::capture
