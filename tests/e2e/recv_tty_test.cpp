// `wkit recv` in text mode on a terminal (docs/recv.md, docs/cli.md
// "Progress"): stdout and stderr on one pseudo-terminal, the progress line
// redrawn on it, messages arriving while the line is shown. What the
// terminal ends up showing (the bytes replayed through a small model of
// \r, \n and erase-line) must be whole message lines: each one clears the
// progress line before it is written, and the line is drawn again after.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "support/serve_process.hpp"
#include "support/wkit_commands.hpp"

using namespace std::chrono_literals;
using wkit::testing::Process;
using wkit::testing::ServeProcess;

namespace {

// A command whose stdout and stderr are the slave side of one pty; the test
// reads the master side. Killed on scope exit if still running.
class OnTerminal {
 public:
  explicit OnTerminal(const std::vector<std::string>& argv) {
    master_ = ::posix_openpt(O_RDWR | O_NOCTTY);
    if (master_ < 0 || ::grantpt(master_) != 0 || ::unlockpt(master_) != 0)
      throw std::runtime_error("no pseudo-terminal");
    winsize ws{};
    ws.ws_row = 50;
    ws.ws_col = 200;
    ::ioctl(master_, TIOCSWINSZ, &ws);
    const std::string slave_name = ::ptsname(master_);
    pid_ = ::fork();
    if (pid_ == 0) {
      const int slave = ::open(slave_name.c_str(), O_RDWR | O_NOCTTY);
      const int devnull = ::open("/dev/null", O_RDONLY);
      ::dup2(devnull, 0);
      ::dup2(slave, 1);
      ::dup2(slave, 2);
      std::vector<char*> args;
      for (auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
      args.push_back(nullptr);
      ::execv(args[0], args.data());
      ::_exit(127);
    }
    ::fcntl(master_, F_SETFL, O_NONBLOCK);
  }
  ~OnTerminal() {
    if (!exited_) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    ::close(master_);
  }

  // Reads what the terminal got until `done(all bytes so far)` or `limit`.
  bool read_until(const std::function<bool(const std::string&)>& done, std::chrono::milliseconds limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!done(out_)) {
      if (std::chrono::steady_clock::now() >= deadline) return false;
      pump(50);
    }
    return true;
  }
  // Signals, then reads until the exit; the exit code, or nullopt after `limit`.
  std::optional<int> signal_and_wait(int sig, std::chrono::milliseconds limit) {
    ::kill(pid_, sig);
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      pump(50);
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        exited_ = true;
        for (int i = 0; i < 10; ++i) pump(10);  // what it wrote last
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
    }
    return std::nullopt;
  }
  const std::string& bytes() const { return out_; }

 private:
  void pump(int wait_ms) {
    pollfd p{master_, POLLIN, 0};
    if (::poll(&p, 1, wait_ms) <= 0) return;
    char buf[4096];
    ssize_t n;
    while ((n = ::read(master_, buf, sizeof buf)) > 0) out_.append(buf, size_t(n));
  }
  int master_ = -1;
  pid_t pid_ = -1;
  bool exited_ = false;
  std::string out_;
};

// The lines a terminal shows after these bytes: '\r' goes to column 0, text
// overwrites from the cursor, ESC [ K erases to the end of the line, '\n'
// ends the line. The line still being drawn is the last element.
std::vector<std::string> terminal_screen_lines(const std::string& bytes) {
  std::vector<std::string> lines;
  std::string line;
  size_t col = 0;
  for (size_t i = 0; i < bytes.size(); ++i) {
    const char c = bytes[i];
    if (c == '\r') {
      col = 0;
    } else if (c == '\n') {
      lines.push_back(line);
      line.clear();
      col = 0;
    } else if (c == '\x1b' && bytes.compare(i, 3, "\x1b[K") == 0) {
      line.resize(std::min(line.size(), col));
      i += 2;
    } else {
      if (col < line.size()) line[col] = c;
      else line.push_back(c);
      ++col;
    }
  }
  lines.push_back(line);
  return lines;
}

size_t occurrences_on_terminal(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

TEST(RecvTerminal, MessageLinesGoAboveTheProgressLineInsteadOfIntoIt) {
  ServeProcess srv;
  OnTerminal rx({WKIT_BINARY, "recv", "-s", srv.tcp(), "-u", "bob", "--timeout", "60s", "--progress", "always",
                 "--progress-interval", "100ms"});
  // The progress line is on the screen before anything arrives.
  ASSERT_TRUE(rx.read_until([](const std::string& s) { return s.find("\rrecv: elapsed ") != std::string::npos; }, 20s))
      << rx.bytes();
  Process send({WKIT_BINARY, "send", "-s", srv.tcp(), "-u", "alice", "--to", "bob", "--count", "3", "-o", "json"});
  ASSERT_EQ(send.wait_exit(60s), 0) << send.stderr_text();
  ASSERT_TRUE(rx.read_until([](const std::string& s) { return occurrences_on_terminal(s, "  cmn ") >= 3; }, 20s)) << rx.bytes();
  const auto code = rx.signal_and_wait(SIGINT, 10s);
  ASSERT_TRUE(code.has_value()) << "wkit recv did not end within 10 s of SIGINT:\n" << rx.bytes();

  size_t message_lines = 0;
  bool summary = false;
  for (const auto& l : terminal_screen_lines(rx.bytes())) {
    if (l.find("  cmn ") != std::string::npos) {  // "seq N  id ...  cmn ...": a message line
      ++message_lines;
      EXPECT_EQ(l.rfind("seq ", 0), 0u) << "a message line mixed with the progress line: [" << l << "]";
    }
    if (l.rfind("received 3 (unique 3)", 0) == 0) summary = true;
  }
  EXPECT_EQ(message_lines, 3u) << rx.bytes();
  EXPECT_TRUE(summary) << "no summary on the terminal:\n" << rx.bytes();
}

}  // namespace
