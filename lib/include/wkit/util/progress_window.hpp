#pragma once
// What a progress line shows (docs/cli.md "Progress"): the rate and the
// latency of the window since the previous line, beside totals since the
// start. An average since the start hides a rate that has just changed; the
// window shows it. Times are passed in, so tests drive a fake clock.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "wkit/util/histogram.hpp"

namespace wkit::util {

class ProgressWindow {
 public:
  using Clock = std::chrono::steady_clock;

  struct Sample {
    std::chrono::nanoseconds elapsed{0};  // since the start
    std::chrono::nanoseconds window{0};   // since the previous close
    uint64_t total = 0;                   // the counter at the close
    uint64_t in_window = 0;               // its growth over the window
    double rate = 0;                      // in_window per second of the window
    double average_rate = 0;              // total per second since the start
    uint64_t latencies = 0;               // recorded in the window
    uint64_t p99_ns = 0;                  // of the window's latencies (0 if none)
  };

  explicit ProgressWindow(Clock::time_point start = Clock::now()) : start_(start), opened_(start) {}

  // Latencies recorded here between two closes make the window's p99. Same
  // thread as close(); recording does not allocate.
  Histogram& latency() { return latency_; }

  // Closes the window at `now` with the counter at `total`, then opens the
  // next one (the latency histogram is reset).
  Sample close(uint64_t total, Clock::time_point now = Clock::now());

  Clock::time_point start() const { return start_; }

 private:
  Clock::time_point start_, opened_;
  uint64_t total_at_open_ = 0;
  Histogram latency_;
};

// Time for `done` to reach `total` at `rate` per second; nullopt while the
// rate is 0 (not known yet). 0 once done.
std::optional<std::chrono::nanoseconds> remaining_at_rate(uint64_t done, uint64_t total, double rate);
// What is left of `limit` after `elapsed` (0 past it).
std::chrono::nanoseconds remaining_of(std::chrono::nanoseconds limit, std::chrono::nanoseconds elapsed);
// The sooner of two estimates, either of which may be unknown.
std::optional<std::chrono::nanoseconds> sooner(std::optional<std::chrono::nanoseconds> a,
                                               std::optional<std::chrono::nanoseconds> b);

// "send: elapsed 10s, sent 5200 of 10000, rate 520/s, remaining 9.2s":
// the command, then `name value` fields separated by ", ". Unknown values
// are "-", so a command's lines always carry the same fields.
class ProgressLine {
 public:
  ProgressLine(std::string_view command, std::chrono::nanoseconds elapsed);
  ProgressLine& field(std::string_view name, std::string_view value);
  ProgressLine& count(std::string_view name, uint64_t n);
  ProgressLine& count_of(std::string_view name, uint64_t n, uint64_t total);        // "frames 1200 of 5000"
  ProgressLine& rate(double per_second);                                              // "rate 520/s"
  ProgressLine& duration(std::string_view name, std::optional<std::chrono::nanoseconds> d);  // "p99 3.1ms"
  ProgressLine& remaining(std::optional<std::chrono::nanoseconds> d) { return duration("remaining", d); }
  const std::string& str() const { return text_; }

 private:
  std::string text_;
};

}  // namespace wkit::util
