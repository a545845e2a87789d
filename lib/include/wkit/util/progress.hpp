#pragma once
// The progress output of long-running commands (send, recv, replay, capture
// import, audit), on stderr and never on stdout (docs/cli.md "Progress").
// `--progress auto|always|never` picks the style:
//   redraw: one self-overwriting line, when stderr is a terminal (auto or
//           always); cut to the terminal width so a redraw never wraps, and
//           cleared by finish() or the destructor;
//   lines:  one plain line per interval, when stderr is not a terminal and
//           the mode is always (like k6 in CI logs); nothing to clear;
//   off:    never, or auto without a terminal.
// A line is drawn at most once per interval. Thread-safe: concurrent updates
// that lose the race are skipped, not queued.
#include <atomic>
#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace wkit::util {

enum class ProgressMode { automatic, always, never };
std::optional<ProgressMode> parse_progress_mode(std::string_view text);  // auto, always, never

struct ProgressSettings {
  ProgressMode mode = ProgressMode::automatic;
  // Between lines; 0 = the default of the style (kRedrawInterval, kLinesInterval).
  std::chrono::milliseconds interval{0};
  static constexpr std::chrono::milliseconds kMinInterval{100};
  static constexpr std::chrono::milliseconds kRedrawInterval{1000};
  static constexpr std::chrono::milliseconds kLinesInterval{10000};
};

class Progress {
 public:
  using Clock = std::chrono::steady_clock;
  enum class Style { off, redraw, lines };

  // Redraws when `fd` is a terminal, from the first update on.
  explicit Progress(int fd = 2, std::chrono::milliseconds interval = std::chrono::milliseconds(100));
  // As `settings` say for `fd`; the first line is due one interval after `start`.
  Progress(const ProgressSettings& settings, int fd = 2, Clock::time_point start = Clock::now());
  // Redraws even when `fd` is not a TTY (tests).
  static Progress forced(int fd, std::chrono::milliseconds interval = std::chrono::milliseconds(100));
  ~Progress();
  Progress(Progress&& o) noexcept;
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  bool enabled() const { return style_ != Style::off; }
  Style style() const { return style_; }
  // Whether lines written to `out_fd` (stdout) land on the terminal this
  // progress line is redrawn on: then they go through print_above().
  bool shares_terminal_with(int out_fd) const;
  std::chrono::milliseconds interval() const { return interval_; }

  // Draws `line` if the previous draw is at least one interval old.
  // Returns whether it drew.
  bool update(std::string_view line) { return update(line, Clock::now()); }
  bool update(std::string_view line, Clock::time_point now);
  // Builds the line only when a draw is due (make() -> string-like), so
  // make() may close a window (ProgressWindow::close) that spans one line.
  template <class F>
  bool update_with(F&& make, Clock::time_point now = Clock::now()) {
    if (!enabled() || now < next_draw_.load(std::memory_order_relaxed)) return false;
    std::unique_lock lock(mu_, std::try_to_lock);
    if (!lock.owns_lock() || now < next_draw_.load(std::memory_order_relaxed)) return false;
    draw_locked(make(), now);
    return true;
  }

  // Clears a redrawn line before other stderr output (a notice); the next
  // line comes when it is due.
  void clear();

  // For whole lines of other output (a received message on stdout) that
  // share the terminal with a redrawn line: clears the line, calls write()
  // (which must flush what it wrote), then draws the line again, as cargo
  // and pip do, so neither garbles the other. Without a redrawn line on
  // screen it only calls write().
  template <class F>
  void print_above(F&& write) {
    if (style_ != Style::redraw) return (void)write();
    std::lock_guard lock(mu_);
    const bool was_drawn = drawn_;
    clear_locked();
    write();
    if (was_drawn) redraw_locked();
  }
  // Clears a redrawn line; no line after it. Idempotent. A final line is
  // never printed: the command's summary follows.
  void finish();

 private:
  Progress(int fd, std::chrono::milliseconds interval, Style style);
  void draw_locked(std::string_view line, Clock::time_point now);
  void clear_locked();
  void redraw_locked();
  void write_all(std::string_view bytes);
  int fd_;
  std::chrono::milliseconds interval_;
  Style style_;
  bool drawn_ = false;
  std::atomic<Clock::time_point> next_draw_{Clock::time_point{}};  // read without the lock
  std::mutex mu_;
  std::string buf_;
};

}  // namespace wkit::util
