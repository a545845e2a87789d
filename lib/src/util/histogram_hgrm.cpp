// HdrHistogram's percentile distribution text (.hgrm) for a Histogram
// (docs/histogram-format.md "Percentile distribution"). Follows
// outputPercentileDistribution: a tick walk that halves the distance to 100%
// every `ticks` lines, one line per tick reached, then a 100% line and the
// Mean/Max/Buckets footer. Values are printed in milliseconds.
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "wkit/util/histogram.hpp"

namespace wkit::util {
namespace {

constexpr double kNsPerMs = 1e6;

void append(std::string& out, const char* fmt, auto... args) {
  char buf[160];
  int n = std::snprintf(buf, sizeof buf, fmt, args...);
  if (n > 0) out.append(buf, static_cast<size_t>(std::min<int>(n, sizeof buf - 1)));
}

}  // namespace

double Histogram::stddev() const {
  if (count_ == 0) return 0.0;
  const double m = mean();
  double sq = 0;
  for (size_t i = 0; i < kBucketCount; ++i) {
    if (!counts_[i]) continue;
    // HdrHistogram uses the bucket's median equivalent value.
    const uint64_t size = bucket_high(i) - bucket_low(i) + 1;
    const double d = static_cast<double>(bucket_low(i) + (size >> 1)) - m;
    sq += d * d * static_cast<double>(counts_[i]);
  }
  return std::sqrt(sq / static_cast<double>(count_));
}

std::string Histogram::to_hgrm(int ticks) const {
  if (ticks < 1) ticks = 1;
  std::string out;
  append(out, "%12s %14s %10s %14s\n\n", "Value", "Percentile", "TotalCount", "1/(1-Percentile)");
  // The value reported for a bucket: its highest value, clamped to max (as value_at_quantile()).
  auto value_ms = [&](size_t i) {
    const uint64_t v = i == kBucketCount - 1 ? max_ : std::min(bucket_high(i), max_);
    return static_cast<double>(v) / kNsPerMs;
  };
  if (count_ > 0) {
    size_t i = 0;
    uint64_t cumulative = 0;
    auto advance = [&] {  // to the next non-empty bucket
      while (counts_[i] == 0) ++i;
      cumulative += counts_[i];
    };
    advance();
    double level = 0;  // percent
    // Each line is one step of HdrHistogram's percentile iterator: it is
    // asked for a next step only while values remain beyond the last step.
    for (;;) {
      const double reached = 100.0 * static_cast<double>(cumulative) / static_cast<double>(count_);
      if (reached < level) {
        ++i;
        advance();
        continue;
      }
      const double p = level / 100.0;
      append(out, "%12.6f %2.12f %10llu %14.2f\n", value_ms(i), p, static_cast<unsigned long long>(cumulative),
             1.0 / (1.0 - p));
      const auto halvings = static_cast<int64_t>(std::log(100.0 / (100.0 - level)) / std::log(2.0)) + 1;
      level += 100.0 / (static_cast<double>(ticks) * std::pow(2.0, static_cast<double>(halvings)));
      if (cumulative >= count_) break;
    }
    append(out, "%12.6f %2.12f %10llu\n", value_ms(i), 1.0, static_cast<unsigned long long>(cumulative));
  }
  append(out, "#[Mean    = %12.6f, StdDeviation   = %12.6f]\n", mean() / kNsPerMs, stddev() / kNsPerMs);
  append(out, "#[Max     = %12.6f, Total count    = %12llu]\n", static_cast<double>(max_) / kNsPerMs,
         static_cast<unsigned long long>(count_));
  append(out, "#[Buckets = %12d, SubBuckets     = %12d]\n", kHgrmBuckets, kHgrmSubBuckets);
  return out;
}

}  // namespace wkit::util
