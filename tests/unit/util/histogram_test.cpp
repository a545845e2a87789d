// Log-linear histogram: accuracy bound, exact merge, JSON round trip.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "wkit/util/histogram.hpp"

using wkit::util::Histogram;

namespace {

// The exact q-th value by the same rank rule: ceil(q * n), 1-based.
uint64_t exact_quantile(std::vector<uint64_t> sorted, double q) {
  auto rank = static_cast<size_t>(std::ceil(q * static_cast<double>(sorted.size())));
  rank = std::clamp<size_t>(rank, 1, sorted.size());
  return sorted[rank - 1];
}

void expect_within_bound(const Histogram& h, std::vector<uint64_t> values) {
  std::sort(values.begin(), values.end());
  for (double q : {0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99, 0.999, 0.9999}) {
    uint64_t exact = exact_quantile(values, q);
    uint64_t got = h.value_at_quantile(q);
    EXPECT_GE(got, exact) << "q=" << q;
    EXPECT_LE(static_cast<double>(got - exact), Histogram::kMaxRelativeError * static_cast<double>(exact))
        << "q=" << q << " exact=" << exact << " got=" << got;
  }
  EXPECT_EQ(h.value_at_quantile(0), values.front());
  EXPECT_EQ(h.value_at_quantile(1), values.back());
  EXPECT_EQ(h.min(), values.front());
  EXPECT_EQ(h.max(), values.back());
}

}  // namespace

TEST(Histogram, BucketLayoutIsContiguousAndBounded) {
  EXPECT_EQ(Histogram::bucket_of(0), 0u);
  EXPECT_EQ(Histogram::bucket_of(127), 127u);
  EXPECT_EQ(Histogram::bucket_of(Histogram::kMaxTrackable), Histogram::kBucketCount - 1);
  for (size_t i = 0; i + 1 < Histogram::kBucketCount; ++i) {
    ASSERT_EQ(Histogram::bucket_high(i) + 1, Histogram::bucket_low(i + 1)) << i;
    ASSERT_EQ(Histogram::bucket_of(Histogram::bucket_low(i)), i);
    ASSERT_EQ(Histogram::bucket_of(Histogram::bucket_high(i)), i);
    uint64_t width = Histogram::bucket_high(i) - Histogram::bucket_low(i);
    ASSERT_LE(static_cast<double>(width), Histogram::kMaxRelativeError * static_cast<double>(Histogram::bucket_low(i)));
  }
}

TEST(Histogram, EmptyIsAllZero) {
  Histogram h;
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.min(), 0u);
  EXPECT_EQ(h.max(), 0u);
  EXPECT_EQ(h.mean(), 0.0);
  EXPECT_EQ(h.value_at_quantile(0.5), 0u);
}

TEST(Histogram, SmallValuesAreExact) {
  Histogram h;
  for (uint64_t v = 0; v < 128; ++v) h.record(v);
  EXPECT_EQ(h.value_at_quantile(0.5), 63u);
  EXPECT_EQ(h.value_at_quantile(1.0), 127u);
  EXPECT_DOUBLE_EQ(h.mean(), 63.5);
}

TEST(Histogram, UniformDistributionWithinRelativeError) {
  std::mt19937_64 rng(1);
  std::uniform_int_distribution<uint64_t> dist(1000, 50'000'000);
  Histogram h;
  std::vector<uint64_t> values;
  for (int i = 0; i < 200000; ++i) {
    values.push_back(dist(rng));
    h.record(values.back());
  }
  expect_within_bound(h, values);
}

TEST(Histogram, LogNormalLatenciesWithinRelativeError) {
  std::mt19937_64 rng(2);
  std::lognormal_distribution<double> dist(std::log(2e6), 1.0);  // around 2 ms, long tail
  Histogram h;
  std::vector<uint64_t> values;
  for (int i = 0; i < 200000; ++i) {
    values.push_back(static_cast<uint64_t>(dist(rng)));
    h.record(values.back());
  }
  expect_within_bound(h, values);
}

TEST(Histogram, MeanIsExact) {
  Histogram h;
  h.record(1000);
  h.record(3000);
  h.record_n(2000, 2);
  EXPECT_DOUBLE_EQ(h.mean(), 2000.0);
  EXPECT_EQ(h.count(), 4u);
}

