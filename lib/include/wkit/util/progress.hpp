#pragma once
// One self-overwriting progress line on stderr for send/audit/replay.
// Draws only when the stream is a TTY (docs/cli.md: progress only on a TTY, never
// mixed with machine output), at most once per interval (default 10/s), and
// clears the line in finish() or the destructor. Lines are cut to the
// terminal width so a redraw never wraps. Thread-safe: concurrent updates
// that lose the race are skipped, not queued.
#include <atomic>
#include <chrono>
#include <mutex>
#include <string>
#include <string_view>

namespace wkit::util {

class Progress {
 public:
  using Clock = std::chrono::steady_clock;

  explicit Progress(int fd = 2, std::chrono::milliseconds interval = std::chrono::milliseconds(100));
  // Draws even when `fd` is not a TTY (tests, `--progress always`).
  static Progress forced(int fd, std::chrono::milliseconds interval = std::chrono::milliseconds(100));
  ~Progress();
  Progress(Progress&& o) noexcept;
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  bool enabled() const { return enabled_; }

  // Draws `line` if the previous draw is at least one interval old.
  // Returns whether it drew.
  bool update(std::string_view line) { return update(line, Clock::now()); }
  bool update(std::string_view line, Clock::time_point now);
  // Builds the line only when a redraw is due (make() -> string-like).
  template <class F>
  bool update_with(F&& make, Clock::time_point now = Clock::now()) {
    if (!enabled_ || now < next_draw_.load(std::memory_order_relaxed)) return false;
    return update(make(), now);
  }

  // Clears the line (if anything was drawn). Idempotent.
  void finish();

 private:
  Progress(int fd, std::chrono::milliseconds interval, bool enabled);
  void write_all(std::string_view bytes);
  int fd_;
  std::chrono::milliseconds interval_;
  bool enabled_;
  bool drawn_ = false;
  std::atomic<Clock::time_point> next_draw_{Clock::time_point{}};  // read without the lock
  std::mutex mu_;
  std::string buf_;
};

}  // namespace wkit::util
