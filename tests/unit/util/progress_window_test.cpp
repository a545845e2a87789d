// Window rate and p99 against cumulative ones, estimates and line layout,
// on a fake clock (no sleeping, no timing assertions).
#include <gtest/gtest.h>

#include "wkit/util/progress_window.hpp"

namespace wu = wkit::util;
using namespace std::chrono_literals;

namespace {
const auto t0 = wu::ProgressWindow::Clock::time_point{} + 1h;
}

TEST(ProgressWindow, RateAndP99AreOfTheWindowNotSinceTheStart) {
  wu::ProgressWindow w(t0);
  // Window 1: 1000 per second for 10 s, latencies of 50 ms.
  for (int i = 0; i < 10000; ++i) w.latency().record(50'000'000);
  auto a = w.close(10000, t0 + 10s);
  EXPECT_DOUBLE_EQ(a.rate, 1000);
  EXPECT_DOUBLE_EQ(a.average_rate, 1000);
  EXPECT_EQ(a.latencies, 10000u);
  EXPECT_NEAR(double(a.p99_ns), 50e6, 50e6 * wu::Histogram::kMaxRelativeError);
  // Window 2: the rate drops to 100 per second and latencies to 1 ms.
  for (int i = 0; i < 1000; ++i) w.latency().record(1'000'000);
  auto b = w.close(11000, t0 + 20s);
  EXPECT_EQ(b.window, 10s);
  EXPECT_EQ(b.elapsed, 20s);
  EXPECT_EQ(b.in_window, 1000u);
  EXPECT_DOUBLE_EQ(b.rate, 100);           // the window's
  EXPECT_DOUBLE_EQ(b.average_rate, 550);   // since the start: hides the drop
  EXPECT_EQ(b.latencies, 1000u);           // the histogram was reset at the close
  EXPECT_NEAR(double(b.p99_ns), 1e6, 1e6 * wu::Histogram::kMaxRelativeError);
  // A cumulative p99 over both windows would still be 50 ms.
  wu::Histogram all;
  all.record_n(50'000'000, 10000);
  all.record_n(1'000'000, 1000);
  EXPECT_GT(all.value_at_quantile(0.99), 10 * b.p99_ns);
}

TEST(ProgressWindow, EmptyWindowHasNoRateAndNoLatency) {
  wu::ProgressWindow w(t0);
  w.close(500, t0 + 1s);
  auto s = w.close(500, t0 + 2s);
  EXPECT_EQ(s.rate, 0);
  EXPECT_EQ(s.latencies, 0u);
  EXPECT_EQ(s.p99_ns, 0u);
  EXPECT_DOUBLE_EQ(s.average_rate, 250);
  auto z = wu::ProgressWindow(t0).close(0, t0);  // zero-length window: no division by zero
  EXPECT_EQ(z.rate, 0);
  EXPECT_EQ(z.average_rate, 0);
}

TEST(ProgressWindow, Estimates) {
  EXPECT_EQ(wu::remaining_at_rate(400, 1000, 100), 6s);
  EXPECT_EQ(wu::remaining_at_rate(1000, 1000, 0), 0s);
  EXPECT_EQ(wu::remaining_at_rate(1200, 1000, 5), 0s);
  EXPECT_FALSE(wu::remaining_at_rate(10, 1000, 0).has_value());  // no rate yet: unknown, not infinite
  EXPECT_EQ(wu::remaining_of(30s, 12s), 18s);
  EXPECT_EQ(wu::remaining_of(30s, 31s), 0s);
  EXPECT_EQ(wu::sooner(5s, 3s), 3s);
  EXPECT_EQ(wu::sooner(std::nullopt, 3s), 3s);
  EXPECT_FALSE(wu::sooner(std::nullopt, std::nullopt).has_value());
}

TEST(ProgressLine, FieldsInOrderUnknownAsDash) {
  wu::ProgressLine line("send", 10s);
  line.count_of("sent", 5200, 10000).count("acked", 5190).rate(520).duration("p99", 3100us).remaining(std::nullopt);
  EXPECT_EQ(line.str(), "send: elapsed 10s, sent 5200 of 10000, acked 5190, rate 520/s, p99 3.1ms, remaining -");
}
