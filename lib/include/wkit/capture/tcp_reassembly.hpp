#pragma once
// One direction of a TCP connection rebuilt from captured segments: handles
// out-of-order segments and retransmissions (overlaps are trimmed, the bytes
// first captured win), and reports missing data as a gap instead of guessing.
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

namespace wkit::capture {

class TcpDirection {
 public:
  struct Gap {
    uint64_t offset = 0;  // stream offset where data is missing
    uint64_t length = 0;  // bytes missing
  };

  // The SYN fixes the initial sequence number (data starts at isn + 1).
  void on_syn(uint32_t isn);
  // A segment with `payload` starting at sequence number `seq`, captured at
  // `ts_ns`. Newly contiguous bytes are appended to ready(). Without a SYN the
  // first segment seen starts the stream (at offset 0).
  void on_segment(uint32_t seq, std::string_view payload, int64_t ts_ns);
  // Bytes now contiguous and not yet taken; take_ready() hands them over.
  std::string_view ready() const { return ready_; }
  uint64_t ready_offset() const { return ready_offset_; }
  void clear_ready() { ready_.clear(); ready_offset_ = delivered_; }
  // Timestamp of the capture that made the newest ready bytes contiguous.
  int64_t ready_ts_ns() const { return ready_ts_; }

  // Gives up waiting for the hole before the first buffered out-of-order
  // segment: reports it and continues after it. false if nothing is buffered
  // or ready() is not empty (take the ready bytes first).
  bool skip_gap(Gap& out);
  uint64_t buffered_bytes() const { return buffered_bytes_; }
  bool started() const { return started_; }
  bool saw_syn() const { return saw_syn_; }

  uint64_t retransmitted_segments() const { return retransmitted_; }
  uint64_t out_of_order_segments() const { return out_of_order_; }
  // Retransmitted bytes that differ from the bytes first captured.
  uint64_t inconsistent_bytes() const { return inconsistent_; }
  uint64_t delivered() const { return delivered_; }

 private:
  // Sequence number -> stream offset (64-bit, wrap-safe near delivered_);
  // negative for bytes before the start of the stream.
  int64_t unwrap(uint32_t seq) const;
  void append(std::string_view bytes, int64_t ts_ns);
  void check_overlap(uint64_t at, std::string_view bytes);
  void drain(int64_t ts_ns);

  bool started_ = false, saw_syn_ = false;
  uint32_t base_seq_ = 0;   // sequence number of stream offset 0
  uint64_t delivered_ = 0;  // next expected stream offset
  struct Pending {
    std::string bytes;
    int64_t ts_ns;
  };
  std::map<uint64_t, Pending> pending_;  // out-of-order, by stream offset
  uint64_t buffered_bytes_ = 0;
  std::string ready_;
  uint64_t ready_offset_ = 0;
  // The last delivered bytes (bounded), to check that retransmissions agree.
  std::string history_;
  uint64_t history_offset_ = 0;
  int64_t ready_ts_ = 0;
  uint64_t retransmitted_ = 0, out_of_order_ = 0, inconsistent_ = 0;
};

}  // namespace wkit::capture
