// HdrHistogram percentile distribution text (.hgrm): parsed back, its lines
// agree with the histogram and the footer carries mean, max, count, layout.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "wkit/util/histogram.hpp"

using wkit::util::Histogram;

namespace {

struct Line {
  double value_ms, percentile;
  uint64_t total;
  bool has_inverse;
  double inverse;
};

struct Hgrm {
  std::vector<std::string> header;
  std::vector<Line> lines;
  double mean = -1, stddev = -1, max = -1;
  uint64_t count = 0;
  int buckets = 0, sub_buckets = 0;
};

Hgrm parse(const std::string& text) {
  Hgrm h;
  std::istringstream in(text);
  std::string line;
  std::getline(in, line);
  std::istringstream head(line);
  for (std::string w; head >> w;) h.header.push_back(w);
  std::getline(in, line);
  EXPECT_TRUE(line.empty()) << "a blank line follows the header";
  while (std::getline(in, line)) {
    if (line.starts_with("#[Mean")) {
      EXPECT_EQ(std::sscanf(line.c_str(), "#[Mean    = %lf, StdDeviation   = %lf]", &h.mean, &h.stddev), 2) << line;
    } else if (line.starts_with("#[Max")) {
      unsigned long long c = 0;
      EXPECT_EQ(std::sscanf(line.c_str(), "#[Max     = %lf, Total count    = %llu]", &h.max, &c), 2) << line;
      h.count = c;
    } else if (line.starts_with("#[Buckets")) {
      EXPECT_EQ(std::sscanf(line.c_str(), "#[Buckets = %d, SubBuckets     = %d]", &h.buckets, &h.sub_buckets), 2);
    } else {
      Line l{};
      unsigned long long total = 0;
      int n = std::sscanf(line.c_str(), "%lf %lf %llu %lf", &l.value_ms, &l.percentile, &total, &l.inverse);
      EXPECT_GE(n, 3) << line;
      l.total = total;
      l.has_inverse = n == 4;
      h.lines.push_back(l);
    }
  }
  return h;
}

}  // namespace

TEST(HistogramHgrm, HeaderColumnsAndFooterLikeHdrHistogram) {
  Histogram h;
  for (uint64_t v = 1; v <= 1000; ++v) h.record(v * 1000);  // 1us .. 1ms
  const std::string text = h.to_hgrm();
  EXPECT_EQ(text.substr(0, text.find('\n')),
            "       Value     Percentile TotalCount 1/(1-Percentile)");
  const Hgrm p = parse(text);
  ASSERT_EQ(p.header, (std::vector<std::string>{"Value", "Percentile", "TotalCount", "1/(1-Percentile)"}));
  EXPECT_NEAR(p.mean, h.mean() / 1e6, 1e-6);
  EXPECT_NEAR(p.max, 1.0, 1e-9);
  EXPECT_EQ(p.count, 1000u);
  EXPECT_EQ(p.buckets, 35);
  EXPECT_EQ(p.sub_buckets, 256);
  // Uniform 1..1000 us: standard deviation about 288.7 us.
  EXPECT_NEAR(p.stddev, 0.2887, 0.003);
}

TEST(HistogramHgrm, LinesFollowThePercentileWalkAndMatchTheHistogram) {
  Histogram h;
  std::mt19937_64 rng(7);
  std::lognormal_distribution<double> d(13.0, 1.0);  // around 440us
  for (int i = 0; i < 20000; ++i) h.record(static_cast<uint64_t>(d(rng)));
  const Hgrm p = parse(h.to_hgrm());
  ASSERT_GT(p.lines.size(), 20u);
  // First line at percentile 0, the last one at 1 with the total and the max, without 1/(1-p).
  EXPECT_EQ(p.lines.front().percentile, 0.0);
  EXPECT_NEAR(p.lines.front().value_ms, static_cast<double>(h.value_at_quantile(1e-9)) / 1e6, 1e-6);
  const Line& last = p.lines.back();
  EXPECT_EQ(last.percentile, 1.0);
  EXPECT_FALSE(last.has_inverse);
  EXPECT_EQ(last.total, h.count());
  EXPECT_NEAR(last.value_ms, static_cast<double>(h.max()) / 1e6, 1e-6);
  double prev_p = -1, prev_v = -1;
  uint64_t prev_total = 0;
  for (size_t i = 0; i + 1 < p.lines.size(); ++i) {
    const Line& l = p.lines[i];
    EXPECT_GT(l.percentile, prev_p);
    EXPECT_GE(l.value_ms, prev_v);
    EXPECT_GE(l.total, prev_total);
    ASSERT_TRUE(l.has_inverse);
    EXPECT_NEAR(l.inverse, 1.0 / (1.0 - l.percentile), 0.006);
    // Each line's value is the histogram's value at that percentile (same
    // bucket rule), and TotalCount covers at least that share.
    if (l.percentile > 0) {
      EXPECT_NEAR(l.value_ms, static_cast<double>(h.value_at_quantile(l.percentile)) / 1e6, 1e-6) << l.percentile;
      EXPECT_GE(static_cast<double>(l.total), l.percentile * static_cast<double>(h.count()) - 1e-6);
    }
    prev_p = l.percentile, prev_v = l.value_ms, prev_total = l.total;
  }
  // 5 ticks per half distance: 0, 0.1, ..., 0.5, then 0.55, ... 0.75, then 0.775 ...
  ASSERT_GE(p.lines.size(), 8u);
  const double expected[] = {0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.55, 0.6};
  for (size_t i = 0; i < 8; ++i) EXPECT_NEAR(p.lines[i].percentile, expected[i], 1e-12) << i;
  // Marks the walk passes through exactly (as in HdrHistogram's own files: p99 is not one, 0.990625 is).
  for (double q : {0.5, 0.75, 0.9, 0.975, 0.990625, 0.9990234375}) {
    bool found = false;
    for (auto& l : p.lines) found = found || std::fabs(l.percentile - q) < 1e-9;
    EXPECT_TRUE(found) << q;
  }
}

TEST(HistogramHgrm, SubMicrosecondValuesKeepTheirDigitsAndEmptyHasOnlyTheFooter) {
  Histogram h;
  h.record(420);
  const Hgrm p = parse(h.to_hgrm());
  ASSERT_EQ(p.lines.size(), 2u);  // 0% and 100%
  EXPECT_NEAR(p.lines[0].value_ms, 0.00042, 2e-6);
  EXPECT_NEAR(p.max, 0.00042, 1e-9);

  const Hgrm empty = parse(Histogram().to_hgrm());
  EXPECT_TRUE(empty.lines.empty());
  EXPECT_EQ(empty.count, 0u);
  EXPECT_EQ(empty.mean, 0.0);
}
