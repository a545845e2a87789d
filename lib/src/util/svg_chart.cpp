// SVG line charts and per-message timelines for the HTML reports (html_report.hpp).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

#include "wkit/util/html_report.hpp"

namespace wkit::util {
namespace {

constexpr double kW = 760, kH = 300, kLeft = 70, kRight = 20, kTop = 30, kBottom = 45;

std::string num(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.1f", v);
  return b;
}

std::string plain(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%g", v);
  return b;
}

// 4-6 round tick values covering [0, hi].
std::vector<double> nice_ticks(double hi) {
  if (!(hi > 0)) hi = 1;
  const double raw = hi / 5, mag = std::pow(10, std::floor(std::log10(raw)));
  double step = mag;
  for (double m : {1.0, 2.0, 2.5, 5.0, 10.0})
    if (m * mag >= raw) {
      step = m * mag;
      break;
    }
  std::vector<double> t;
  for (double v = 0; v <= hi * 1.0001 + step * 1e-9; v += step) t.push_back(v);
  if (t.back() < hi) t.push_back(t.back() + step);
  return t;
}

}  // namespace

std::string svg_line_chart(const ChartSpec& spec, const std::vector<ChartSeries>& series) {
  double x_lo = std::numeric_limits<double>::infinity(), x_hi = -x_lo, y_hi = 0;
  for (auto& s : series)
    for (auto& [x, y] : s.points) {
      x_lo = std::min(x_lo, x), x_hi = std::max(x_hi, x), y_hi = std::max(y_hi, y);
    }
  for (auto& [x, label] : spec.x_ticks) x_lo = std::min(x_lo, x), x_hi = std::max(x_hi, x);
  if (!std::isfinite(x_lo)) x_lo = 0, x_hi = 1;
  if (spec.log_x) x_lo = std::max(x_lo, 1e-9);
  if (x_hi <= x_lo) x_hi = x_lo + 1;
  const auto ty = nice_ticks(y_hi);
  const double y_top = ty.back();
  const double pw = kW - kLeft - kRight, ph = kH - kTop - kBottom;
  auto fx = [&](double x) {
    if (spec.log_x) return kLeft + pw * (std::log10(std::max(x, x_lo)) - std::log10(x_lo)) / (std::log10(x_hi) - std::log10(x_lo));
    return kLeft + pw * (x - x_lo) / (x_hi - x_lo);
  };
  auto fy = [&](double y) { return kTop + ph * (1 - y / y_top); };
  std::string o = "<svg id=\"" + html_escape(spec.id) + "\" class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 " +
                  num(kW) + " " + num(kH) + "\" width=\"" + num(kW) + "\" height=\"" + num(kH) + "\" role=\"img\">";
  o += "<title>" + html_escape(spec.title) + "</title>";
  o += "<text class=\"chart-title\" x=\"" + num(kLeft) + "\" y=\"18\">" + html_escape(spec.title) + "</text>";
  for (double v : ty) {
    o += "<line class=\"grid\" x1=\"" + num(kLeft) + "\" x2=\"" + num(kW - kRight) + "\" y1=\"" + num(fy(v)) + "\" y2=\"" +
         num(fy(v)) + "\"/>";
    o += "<text class=\"tick\" text-anchor=\"end\" x=\"" + num(kLeft - 6) + "\" y=\"" + num(fy(v) + 4) + "\">" +
         html_escape(spec.y_format ? spec.y_format(v) : plain(v)) + "</text>";
  }
  std::vector<std::pair<double, std::string>> tx = spec.x_ticks;
  if (tx.empty())
    for (double v : nice_ticks(x_hi))
      if (v >= x_lo && v <= x_hi) tx.push_back({v, spec.x_format ? spec.x_format(v) : plain(v)});
  for (auto& [v, label] : tx)
    o += "<text class=\"tick\" text-anchor=\"middle\" x=\"" + num(fx(v)) + "\" y=\"" + num(kH - kBottom + 16) + "\">" +
         html_escape(label) + "</text><line class=\"grid\" x1=\"" + num(fx(v)) + "\" x2=\"" + num(fx(v)) + "\" y1=\"" +
         num(kTop) + "\" y2=\"" + num(kH - kBottom) + "\"/>";
  o += "<rect class=\"frame\" x=\"" + num(kLeft) + "\" y=\"" + num(kTop) + "\" width=\"" + num(pw) + "\" height=\"" +
       num(ph) + "\"/>";
  o += "<text class=\"axis\" text-anchor=\"middle\" x=\"" + num(kLeft + pw / 2) + "\" y=\"" + num(kH - 8) + "\">" +
       html_escape(spec.x_label) + "</text>";
  o += "<text class=\"axis\" text-anchor=\"middle\" transform=\"translate(14," + num(kTop + ph / 2) + ") rotate(-90)\">" +
       html_escape(spec.y_label) + "</text>";
  double lx = kLeft + 10;
  for (auto& s : series) {
    std::string d;
    for (auto& [x, y] : s.points) d += (d.empty() ? "M" : " L") + num(fx(x)) + " " + num(fy(y));
    if (s.points.size() == 1) d += " h2";
    o += "<path class=\"series\" data-name=\"" + html_escape(s.name) + "\" fill=\"none\" stroke=\"" + html_escape(s.color) +
         "\" stroke-width=\"2\" d=\"" + d + "\"/>";
    o += "<rect x=\"" + num(lx) + "\" y=\"" + num(kTop + 6) + "\" width=\"10\" height=\"10\" fill=\"" + html_escape(s.color) +
         "\"/><text class=\"legend\" x=\"" + num(lx + 14) + "\" y=\"" + num(kTop + 15) + "\">" + html_escape(s.name) + "</text>";
    lx += 24 + 7.0 * double(s.name.size());
  }
  return o + "</svg>";
}

std::string svg_timeline(const std::string& id, const std::vector<TimelineRow>& rows) {
  constexpr double row_h = 78, left = 230, right = 170, top = 30;  // right: room for the last labels
  double t_hi = 0;
  for (auto& r : rows)
    for (auto& e : r.events) t_hi = std::max(t_hi, e.t_s);
  if (t_hi <= 0) t_hi = 1;
  const double w = kW + 200, h = top + row_h * double(std::max<size_t>(rows.size(), 1)) + 30;
  auto fx = [&](double t) { return left + (w - left - right) * std::max(0.0, t) / t_hi; };
  std::string o = "<svg id=\"" + html_escape(id) + "\" class=\"timeline\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 " +
                  num(w) + " " + num(h) + "\" width=\"" + num(w) + "\" height=\"" + num(h) + "\">";
  for (double v : nice_ticks(t_hi))
    if (v <= t_hi * 1.0001)
      o += "<line class=\"grid\" x1=\"" + num(fx(v)) + "\" x2=\"" + num(fx(v)) + "\" y1=\"" + num(top - 8) + "\" y2=\"" +
           num(h - 24) + "\"/><text class=\"tick\" text-anchor=\"middle\" x=\"" + num(fx(v)) + "\" y=\"" + num(h - 8) +
           "\">+" + plain(v) + "s</text>";
  double y = top;
  for (auto& r : rows) {
    y += 22;  // room for the labels above the lane
    o += "<g class=\"row\"><text class=\"row-title\" x=\"4\" y=\"" + num(y + 18) + "\">" + html_escape(r.title) + "</text>";
    o += "<line class=\"lane\" x1=\"" + num(left) + "\" x2=\"" + num(w - right) + "\" y1=\"" + num(y + 14) + "\" y2=\"" +
         num(y + 14) + "\"/>";
    int n = 0;
    for (auto& e : r.events) {
      const double x = fx(e.t_s), cy = y + 14;
      const std::string cls = "ev ev-" + e.kind;
      std::string mark;
      if (e.kind == "send" || e.kind == "resend")
        mark = "<circle class=\"" + cls + "\" cx=\"" + num(x) + "\" cy=\"" + num(cy) + "\" r=\"6\"/>";
      else if (e.kind.starts_with("sendack"))
        mark = "<rect class=\"" + cls + "\" x=\"" + num(x - 5) + "\" y=\"" + num(cy - 5) + "\" width=\"10\" height=\"10\"/>";
      else if (e.kind == "recv")
        mark = "<path class=\"" + cls + "\" d=\"M" + num(x) + " " + num(cy - 7) + " l6 12 h-12 z\"/>";
      else
        mark = "<path class=\"" + cls + "\" d=\"M" + num(x) + " " + num(cy - 7) + " l6 7 l-6 7 l-6 -7 z\"/>";
      o += "<g><title>" + html_escape(e.kind + " +" + plain(e.t_s) + "s " + e.label) + "</title>" + mark + "</g>";
      if (!e.label.empty())
      {
        // Four label lines, above and below the lane, so close events stay readable.
        static constexpr double kOffsets[] = {-10, 22, -24, 36};
        o += "<text class=\"ev-label\" x=\"" + num(x + 4) + "\" y=\"" + num(cy + kOffsets[n % 4]) + "\">" +
             html_escape(e.label) + "</text>";
        ++n;
      }
    }
    o += "</g>";
    y += row_h - 22;
  }
  return o + "</svg>";
}

}  // namespace wkit::util