TEST(Histogram, ValuesAboveTrackableAreCountedAndMaxIsExact) {
  Histogram h;
  h.record(10);
  h.record(Histogram::kMaxTrackable * 4);
  EXPECT_EQ(h.count(), 2u);
  EXPECT_EQ(h.max(), Histogram::kMaxTrackable * 4);
  EXPECT_EQ(h.value_at_quantile(0.99), Histogram::kMaxTrackable * 4);
}

TEST(Histogram, MergeEqualsRecordingEverythingInOne) {
  std::mt19937_64 rng(3);
  std::lognormal_distribution<double> dist(std::log(5e5), 1.5);
  Histogram all, parts[3];
  for (int i = 0; i < 100000; ++i) {
    auto v = static_cast<uint64_t>(dist(rng));
    all.record(v);
    parts[i % 3].record(v);
  }
  Histogram merged;
  for (auto& p : parts) merged.merge(p);
  EXPECT_TRUE(merged == all);
  EXPECT_EQ(merged.to_json(), all.to_json());
  for (double q : {0.5, 0.99, 0.999}) EXPECT_EQ(merged.value_at_quantile(q), all.value_at_quantile(q));
  EXPECT_DOUBLE_EQ(merged.mean(), all.mean());
}

TEST(Histogram, JsonRoundTripIsExact) {
  std::mt19937_64 rng(4);
  Histogram h;
  for (int i = 0; i < 5000; ++i) h.record(rng() % 10'000'000'000ull);
  h.record(Histogram::kMaxTrackable * 2);
  std::string json = h.to_json();
  auto back = Histogram::from_json(json);
  ASSERT_TRUE(back.ok()) << back.error().describe();
  EXPECT_TRUE(*back == h);
  EXPECT_EQ(back->to_json(), json);
  // Mergeable after the round trip.
  back->merge(h);
  EXPECT_EQ(back->count(), 2 * h.count());
}

TEST(Histogram, EmptyJsonRoundTrips) {
  Histogram h;
  auto back = Histogram::from_json(h.to_json());
  ASSERT_TRUE(back.ok()) << back.error().describe();
  EXPECT_TRUE(*back == h);
}

TEST(Histogram, JsonHasVersionAndDocumentedFields) {
  Histogram h;
  h.record(1500);
  std::string j = h.to_json();
  for (const char* field : {"\"format\":\"wkit-histogram\"", "\"version\":1", "\"unit\":\"ns\"",
                            "\"sub_bucket_bits\":7", "\"count\":1", "\"sum\":\"1500\"", "\"buckets\":[[1496,1]]"})
    EXPECT_NE(j.find(field), std::string::npos) << field << " in " << j;
}

TEST(Histogram, FromJsonRejectsBadDocuments) {
  Histogram h;
  h.record(1500);
  h.record(10);
  const std::string good = h.to_json();
  auto replaced = [&](const std::string& from, const std::string& to) {
    std::string s = good;
    auto at = s.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    return s.replace(at, from.size(), to);
  };
  struct Case {
    std::string text, message_part;
  };
  const Case cases[] = {
      {"{not json", "not valid JSON"},
      {"[]", "expected an object"},
      {replaced("\"version\":1", "\"version\":2"), "unsupported version 2"},
      {replaced("wkit-histogram", "other"), "format"},
      {replaced("\"sub_bucket_bits\":7", "\"sub_bucket_bits\":8"), "bucket layout differs"},
      {replaced("\"count\":2", "\"count\":3"), "add up to 2"},
      {replaced("[1496,1]", "[1497,1]"), "not the lowest value of a bucket"},
      {replaced("[1496,1]", "[1496,0]"), "count is 0"},
      {replaced("[[10,1],[1496,1]]", "[[1496,1],[10,1]]"), "ascending"},
      {replaced("\"sum\":\"1510\"", "\"sum\":1510"), "sum"},
      {replaced("\"max\":1500", "\"max\":9000"), "min\"/\"max"},
  };
  for (const auto& c : cases) {
    auto r = Histogram::from_json(c.text);
    ASSERT_FALSE(r.ok()) << c.text;
    EXPECT_NE(r.error().message.find(c.message_part), std::string::npos) << r.error().message;
  }
  ASSERT_TRUE(Histogram::from_json(good).ok());
  auto parse_err = Histogram::from_json("{\"a\": ]");
  ASSERT_FALSE(parse_err.ok());
  EXPECT_TRUE(parse_err.error().offset.has_value());
}

TEST(Histogram, ResetClears) {
  Histogram h;
  h.record(5);
  h.reset();
  EXPECT_TRUE(h == Histogram());
}
