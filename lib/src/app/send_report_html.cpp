// The HTML page of `wkit send --report` (send_report.hpp).
#include <cmath>

#include "wkit/app/send_report.hpp"
#include "wkit/util/html_report.hpp"
#include "wkit/util/latency_text.hpp"
#include "wkit/util/units.hpp"

namespace wkit::app {
namespace {

using nlohmann::json;

std::string text_of(const json& j) { return j.is_string() ? j.get<std::string>() : j.dump(); }

std::string latency_label(double ns) { return util::format_latency(uint64_t(std::llround(std::max(0.0, ns)))); }

// Percentile curve on HdrHistogram's axis: x = 1/(1-p), log scale.
std::string percentile_chart(const util::Histogram& h) {
  util::ChartSpec spec;
  spec.id = "latency-percentiles";
  spec.title = "Latency by percentile";
  spec.x_label = "percentile";
  spec.y_label = "latency";
  spec.log_x = true;
  spec.y_format = latency_label;
  util::ChartSeries s{"latency", "#1f77b4", {}};
  const double top = std::max(10.0, double(h.count()));  // the finest percentile the data can show
  for (int k = 0; std::pow(10.0, k / 10.0) <= top * 1.0001; ++k) {
    const double x = std::pow(10.0, k / 10.0);
    s.points.push_back({x, double(h.value_at_quantile(1 - 1 / x))});
  }
  s.points.push_back({top, double(h.max())});
  const char* labels[] = {"0%", "90%", "99%", "99.9%", "99.99%", "99.999%", "99.9999%"};
  for (int d = 0; d < 7 && std::pow(10.0, d) <= top * 1.0001; ++d) spec.x_ticks.push_back({std::pow(10.0, d), labels[d]});
  return util::svg_line_chart(spec, h.count() ? std::vector<util::ChartSeries>{s} : std::vector<util::ChartSeries>{});
}

std::string latency_over_time(const util::RunTimeline& t) {
  util::ChartSpec spec;
  spec.id = "latency-over-time";
  spec.title = "Latency per second of the run";
  spec.x_label = "seconds since the first SEND";
  spec.y_label = "latency";
  spec.y_format = latency_label;
  util::ChartSeries p50{"p50", "#2ca02c", {}}, p99{"p99", "#ff7f0e", {}}, mx{"max", "#d62728", {}};
  const auto& secs = t.seconds();
  for (size_t i = 0; i < secs.size(); ++i) {
    if (secs[i].acked == 0) continue;
    const double x = double(i);
    p50.points.push_back({x, double(util::RunTimeline::quantile(secs[i], 0.5))});
    p99.points.push_back({x, double(util::RunTimeline::quantile(secs[i], 0.99))});
    mx.points.push_back({x, double(secs[i].latency_max_ns)});
  }
  return util::svg_line_chart(spec, {p50, p99, mx});
}

std::string throughput_over_time(const util::RunTimeline& t) {
  util::ChartSpec spec;
  spec.id = "throughput-over-time";
  spec.title = "Throughput per second of the run";
  spec.x_label = "seconds since the first SEND";
  spec.y_label = "messages per second";
  util::ChartSeries sent{"sent/s", "#1f77b4", {}}, acked{"acked/s", "#2ca02c", {}};
  const auto& secs = t.seconds();
  for (size_t i = 0; i < secs.size(); ++i) {
    sent.points.push_back({double(i), double(secs[i].sent)});
    acked.points.push_back({double(i), double(secs[i].acked)});
  }
  return util::svg_line_chart(spec, {sent, acked});
}

}  // namespace

std::string send_report_html(const json& s, const util::Histogram& h, const util::RunTimeline& t) {
  util::HtmlPage page("wkit send report");
  auto get = [&](const char* k) { return s.contains(k) ? text_of(s[k]) : std::string("-"); };
  std::vector<std::vector<std::string>> rows = {
      {"server", get("server")},
      {"messages", get("attempted") + " (" + get("sends") + " SENDs over " + get("connections") + " connection(s))"},
      {"acknowledged", get("acknowledged") + ", not acknowledged " + get("not_acknowledged")},
      {"throughput", util::format_rate(s.value("throughput_per_s", 0.0)) + " acknowledged, in " +
                         util::format_duration(std::chrono::nanoseconds(int64_t(s.value("elapsed_s", 0.0) * 1e9)))},
      {"result", get("verdict") + (s.value("findings", std::string()).empty() ? "" : ": " + get("findings"))},
  };
  if (s.contains("verdicts")) rows.push_back({"verdicts", s["verdicts"].dump()});
  if (h.count())
    rows.push_back({"latency", "p50 " + util::format_latency(h.value_at_quantile(0.5)) + "  p90 " +
                                   util::format_latency(h.value_at_quantile(0.9)) + "  p99 " +
                                   util::format_latency(h.value_at_quantile(0.99)) + "  p99.9 " +
                                   util::format_latency(h.value_at_quantile(0.999)) + "  max " +
                                   util::format_latency(h.max()) + "  (" + std::to_string(h.count()) + " measured)"});
  else
    rows.push_back({"latency", "nothing measured (no SENDACK)"});
  page.heading("Summary", "summary");
  page.table({"", ""}, rows, "summary-table");
  page.heading("Latency percentiles", "percentiles");
  page.paragraph("Every acknowledged message's latency (SEND to SENDACK; with --rate from the scheduled send time). "
                 "The x axis is HdrHistogram's: 1/(1-percentile), logarithmic.");
  page.raw(percentile_chart(h));
  page.heading("Over time", "over-time");
  page.paragraph("Per second of the run, by the second the SENDACK came (latency) or the message was sent.");
  page.raw(latency_over_time(t));
  page.raw(throughput_over_time(t));
  return page.str();
}

}  // namespace wkit::app
