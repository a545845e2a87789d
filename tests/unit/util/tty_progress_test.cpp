// TTY detection, colour decisions and the rate-limited progress line, on a
// real pipe and a real pseudo-terminal.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstring>
#include <thread>
#include <vector>

#include "wkit/util/progress.hpp"
#include "wkit/util/tty.hpp"

namespace wu = wkit::util;
using namespace std::chrono_literals;

namespace {

struct Pipe {
  int fds[2] = {-1, -1};
  Pipe() {
    EXPECT_EQ(::pipe(fds), 0);
    ::fcntl(fds[0], F_SETFL, O_NONBLOCK);
  }
  ~Pipe() {
    ::close(fds[0]);
    ::close(fds[1]);
  }
  int w() const { return fds[1]; }
  std::string drain() const {
    std::string out;
    char buf[4096];
    ssize_t n;
    while ((n = ::read(fds[0], buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
    return out;
  }
};

struct Pty {
  int master = -1, slave = -1;
  Pty() {
    master = ::posix_openpt(O_RDWR | O_NOCTTY);
    if (master >= 0 && ::grantpt(master) == 0 && ::unlockpt(master) == 0)
      slave = ::open(::ptsname(master), O_RDWR | O_NOCTTY);
  }
  ~Pty() {
    if (slave >= 0) ::close(slave);
    if (master >= 0) ::close(master);
  }
};

}  // namespace

TEST(Tty, PipeIsNotATerminalPtyIs) {
  Pipe p;
  EXPECT_FALSE(wu::is_tty(p.w()));
  EXPECT_FALSE(wu::is_tty(-1));
  Pty t;
  ASSERT_GE(t.slave, 0) << "no pseudo-terminal available";
  EXPECT_TRUE(wu::is_tty(t.slave));
}

TEST(Tty, ColorModes) {
  Pipe p;
  EXPECT_TRUE(wu::use_color(p.w(), wu::ColorMode::always));
  EXPECT_FALSE(wu::use_color(p.w(), wu::ColorMode::never));
  EXPECT_FALSE(wu::use_color(p.w(), wu::ColorMode::automatic));
  Pty t;
  ASSERT_GE(t.slave, 0);
  ::unsetenv("NO_COLOR");
  ::setenv("TERM", "xterm", 1);
  EXPECT_TRUE(wu::use_color(t.slave));
  ::setenv("NO_COLOR", "1", 1);
  EXPECT_FALSE(wu::use_color(t.slave));
  ::unsetenv("NO_COLOR");
  ::setenv("TERM", "dumb", 1);
  EXPECT_FALSE(wu::use_color(t.slave));
  EXPECT_EQ(wu::parse_color_mode("auto"), wu::ColorMode::automatic);
  EXPECT_EQ(wu::parse_color_mode("always"), wu::ColorMode::always);
  EXPECT_EQ(wu::parse_color_mode("off"), wu::ColorMode::never);
  EXPECT_FALSE(wu::parse_color_mode("sometimes").has_value());
}

TEST(Tty, PaletteWrapsOnlyWhenOn) {
  EXPECT_EQ(wu::Palette(false).red("x"), "x");
  EXPECT_EQ(wu::Palette(true).red("x"), "\x1b[31mx\x1b[0m");
}

TEST(Progress, SilentWhenNotATerminal) {
  Pipe p;
  {
    wu::Progress prog(p.w());
    EXPECT_FALSE(prog.enabled());
    EXPECT_FALSE(prog.update("sent 10"));
    prog.finish();
  }
  EXPECT_EQ(p.drain(), "");
}

TEST(Progress, EnabledOnATerminal) {
  Pty t;
  ASSERT_GE(t.slave, 0);
  wu::Progress prog(t.slave);
  EXPECT_TRUE(prog.enabled());
}

TEST(Progress, RateLimitedRedrawAndClearAtEnd) {
  Pipe p;
  auto t0 = wu::Progress::Clock::time_point{} + 1h;
  {
    auto prog = wu::Progress::forced(p.w(), 100ms);
    EXPECT_TRUE(prog.update("one", t0));
    EXPECT_FALSE(prog.update("two", t0 + 50ms));  // within the interval: skipped
    EXPECT_TRUE(prog.update("three", t0 + 100ms));
    int built = 0;
    EXPECT_FALSE(prog.update_with([&] { ++built; return std::string("four"); }, t0 + 150ms));
    EXPECT_EQ(built, 0);  // the line is not even built when no redraw is due
    EXPECT_TRUE(prog.update_with([&] { ++built; return std::string("five"); }, t0 + 250ms));
    EXPECT_EQ(built, 1);
    prog.finish();
    prog.finish();  // idempotent: clears once
  }
  EXPECT_EQ(p.drain(), "\rone\x1b[K\rthree\x1b[K\rfive\x1b[K\r\x1b[K");
}

TEST(Progress, DestructorClearsOnlyIfDrawn) {
  Pipe p;
  { auto prog = wu::Progress::forced(p.w()); }
  EXPECT_EQ(p.drain(), "");
  { wu::Progress::forced(p.w()).update("x"); }
  EXPECT_EQ(p.drain(), "\rx\x1b[K\r\x1b[K");
}

TEST(Progress, ConcurrentUpdatesNeverInterleave) {
  Pipe p;
  {
    auto prog = wu::Progress::forced(p.w(), 0ms);
    std::vector<std::thread> ts;
    for (int t = 0; t < 4; ++t)
      ts.emplace_back([&prog, t] {
        for (int i = 0; i < 500; ++i) prog.update("thread " + std::to_string(t) + " step " + std::to_string(i));
      });
    for (auto& t : ts) t.join();
  }
  std::string out = p.drain();
  ASSERT_FALSE(out.empty());
  // Every draw is one whole "\r<line>\x1b[K" (the last one is the clear).
  size_t pos = 0, draws = 0;
  while (pos < out.size()) {
    ASSERT_EQ(out[pos], '\r') << "at " << pos;
    size_t end = out.find("\x1b[K", pos);
    ASSERT_NE(end, std::string::npos);
    std::string_view line(out.data() + pos + 1, end - pos - 1);
    EXPECT_TRUE(line.empty() || line.rfind("thread ", 0) == 0) << line;
    EXPECT_EQ(line.find('\r'), std::string_view::npos);
    pos = end + 3;
    ++draws;
  }
  EXPECT_GE(draws, 2u);
}

TEST(Progress, ModesOnAPipe) {
  Pipe p;
  auto start = wu::Progress::Clock::now();
  wu::Progress automatic(wu::ProgressSettings{}, p.w(), start);
  EXPECT_FALSE(automatic.enabled());  // auto: only on a terminal
  wu::Progress never(wu::ProgressSettings{wu::ProgressMode::never, 200ms}, p.w(), start);
  EXPECT_FALSE(never.enabled());
  wu::Progress always(wu::ProgressSettings{wu::ProgressMode::always, {}}, p.w(), start);
  EXPECT_EQ(always.style(), wu::Progress::Style::lines);
  EXPECT_EQ(always.interval(), wu::ProgressSettings::kLinesInterval);
  EXPECT_EQ(wu::parse_progress_mode("always"), wu::ProgressMode::always);
  EXPECT_EQ(wu::parse_progress_mode("auto"), wu::ProgressMode::automatic);
  EXPECT_FALSE(wu::parse_progress_mode("on").has_value());
}

TEST(Progress, ModesOnATerminal) {
  Pty t;
  ASSERT_GE(t.slave, 0);
  wu::Progress automatic(wu::ProgressSettings{}, t.slave);
  EXPECT_EQ(automatic.style(), wu::Progress::Style::redraw);
  EXPECT_EQ(automatic.interval(), wu::ProgressSettings::kRedrawInterval);
  wu::Progress always(wu::ProgressSettings{wu::ProgressMode::always, 300ms}, t.slave);
  EXPECT_EQ(always.style(), wu::Progress::Style::redraw);
  EXPECT_EQ(always.interval(), 300ms);
  wu::Progress never(wu::ProgressSettings{wu::ProgressMode::never, {}}, t.slave);
  EXPECT_FALSE(never.enabled());
}

TEST(Progress, PlainLinesOnePerIntervalNothingAfterFinish) {
  Pipe p;
  auto t0 = wu::Progress::Clock::time_point{} + 1h;
  {
    wu::Progress prog(wu::ProgressSettings{wu::ProgressMode::always, 200ms}, p.w(), t0);
    EXPECT_FALSE(prog.update("at start", t0));  // the first line is one interval in
    EXPECT_TRUE(prog.update("one", t0 + 200ms));
    EXPECT_FALSE(prog.update("too soon", t0 + 300ms));
    prog.clear();  // nothing to clear in plain lines
    EXPECT_TRUE(prog.update("two", t0 + 400ms));
    prog.finish();
    EXPECT_FALSE(prog.update("after finish", t0 + 10s));
  }
  EXPECT_EQ(p.drain(), "one\ntwo\n");
}

TEST(Progress, ClearKeepsTheScheduleFinishStopsRedraws) {
  Pipe p;
  auto t0 = wu::Progress::Clock::time_point{} + 1h;
  {
    auto prog = wu::Progress::forced(p.w(), 100ms);
    EXPECT_TRUE(prog.update("one", t0));
    prog.clear();
    EXPECT_FALSE(prog.update("two", t0 + 50ms));  // not before it is due
    EXPECT_TRUE(prog.update("three", t0 + 100ms));
    prog.finish();
    EXPECT_FALSE(prog.update("four", t0 + 1h));
  }
  EXPECT_EQ(p.drain(), "\rone\x1b[K\r\x1b[K\rthree\x1b[K\r\x1b[K");
}

// Output sharing the terminal (here: one pipe for both, as a terminal is):
// the redrawn line is cleared before the other line and drawn again after.
TEST(Progress, PrintAboveClearsWritesAndRedraws) {
  Pipe p;
  auto t0 = wu::Progress::Clock::time_point{} + 1h;
  auto write_message = [&p](const char* line) {
    return [&p, line] { (void)!::write(p.w(), line, std::strlen(line)); };
  };
  {
    auto prog = wu::Progress::forced(p.w(), 100ms);
    prog.print_above(write_message("before\n"));  // nothing drawn yet: no clear, no redraw
    EXPECT_TRUE(prog.update("recv: elapsed 1s", t0));
    prog.print_above(write_message("seq 1\n"));
    prog.print_above(write_message("seq 2\n"));
    prog.finish();
    prog.print_above(write_message("after\n"));  // finished: the line is gone for good
  }
  EXPECT_EQ(p.drain(),
            "before\n"
            "\rrecv: elapsed 1s\x1b[K"
            "\r\x1b[K" "seq 1\n" "\rrecv: elapsed 1s\x1b[K"
            "\r\x1b[K" "seq 2\n" "\rrecv: elapsed 1s\x1b[K"
            "\r\x1b[K"
            "after\n");
}

TEST(Progress, PrintAboveOnPlainLinesOnlyWrites) {
  Pipe p;
  auto start = wu::Progress::Clock::now();
  wu::Progress lines(wu::ProgressSettings{wu::ProgressMode::always, 100ms}, p.w(), start);
  ASSERT_EQ(lines.style(), wu::Progress::Style::lines);
  EXPECT_TRUE(lines.update("recv: elapsed 1s", start + 100ms));
  lines.print_above([&p] { (void)!::write(p.w(), "seq 1\n", 6); });
  EXPECT_EQ(p.drain(), "recv: elapsed 1s\nseq 1\n");
}

// Lines on stdout go above the redrawn line only when both are on a terminal.
TEST(Progress, SharesTheTerminalOnlyWithATerminal) {
  Pipe p;
  auto redrawn = wu::Progress::forced(p.w(), 100ms);
  EXPECT_FALSE(redrawn.shares_terminal_with(p.w()));  // a pipe: lines need no care
  Pty t;
  ASSERT_GE(t.slave, 0);
  EXPECT_TRUE(redrawn.shares_terminal_with(t.slave));
  wu::Progress off(wu::ProgressSettings{wu::ProgressMode::never, 100ms}, t.slave);
  EXPECT_FALSE(off.shares_terminal_with(t.slave));  // no redrawn line
}
