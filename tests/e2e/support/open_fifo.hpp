#pragma once
// A named pipe that a test keeps open for writing, so that a `wkit` process
// reading it never sees its end: the deterministic way to have a command
// still reading when a signal is sent. Removed on scope exit.
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>

namespace wkit::testing {

class OpenFifo {
 public:
  explicit OpenFifo(std::string path) : path_(std::move(path)) {
    if (::mkfifo(path_.c_str(), 0600) != 0) throw std::runtime_error("mkfifo " + path_ + " failed");
    // O_RDWR opens at once (no reader needed yet) and keeps a writer, so the
    // reader's open does not block and its reads wait instead of ending.
    fd_ = ::open(path_.c_str(), O_RDWR | O_CLOEXEC);
    if (fd_ < 0) throw std::runtime_error("open " + path_ + " failed");
  }
  ~OpenFifo() {
    if (fd_ >= 0) ::close(fd_);
    ::unlink(path_.c_str());
  }
  OpenFifo(const OpenFifo&) = delete;
  OpenFifo& operator=(const OpenFifo&) = delete;

  const std::string& path() const { return path_; }

  void write(const std::string& text) {
    size_t done = 0;
    while (done < text.size()) {
      const ssize_t n = ::write(fd_, text.data() + done, text.size() - done);
      if (n <= 0) throw std::runtime_error("write to " + path_ + " failed");
      done += static_cast<size_t>(n);
    }
  }

  // Waits until the reader has taken every byte written (then it is past
  // its start-up, e.g. its signal handlers are installed); false on timeout.
  bool wait_drained(std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      int left = 0;
      if (::ioctl(fd_, FIONREAD, &left) != 0) return false;
      if (left == 0) return true;
      if (std::chrono::steady_clock::now() >= deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }

 private:
  std::string path_;
  int fd_ = -1;
};

}  // namespace wkit::testing
