#pragma once
// The progress lines of the commands whose counters live in cli/ (docs/cli.md
// "Progress"). Rates and p99 are of the window since the previous line;
// remaining is given for runs with an end (--duration, --timeout: what is
// left of it; --count, a total: at the window's rate; with both, whichever
// comes first).
#include <chrono>
#include <cstdint>
#include <string>

#include "wkit/util/progress_window.hpp"
#include "wkit/util/units.hpp"

namespace wkit::cli {

// `wkit send`: sent (of --count), acked, the window's ack rate and p99.
inline std::string send_progress_line(const util::ProgressWindow::Sample& acked, std::chrono::nanoseconds elapsed,
                                      uint64_t sent, uint64_t count, std::chrono::nanoseconds duration) {
  util::ProgressLine line("send", elapsed);
  if (count > 0) line.count_of("sent", sent, count);
  else line.count("sent", sent);
  line.count("acked", acked.total).rate(acked.rate);
  line.duration("p99", acked.latencies ? std::optional(std::chrono::nanoseconds(acked.p99_ns)) : std::nullopt);
  std::optional<std::chrono::nanoseconds> left;
  if (count > 0) left = util::remaining_at_rate(acked.total, count, acked.rate);
  if (duration.count() > 0) left = util::sooner(left, util::remaining_of(duration, elapsed));
  if (count > 0 || duration.count() > 0) line.remaining(left);
  return line.str();
}

// `wkit recv`: received, unique (of --count), the window's rate of unique messages.
inline std::string recv_progress_line(const util::ProgressWindow::Sample& unique, uint64_t received, uint64_t count,
                                      std::chrono::nanoseconds timeout) {
  util::ProgressLine line("recv", unique.elapsed);
  line.count("received", received);
  if (count > 0) line.count_of("unique", unique.total, count);
  else line.count("unique", unique.total);
  line.rate(unique.rate);
  std::optional<std::chrono::nanoseconds> left;
  if (count > 0) left = util::remaining_at_rate(unique.total, count, unique.rate);
  if (timeout.count() > 0) left = util::sooner(left, util::remaining_of(timeout, unique.elapsed));
  if (count > 0 || timeout.count() > 0) line.remaining(left);
  return line.str();
}

// `wkit replay`: frames sent of the frames to replay (all loops), sessions
// (replayed connections) ended of all, the window's frame rate.
inline std::string replay_progress_line(const util::ProgressWindow::Sample& frames, uint64_t frames_total,
                                        uint64_t sessions_done, uint64_t sessions_total) {
  util::ProgressLine line("replay", frames.elapsed);
  line.count_of("frames", frames.total, frames_total).count_of("sessions", sessions_done, sessions_total);
  line.rate(frames.rate).remaining(util::remaining_at_rate(frames.total, frames_total, frames.rate));
  return line.str();
}

// `wkit capture import`: file bytes read of the file size, packets, the window's byte rate.
inline std::string import_progress_line(const util::ProgressWindow::Sample& bytes, uint64_t file_size,
                                        uint64_t packets) {
  util::ProgressLine line("capture import", bytes.elapsed);
  line.field("read", util::format_size(bytes.total) + " of " + util::format_size(file_size));
  line.count("packets", packets);
  line.field("rate", util::format_size(uint64_t(bytes.rate)) + "/s");
  line.remaining(util::remaining_at_rate(bytes.total, file_size, bytes.rate));
  return line.str();
}

}  // namespace wkit::cli
