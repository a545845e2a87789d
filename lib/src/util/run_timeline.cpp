// Per-second run counters (run_timeline.hpp).
#include "wkit/util/run_timeline.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

namespace wkit::util {

RunTimeline::Second& RunTimeline::at(int64_t since_start_ns) {
  const size_t sec = std::min<size_t>(since_start_ns > 0 ? size_t(since_start_ns / 1000000000) : 0, kMaxSeconds - 1);
  if (sec >= seconds_.size()) seconds_.resize(sec + 1);
  return seconds_[sec];
}

void RunTimeline::on_acked(int64_t since_start_ns, uint64_t latency_ns) {
  Second& s = at(since_start_ns);
  ++s.acked;
  s.latency_max_ns = std::max(s.latency_max_ns, latency_ns);
  ++s.latency[size_t(bucket_of(latency_ns))];
}

// Bucket 4e+k holds [2^e * (1 + k/4), 2^e * (1 + (k+1)/4)); values below 4 share bucket 0..7.
int RunTimeline::bucket_of(uint64_t ns) {
  if (ns < 4) return int(ns);
  const int e = std::bit_width(ns) - 1;
  const int k = int((ns >> (e - 2)) & 3);
  return std::min(4 * e + k, kLatencyBuckets - 1);
}

uint64_t RunTimeline::bucket_high(int b) {
  if (b < 8) return uint64_t(b);  // 0..3 exact; 4..7 unused
  const int e = b / 4, k = b % 4;
  return (uint64_t{4 + uint64_t(k) + 1} << (e - 2)) - 1;
}

uint64_t RunTimeline::quantile(const Second& s, double q) {
  if (s.acked == 0) return 0;
  const uint64_t rank = std::clamp<uint64_t>(uint64_t(std::ceil(q * double(s.acked))), 1, s.acked);
  uint64_t seen = 0;
  for (int b = 0; b < kLatencyBuckets; ++b) {
    seen += s.latency[size_t(b)];
    if (seen >= rank) return std::min(bucket_high(b), s.latency_max_ns);
  }
  return s.latency_max_ns;
}

}  // namespace wkit::util
