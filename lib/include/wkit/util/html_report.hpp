#pragma once
// Self-contained HTML reports (`--report FILE.html`): one page, inline CSS
// and SVG, no scripts and nothing fetched from the network. Charts are SVG
// generated here; every chart and timeline carries an id for tests and links.
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace wkit::util {

std::string html_escape(std::string_view s);

struct ChartSeries {
  std::string name, color;
  std::vector<std::pair<double, double>> points;  // (x, y), x ascending
};

struct ChartSpec {
  std::string id, title, x_label, y_label;
  bool log_x = false;
  std::vector<std::pair<double, std::string>> x_ticks;  // fixed ticks; empty: chosen from the data
  std::function<std::string(double)> y_format;          // tick labels; default: the number
  std::function<std::string(double)> x_format;
};

// A line chart (<svg id=ID class="chart">, one <path class="series"> per series).
std::string svg_line_chart(const ChartSpec& spec, const std::vector<ChartSeries>& series);

// Per-message story: one row per message, events placed by time.
struct TimelineEvent {
  double t_s = 0;       // seconds since the timeline's origin
  std::string kind;     // send, resend, sendack, sendack-dropped, recv, recvack, stored
  std::string label;    // shown beside the mark (message_id, reason, ...)
};
struct TimelineRow {
  std::string title;  // the message (client_msg_no, channel)
  std::vector<TimelineEvent> events;
};
// <svg id=ID class="timeline">, one <g class="row"> per row, marks of class "ev-KIND".
std::string svg_timeline(const std::string& id, const std::vector<TimelineRow>& rows);

class HtmlPage {
 public:
  explicit HtmlPage(std::string title) : title_(std::move(title)) {}
  void heading(std::string_view text, std::string_view id = {});
  void paragraph(std::string_view text);
  void raw(std::string html) { body_ += std::move(html); }
  void table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows,
             std::string_view id = {});
  std::string str() const;

 private:
  std::string title_, body_;
};

}  // namespace wkit::util
