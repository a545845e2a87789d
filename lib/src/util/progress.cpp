// Rate-limited, TTY-only progress line (progress.hpp).
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
}  // namespace

Progress::Progress(int fd, std::chrono::milliseconds interval) : Progress(fd, interval, is_tty(fd)) {}

Progress::Progress(int fd, std::chrono::milliseconds interval, bool enabled)
    : fd_(fd), interval_(interval), enabled_(enabled) {}

Progress Progress::forced(int fd, std::chrono::milliseconds interval) { return Progress(fd, interval, true); }

Progress::Progress(Progress&& o) noexcept
    : fd_(o.fd_), interval_(o.interval_), enabled_(o.enabled_), drawn_(o.drawn_), next_draw_(o.next_draw_.load()) {
  o.enabled_ = false;
  o.drawn_ = false;
}

Progress::~Progress() { finish(); }

bool Progress::update(std::string_view line, Clock::time_point now) {
  if (!enabled_) return false;
  std::unique_lock lock(mu_, std::try_to_lock);
  if (!lock.owns_lock() || now < next_draw_.load(std::memory_order_relaxed)) return false;
  next_draw_.store(now + interval_, std::memory_order_relaxed);
  size_t width = terminal_width(fd_);
  // Leave the last column free: writing into it makes some terminals wrap.
  if (width > 1 && line.size() > width - 1) line = line.substr(0, width - 1);
  buf_.clear();
  buf_.push_back('\r');
  buf_.append(line);
  buf_.append("\x1b[K");
  write_all(buf_);
  drawn_ = true;
  return true;
}

void Progress::finish() {
  if (!enabled_) return;
  std::lock_guard lock(mu_);
  if (drawn_) write_all(kClearLine);
  drawn_ = false;
  next_draw_.store(Clock::time_point{}, std::memory_order_relaxed);
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
