// Log-linear histogram (layout and format: histogram.hpp, docs/histogram-format.md).
#include "wkit/util/histogram.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <nlohmann/json.hpp>

namespace wkit::util {
namespace {

std::string u128_to_string(unsigned __int128 v) {
  if (v == 0) return "0";
  std::string s;
  while (v > 0) {
    s.push_back(static_cast<char>('0' + static_cast<int>(v % 10)));
    v /= 10;
  }
  std::reverse(s.begin(), s.end());
  return s;
}

bool u128_from_string(std::string_view s, unsigned __int128& out) {
  if (s.empty() || s.size() > 39) return false;
  unsigned __int128 v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    unsigned __int128 next = v * 10 + static_cast<unsigned>(c - '0');
    if (next / 10 != v) return false;  // overflow
    v = next;
  }
  out = v;
  return true;
}

Error bad(std::string msg) { return Error::input("histogram JSON: " + std::move(msg)); }

}  // namespace

Histogram::Histogram() : counts_(kBucketCount, 0) {}

size_t Histogram::bucket_of(uint64_t v) {
  if (v > kMaxTrackable) v = kMaxTrackable;
  if (v < kSubBuckets) return static_cast<size_t>(v);
  int e = std::bit_width(v) - 1;  // v in [2^e, 2^(e+1)), e >= kSubBucketBits
  int shift = e - kSubBucketBits;
  uint64_t mantissa = v >> shift;  // in [kSubBuckets, 2*kSubBuckets)
  return static_cast<size_t>((shift + 1) * kSubBuckets + (mantissa - kSubBuckets));
}

uint64_t Histogram::bucket_low(size_t idx) {
  if (idx < kSubBuckets) return idx;
  int shift = static_cast<int>(idx / kSubBuckets) - 1;
  return (kSubBuckets + idx % kSubBuckets) << shift;
}

uint64_t Histogram::bucket_high(size_t idx) {
  if (idx < kSubBuckets) return idx;
  int shift = static_cast<int>(idx / kSubBuckets) - 1;
  return bucket_low(idx) + (uint64_t{1} << shift) - 1;
}

void Histogram::record_n(uint64_t value_ns, uint64_t count) {
  if (count == 0) return;
  counts_[bucket_of(value_ns)] += count;
  count_ += count;
  min_ = std::min(min_, value_ns);
  max_ = std::max(max_, value_ns);
  sum_ += static_cast<unsigned __int128>(value_ns) * count;
}

void Histogram::merge(const Histogram& other) {
  for (size_t i = 0; i < kBucketCount; ++i) counts_[i] += other.counts_[i];
  count_ += other.count_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
  sum_ += other.sum_;
}

void Histogram::reset() {
  std::fill(counts_.begin(), counts_.end(), 0);
  count_ = 0;
  min_ = UINT64_MAX;
  max_ = 0;
  sum_ = 0;
}

uint64_t Histogram::min() const { return count_ ? min_ : 0; }

double Histogram::mean() const { return count_ ? static_cast<double>(sum_) / static_cast<double>(count_) : 0.0; }

uint64_t Histogram::value_at_quantile(double q) const {
  if (count_ == 0) return 0;
  if (!(q > 0)) return min_;
  if (q >= 1) return max_;
  // The rank of the q-th value, 1-based: ceil(q * count), at least 1.
  auto rank = static_cast<uint64_t>(std::ceil(q * static_cast<double>(count_)));
  rank = std::clamp<uint64_t>(rank, 1, count_);
  uint64_t seen = 0;
  for (size_t i = 0; i < kBucketCount; ++i) {
    seen += counts_[i];
    if (seen >= rank) {
      // The last bucket also holds clamped values above kMaxTrackable.
      if (i == kBucketCount - 1) return max_;
      return std::min(bucket_high(i), max_);
    }
  }
  return max_;
}

