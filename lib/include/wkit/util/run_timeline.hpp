#pragma once
// Per-second counters of a load run for reports (`wkit send --report`):
// sends, acknowledgements and a coarse latency histogram per second of the
// run. Recording is O(1); the only allocation is one slot per new second.
// Latency per second is kept in quarter-octave buckets (at most 19% wide),
// enough for a p50/p99 curve over time; the exact percentiles come from
// util::Histogram.
#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace wkit::util {

class RunTimeline {
 public:
  static constexpr int kLatencyBuckets = 4 * 44;  // quarter octaves up to 2^44 ns
  static constexpr size_t kMaxSeconds = 7 * 24 * 3600;  // later events count in the last second

  struct Second {
    uint64_t sent = 0, acked = 0;
    uint64_t latency_max_ns = 0;
    std::array<uint32_t, kLatencyBuckets> latency{};
  };

  void on_sent(int64_t since_start_ns) { at(since_start_ns).sent++; }
  void on_acked(int64_t since_start_ns, uint64_t latency_ns);

  const std::vector<Second>& seconds() const { return seconds_; }
  // The q-th latency of one second (highest value of its bucket), 0 without acks.
  static uint64_t quantile(const Second& s, double q);
  static int bucket_of(uint64_t ns);
  static uint64_t bucket_high(int bucket);

 private:
  Second& at(int64_t since_start_ns);
  std::vector<Second> seconds_;
};

}  // namespace wkit::util
