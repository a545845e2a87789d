#pragma once
// HDR-style latency histogram: log-linear buckets with bounded relative error,
// values in nanoseconds; recording is O(1) and allocation-free. Histograms
// from several processes or machines merge exactly (same bucket layout).
//
// Layout: values below 2^7 = 128 have a bucket each (exact). Above that, every
// power of two [2^e, 2^(e+1)) is split into 128 equal sub-buckets, so a bucket
// is at most 1/128 (0.78%) of its lowest value wide. value_at_quantile()
// returns the bucket's highest value (clamped to the recorded max), so it is
// never below the true quantile and at most 0.78% above it.
// Values above kMaxTrackable (2^42-1 ns, about 73 minutes) are counted in the
// last bucket; max() still reports them exactly.
//
// The serialized form (`--hist-out`, version 1) is documented in
// docs/histogram-format.md:
//   {"format":"wkit-histogram","version":1,"unit":"ns","sub_bucket_bits":7,
//    "max_trackable":4398046511103,"count":N,"min":..,"max":..,
//    "sum":"<decimal, exact>","buckets":[[bucket_low_value,count],...]}
// with only non-empty buckets, ascending.
//
// to_hgrm() prints HdrHistogram's percentile distribution text (.hgrm, what
// outputPercentileDistribution prints and its plotter reads), values in ms.
// The layout equals an HdrHistogram with 2 significant digits (256
// sub-buckets, 35 buckets up to 2^42-1).
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "wkit/util/error.hpp"

namespace wkit::util {

class Histogram {
 public:
  static constexpr int kSubBucketBits = 7;
  static constexpr uint64_t kSubBuckets = uint64_t{1} << kSubBucketBits;
  static constexpr int kMaxBits = 42;
  static constexpr uint64_t kMaxTrackable = (uint64_t{1} << kMaxBits) - 1;
  static constexpr size_t kBucketCount = (kMaxBits - kSubBucketBits + 1) * kSubBuckets;
  static constexpr double kMaxRelativeError = 1.0 / kSubBuckets;
  static constexpr int kFormatVersion = 1;

  Histogram();
  void record(uint64_t value_ns) { record_n(value_ns, 1); }
  void record_n(uint64_t value_ns, uint64_t count);
  void merge(const Histogram& other);
  void reset();

  uint64_t count() const { return count_; }
  uint64_t min() const;  // 0 when empty
  uint64_t max() const { return max_; }
  double mean() const;   // exact sum / count, 0 when empty
  // q in [0,1]; returns the highest value equivalent to the bucket holding the
  // q-th value (like HdrHistogram's valueAtPercentile), 0 when empty.
  uint64_t value_at_quantile(double q) const;

  double stddev() const;  // from bucket midpoints (as HdrHistogram), 0 when empty

  std::string to_json() const;  // serialized, mergeable
  // HdrHistogram percentile distribution text; ticks per half distance as
  // outputPercentileDistribution's percentileTicksPerHalfDistance.
  std::string to_hgrm(int ticks_per_half_distance = 5) const;
  static constexpr int kHgrmBuckets = kMaxBits - (kSubBucketBits + 1) + 1;  // 35
  static constexpr int kHgrmSubBuckets = 2 * kSubBuckets;                   // 256
  static Result<Histogram> from_json(std::string_view text);

  bool operator==(const Histogram& o) const {
    return count_ == o.count_ && min_ == o.min_ && max_ == o.max_ && sum_ == o.sum_ && counts_ == o.counts_;
  }

  // Bucket layout (public for tests and tools).
  static size_t bucket_of(uint64_t v);
  static uint64_t bucket_low(size_t idx);
  static uint64_t bucket_high(size_t idx);

 private:
  std::vector<uint64_t> counts_;
  uint64_t count_ = 0, min_ = UINT64_MAX, max_ = 0;
  unsigned __int128 sum_ = 0;  // exact: merges and round trips lose nothing
};

}  // namespace wkit::util