std::string Histogram::to_json() const {
  nlohmann::json buckets = nlohmann::json::array();
  for (size_t i = 0; i < kBucketCount; ++i)
    if (counts_[i]) buckets.push_back({bucket_low(i), counts_[i]});
  nlohmann::ordered_json j;
  j["format"] = "wkit-histogram";
  j["version"] = kFormatVersion;
  j["unit"] = "ns";
  j["sub_bucket_bits"] = kSubBucketBits;
  j["max_trackable"] = kMaxTrackable;
  j["count"] = count_;
  j["min"] = min();
  j["max"] = max_;
  j["sum"] = u128_to_string(sum_);
  j["buckets"] = std::move(buckets);
  return j.dump();
}

Result<Histogram> Histogram::from_json(std::string_view text) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    return Error::input("histogram JSON: not valid JSON: " + std::string(e.what()), e.byte > 0 ? e.byte - 1 : 0);
  }
  if (!j.is_object()) return bad("expected an object");
  auto str = [&](const char* k) -> std::string {
    auto it = j.find(k);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  auto uint = [&](const char* k, uint64_t& out) -> bool {
    auto it = j.find(k);
    if (it == j.end() || !it->is_number_unsigned()) return false;
    out = it->get<uint64_t>();
    return true;
  };
  if (str("format") != "wkit-histogram") return bad("\"format\" is not \"wkit-histogram\"");
  uint64_t version = 0, bits = 0, max_trackable = 0, count = 0, mn = 0, mx = 0;
  if (!uint("version", version)) return bad("missing \"version\"");
  if (version != kFormatVersion)
    return bad("unsupported version " + std::to_string(version) + " (this wkit reads " +
               std::to_string(kFormatVersion) + ")");
  if (str("unit") != "ns") return bad("\"unit\" must be \"ns\"");
  if (!uint("sub_bucket_bits", bits) || !uint("max_trackable", max_trackable) || bits != kSubBucketBits ||
      max_trackable != kMaxTrackable)
    return bad("bucket layout differs (sub_bucket_bits " + std::to_string(kSubBucketBits) + ", max_trackable " +
               std::to_string(kMaxTrackable) + " expected): cannot merge exactly");
  if (!uint("count", count) || !uint("min", mn) || !uint("max", mx))
    return bad("\"count\", \"min\" and \"max\" must be unsigned integers");
  Histogram h;
  if (!u128_from_string(str("sum"), h.sum_)) return bad("\"sum\" must be a decimal string");
  auto bit = j.find("buckets");
  if (bit == j.end() || !bit->is_array()) return bad("\"buckets\" must be an array");
  size_t prev = 0, first = 0;
  uint64_t total = 0;
  for (size_t n = 0; n < bit->size(); ++n) {
    const auto& b = (*bit)[n];
    std::string where = "bucket #" + std::to_string(n) + ": ";
    if (!b.is_array() || b.size() != 2 || !b[0].is_number_unsigned() || !b[1].is_number_unsigned())
      return bad(where + "expected [low_value, count] with unsigned integers");
    uint64_t low = b[0].get<uint64_t>(), c = b[1].get<uint64_t>();
    size_t idx = bucket_of(low);
    if (low > kMaxTrackable || bucket_low(idx) != low)
      return bad(where + std::to_string(low) + " is not the lowest value of a bucket");
    if (n > 0 && idx <= prev) return bad(where + "buckets must be in ascending order without repeats");
    if (c == 0) return bad(where + "count is 0 (only non-empty buckets are listed)");
    if (c > UINT64_MAX - total) return bad(where + "total count overflows");
    h.counts_[idx] = c;
    if (n == 0) first = idx;
    total += c;
    prev = idx;
  }
  if (total != count)
    return bad("bucket counts add up to " + std::to_string(total) + " but \"count\" is " + std::to_string(count));
  h.count_ = count;
  if (count > 0) {
    if (mn > mx) return bad("\"min\" is above \"max\"");
    if (bucket_of(mn) != first || bucket_of(mx) != prev)
      return bad("\"min\"/\"max\" do not fall in the first/last non-empty bucket");
    h.min_ = mn;
    h.max_ = mx;
  }
  return h;
}

}  // namespace wkit::util
