// Per-second run counters and the SVG/HTML pieces of the reports.
#include <gtest/gtest.h>

#include "wkit/util/html_report.hpp"
#include "wkit/util/run_timeline.hpp"

using namespace wkit::util;

TEST(RunTimeline, CountsPerSecondAndBoundsItsQuantiles) {
  RunTimeline t;
  for (int i = 0; i < 100; ++i) t.on_sent(int64_t(i) * 10'000'000);  // 100 sends over the first second
  for (int i = 0; i < 100; ++i) t.on_acked(1'500'000'000, uint64_t(i + 1) * 1000);  // 1us..100us in second 1
  t.on_sent(3'200'000'000);
  ASSERT_EQ(t.seconds().size(), 4u);
  EXPECT_EQ(t.seconds()[0].sent, 100u);
  EXPECT_EQ(t.seconds()[1].acked, 100u);
  EXPECT_EQ(t.seconds()[2].sent + t.seconds()[2].acked, 0u);
  EXPECT_EQ(t.seconds()[3].sent, 1u);
  const auto& s = t.seconds()[1];
  for (double q : {0.5, 0.9, 0.99}) {
    const double exact = q * 100 * 1000;
    const double got = double(RunTimeline::quantile(s, q));
    EXPECT_GE(got, exact) << q;
    EXPECT_LE(got, exact * 1.25) << q;  // a quarter octave
  }
  EXPECT_EQ(RunTimeline::quantile(s, 1.0), 100000u);
  EXPECT_EQ(RunTimeline::quantile(t.seconds()[0], 0.5), 0u);  // nothing acknowledged
}

TEST(RunTimeline, BucketsCoverEveryValueInOrder) {
  uint64_t prev_high = 0;
  for (uint64_t v : {0ull, 1ull, 3ull, 4ull, 5ull, 7ull, 8ull, 1000ull, 123456789ull, (1ull << 43) + 5}) {
    const int b = RunTimeline::bucket_of(v);
    EXPECT_GE(RunTimeline::bucket_high(b), v) << v;
    EXPECT_GE(RunTimeline::bucket_high(b), prev_high);
    prev_high = RunTimeline::bucket_high(b);
  }
}

TEST(HtmlPage, EscapesTextAndNamesItsCharts) {
  EXPECT_EQ(html_escape("<a href=\"x\">'&'</a>"), "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
  ChartSpec spec;
  spec.id = "c1";
  spec.title = "t <1>";
  const std::string svg = svg_line_chart(spec, {{"a&b", "#123456", {{0, 1}, {1, 2}}}});
  EXPECT_EQ(svg.rfind("<svg id=\"c1\" class=\"chart\"", 0), 0u) << svg;
  EXPECT_NE(svg.find("t &lt;1&gt;"), std::string::npos);
  EXPECT_NE(svg.find("data-name=\"a&amp;b\""), std::string::npos);
  const std::string tl = svg_timeline("tl", {{"m1", {{0, "send", "seq 1"}, {0.2, "sendack", "42"}}}});
  EXPECT_NE(tl.find("class=\"ev ev-send\""), std::string::npos);
  EXPECT_NE(tl.find("class=\"ev ev-sendack\""), std::string::npos);
  HtmlPage page("x");
  page.raw(svg);
  const std::string html = page.str();
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_EQ(html.find("<script"), std::string::npos);
}
