#pragma once
// HDR-style latency histogram: log-linear buckets with bounded relative error
// (about 1% with the default 7 sub-bucket bits), values in nanoseconds up to
// about an hour; recording is O(1) and allocation-free. Histograms from
// several processes or machines merge exactly (same bucket layout).
// The serialized form (`--hist-out`) is a small JSON document, see
// docs/send.md "Histogram format".
#include <cstdint>
#include <string>
#include <vector>

#include "wkit/util/error.hpp"

namespace wkit::util {

class Histogram {
 public:
  Histogram();
  void record(uint64_t value_ns);
  void record_n(uint64_t value_ns, uint64_t count);
  void merge(const Histogram& other);
  void reset();

  uint64_t count() const { return count_; }
  uint64_t min() const;
  uint64_t max() const { return max_; }
  double mean() const;
  // q in [0,1]; returns the highest value equivalent to the bucket holding the
  // q-th value (like HdrHistogram's valueAtPercentile), 0 when empty.
  uint64_t value_at_quantile(double q) const;

  std::string to_json() const;                  // serialized, mergeable
  static Result<Histogram> from_json(std::string_view text);

 private:
  static size_t bucket_of(uint64_t v);
  static uint64_t bucket_high(size_t idx);
  std::vector<uint64_t> counts_;
  uint64_t count_ = 0, min_ = UINT64_MAX, max_ = 0;
  long double sum_ = 0;
};

}  // namespace wkit::util
