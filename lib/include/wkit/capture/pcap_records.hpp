#pragma once
// The record layer of a pcap or pcapng file, looked at beside libpcap (which
// reads the packets): when libpcap cannot read a record, whether the file is
// merely cut off there (its end falls inside the record: tcpdump was killed)
// or the record is corrupt (a length no writer produces, lengths that
// disagree); and, for --skip-bad, where the next believable record starts.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace wkit::capture {

// Reads up to `n` bytes at `offset` into `buf`; returns how many were read.
using ReadAt = std::function<size_t(uint64_t offset, char* buf, size_t n)>;
// The file's size now (a file tcpdump is still writing grows).
using SizeNow = std::function<uint64_t()>;

class PcapRecords {
 public:
  // nullopt when the file header is not one this class understands (libpcap
  // opened it anyway: failures then keep libpcap's own wording).
  static std::optional<PcapRecords> open(ReadAt read_at, SizeNow size);

  bool pcapng() const { return ng_; }

  struct Failure {
    uint64_t offset = 0;   // of the record at fault
    bool cut_off = false;  // else corrupt
    std::string what;      // "captured length 4294967295 is above the maximum 262144", ...
  };
  // Why libpcap could not read on from `offset` (where it started), and
  // the record at fault. `libpcap_error` is used when the record's own bytes
  // show nothing wrong (an unknown interface, ...).
  Failure classify(uint64_t offset, const std::string& libpcap_error) const;

  // The offset after `count` packet records from `offset` (a record start),
  // passing over other pcapng blocks on the way: where libpcap's next read
  // starts. Walked only when needed, so reading costs nothing per packet.
  std::optional<uint64_t> after_packets(uint64_t offset, uint64_t count) const;

  // The first offset after `offset` where a believable record starts: its
  // header is plausible and so is the record after it (or the file ends
  // exactly after it). `last_ts_sec`, when known, bounds classic pcap
  // timestamps (one day either side). nullopt when there is none.
  std::optional<uint64_t> resync(uint64_t offset, std::optional<int64_t> last_ts_sec) const;

  // libpcap's limit for the captured length of one packet (our link types).
  static constexpr uint32_t kMaxCaplen = 262144;
  static constexpr uint32_t kMaxBlock = 16u << 20;

 private:
  PcapRecords() = default;
  uint32_t u32(const char* p) const;
  // The length of the pcapng block whose header (12 bytes) is at `h`; a
  // section header gives its own byte order. nullopt: a section header with
  // an unknown byte-order magic.
  std::optional<uint32_t> block_length(const char* h) const;
  size_t read(uint64_t off, char* buf, size_t n) const;
  bool classic_plausible(uint64_t off, std::optional<int64_t> ts, bool whole, uint64_t* next) const;
  bool block_plausible(uint64_t off, bool whole, uint64_t* next) const;

  ReadAt read_at_;
  SizeNow size_now_;
  mutable uint64_t size_ = 0;  // size_now_() when classify() or resync() started
  mutable std::string window_;
  mutable uint64_t window_off_ = 0;
  bool ng_ = false, swapped_ = false, nano_ = false;
};

}  // namespace wkit::capture
