// Progress output on stderr: redrawn on a terminal, plain lines otherwise (progress.hpp).
#include "wkit/util/progress.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>

#include "wkit/util/tty.hpp"

namespace wkit::util {
namespace {
constexpr std::string_view kClearLine = "\r\x1b[K";

// Terminal columns, 0 if unknown (not a terminal).
size_t terminal_width(int fd) {
  winsize ws{};
  if (::ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
  return 0;
}

Progress::Style style_for(ProgressMode mode, bool tty) {
  if (mode == ProgressMode::never) return Progress::Style::off;
  if (tty) return Progress::Style::redraw;
  return mode == ProgressMode::always ? Progress::Style::lines : Progress::Style::off;
}
}  // namespace

std::optional<ProgressMode> parse_progress_mode(std::string_view text) {
  if (text == "auto") return ProgressMode::automatic;
  if (text == "always") return ProgressMode::always;
  if (text == "never") return ProgressMode::never;
  return std::nullopt;
}

Progress::Progress(int fd, std::chrono::milliseconds interval)
    : Progress(fd, interval, is_tty(fd) ? Style::redraw : Style::off) {}

Progress::Progress(const ProgressSettings& settings, int fd, Clock::time_point start)
    : Progress(fd, settings.interval, style_for(settings.mode, is_tty(fd))) {
  if (interval_.count() <= 0)
    interval_ = style_ == Style::lines ? ProgressSettings::kLinesInterval : ProgressSettings::kRedrawInterval;
  next_draw_.store(start + interval_, std::memory_order_relaxed);
}

Progress::Progress(int fd, std::chrono::milliseconds interval, Style style)
    : fd_(fd), interval_(interval), style_(style) {}

bool Progress::shares_terminal_with(int out_fd) const { return style_ == Style::redraw && is_tty(out_fd); }

Progress Progress::forced(int fd, std::chrono::milliseconds interval) { return Progress(fd, interval, Style::redraw); }

Progress::Progress(Progress&& o) noexcept
    : fd_(o.fd_), interval_(o.interval_), style_(o.style_), drawn_(o.drawn_), next_draw_(o.next_draw_.load()) {
  o.style_ = Style::off;
  o.drawn_ = false;
}

Progress::~Progress() { finish(); }

bool Progress::update(std::string_view line, Clock::time_point now) {
  return update_with([line] { return line; }, now);
}

void Progress::draw_locked(std::string_view line, Clock::time_point now) {
  next_draw_.store(now + interval_, std::memory_order_relaxed);
  buf_.clear();
  if (style_ == Style::lines) {
    buf_.append(line);
    buf_.push_back('\n');
  } else {
    size_t width = terminal_width(fd_);
    // Leave the last column free: writing into it makes some terminals wrap.
    if (width > 1 && line.size() > width - 1) line = line.substr(0, width - 1);
    buf_.push_back('\r');
    buf_.append(line);
    buf_.append("\x1b[K");
    drawn_ = true;
  }
  write_all(buf_);
}

void Progress::clear_locked() {
  if (drawn_) write_all(kClearLine);
  drawn_ = false;
}

void Progress::redraw_locked() {
  write_all(buf_);  // the last draw: "\r" LINE "\x1b[K"
  drawn_ = true;
}

void Progress::clear() {
  if (!enabled()) return;
  std::lock_guard lock(mu_);
  clear_locked();
}

void Progress::finish() {
  if (!enabled()) return;
  std::lock_guard lock(mu_);
  clear_locked();
  next_draw_.store(Clock::time_point::max(), std::memory_order_relaxed);
}

void Progress::write_all(std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::write(fd_, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // progress is best effort: never fail the command over it
    bytes.remove_prefix(static_cast<size_t>(n));
  }
}

}  // namespace wkit::util
