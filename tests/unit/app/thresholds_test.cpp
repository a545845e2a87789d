#include "wkit/app/thresholds.hpp"

#include <gtest/gtest.h>

namespace wkit::app {
namespace {

Threshold parse_ok(std::string_view text, ThresholdScope scope = ThresholdScope::send) {
  auto t = parse_threshold(text, scope);
  EXPECT_TRUE(t.ok()) << text << ": " << (t.ok() ? "" : t.error().message);
  return t.ok() ? *t : Threshold{};
}

TEST(Thresholds, ParsesMetricOperatorAndValueWithUnits) {
  auto t = parse_ok("p99<50ms");
  EXPECT_EQ(t.metric, "p99");
  EXPECT_EQ(t.op, Threshold::Op::lt);
  EXPECT_DOUBLE_EQ(t.value, 50e6);
  t = parse_ok("acked_ratio >= 0.999");
  EXPECT_EQ(t.metric, "acked_ratio");
  EXPECT_EQ(t.op, Threshold::Op::ge);
  EXPECT_DOUBLE_EQ(t.value, 0.999);
  t = parse_ok("p999<=2s");
  EXPECT_EQ(t.metric, "p99.9");
  EXPECT_EQ(t.op, Threshold::Op::le);
  t = parse_ok("throughput>1000/s");
  EXPECT_DOUBLE_EQ(t.value, 1000);
  t = parse_ok("duplicated==0");
  EXPECT_EQ(t.op, Threshold::Op::eq);
}

TEST(Thresholds, RefusesWhatItCannotRead) {
  for (auto bad : {"p99", "<5ms", "p77<5ms", "p99<50", "p99 ~ 5ms", "acked_ratio>1.5", "acked_ratio>x",
                   "throughput>1000", "p99<"})
    EXPECT_FALSE(parse_threshold(bad, ThresholdScope::send).ok()) << bad;
  auto t = parse_threshold("acked_ratio>0.9", ThresholdScope::histogram);
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.error().message.find("valid: p50"), std::string::npos) << t.error().message;
  EXPECT_EQ(t.error().kind, ErrorKind::usage);
}

TEST(Thresholds, EvaluatesAgainstMeasuredMetricsAndFailsUnmeasuredOnes) {
  util::Histogram h;
  for (uint64_t v = 1; v <= 100; ++v) h.record(v * 1000000);  // 1..100 ms
  Metrics m;
  add_latency_metrics(h, m);
  std::vector<Threshold> ts{parse_ok("p50<60ms"), parse_ok("p99<50ms"), parse_ok("count==100"),
                            parse_ok("late_ratio<0.01")};
  auto r = evaluate(ts, m);
  ASSERT_EQ(r.size(), 4u);
  EXPECT_TRUE(r[0].passed);
  EXPECT_FALSE(r[1].passed);
  EXPECT_TRUE(r[2].passed);
  EXPECT_FALSE(r[3].passed);
  EXPECT_FALSE(r[3].actual.has_value());

  Metrics empty;
  add_latency_metrics(util::Histogram{}, empty);
  auto e = evaluate({parse_ok("p99<1s")}, empty);
  EXPECT_FALSE(e[0].passed);  // nothing measured is not a pass
}

}  // namespace
}  // namespace wkit::app
