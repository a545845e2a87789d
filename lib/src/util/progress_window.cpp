// Window rates and latency, estimates and the field layout of progress lines (progress_window.hpp).
#include "wkit/util/progress_window.hpp"

#include <cmath>

#include "wkit/util/units.hpp"

namespace wkit::util {

namespace {
double seconds(std::chrono::nanoseconds d) { return std::chrono::duration<double>(d).count(); }
}  // namespace

ProgressWindow::Sample ProgressWindow::close(uint64_t total, Clock::time_point now) {
  Sample s;
  s.elapsed = std::max(std::chrono::nanoseconds(0), now - start_);
  s.window = std::max(std::chrono::nanoseconds(0), now - opened_);
  s.total = total;
  s.in_window = total >= total_at_open_ ? total - total_at_open_ : 0;
  s.rate = s.window.count() > 0 ? double(s.in_window) / seconds(s.window) : 0;
  s.average_rate = s.elapsed.count() > 0 ? double(total) / seconds(s.elapsed) : 0;
  s.latencies = latency_.count();
  s.p99_ns = latency_.value_at_quantile(0.99);
  latency_.reset();
  opened_ = now;
  total_at_open_ = total;
  return s;
}

std::optional<std::chrono::nanoseconds> remaining_at_rate(uint64_t done, uint64_t total, double rate) {
  if (done >= total) return std::chrono::nanoseconds(0);
  if (!(rate > 0)) return std::nullopt;
  const double ns = double(total - done) / rate * 1e9;
  if (!std::isfinite(ns) || ns > 1e18) return std::nullopt;
  return std::chrono::nanoseconds(static_cast<int64_t>(ns));
}

std::chrono::nanoseconds remaining_of(std::chrono::nanoseconds limit, std::chrono::nanoseconds elapsed) {
  return elapsed >= limit ? std::chrono::nanoseconds(0) : limit - elapsed;
}

std::optional<std::chrono::nanoseconds> sooner(std::optional<std::chrono::nanoseconds> a,
                                               std::optional<std::chrono::nanoseconds> b) {
  if (!a) return b;
  if (!b) return a;
  return std::min(*a, *b);
}

ProgressLine::ProgressLine(std::string_view command, std::chrono::nanoseconds elapsed) {
  text_.reserve(160);
  text_.append(command).append(": elapsed ").append(format_duration(elapsed));
}

ProgressLine& ProgressLine::field(std::string_view name, std::string_view value) {
  text_.append(", ").append(name).append(" ").append(value);
  return *this;
}

ProgressLine& ProgressLine::count(std::string_view name, uint64_t n) { return field(name, std::to_string(n)); }

ProgressLine& ProgressLine::count_of(std::string_view name, uint64_t n, uint64_t total) {
  return field(name, std::to_string(n) + " of " + std::to_string(total));
}

ProgressLine& ProgressLine::rate(double per_second) { return field("rate", format_rate(per_second)); }

ProgressLine& ProgressLine::duration(std::string_view name, std::optional<std::chrono::nanoseconds> d) {
  return field(name, d ? format_duration(*d) : std::string("-"));
}

}  // namespace wkit::util
