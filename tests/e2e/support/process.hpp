#pragma once
// Spawns a real process (e.g. the built `wkit`), collects its stdout and
// stderr line by line on reader threads, and kills it on scope exit even when
// a test fails. Header-only so any e2e/interop/bench file can include it.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace wkit::testing {

class Process {
 public:
  using Clock = std::chrono::steady_clock;

  // argv[0] is the program path; stdin from `stdin_path` when given (else
  // inherited). Throws std::runtime_error if it cannot start.
  explicit Process(std::vector<std::string> argv, const std::string& stdin_path = {}) : argv_(std::move(argv)) {
    int out[2], err[2];
    if (pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    posix_spawn_file_actions_adddup2(&fa, err[1], 2);
    if (!stdin_path.empty()) posix_spawn_file_actions_addopen(&fa, 0, stdin_path.c_str(), O_RDONLY, 0);
    std::vector<char*> args;
    for (auto& a : argv_) args.push_back(a.data());
    args.push_back(nullptr);
    int rc = posix_spawn(&pid_, args[0], &fa, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    close(out[1]);
    close(err[1]);
    if (rc != 0) {
      close(out[0]);
      close(err[0]);
      throw std::runtime_error("cannot start " + argv_[0]);
    }
    out_thread_ = std::thread([this, fd = out[0]] { pump(fd, out_lines_); });
    err_thread_ = std::thread([this, fd = err[0]] { pump(fd, err_lines_); });
  }
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;
  ~Process() {
    kill_now();
    if (out_thread_.joinable()) out_thread_.join();
    if (err_thread_.joinable()) err_thread_.join();
  }

  pid_t pid() const { return pid_; }

  // The first stdout line (from the start) for which `pred` holds, waiting up to `timeout`.
  std::optional<std::string> wait_stdout(const std::function<bool(const std::string&)>& pred,
                                         std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    return wait_line(out_lines_, pred, timeout);
  }
  std::optional<std::string> wait_stderr(const std::function<bool(const std::string&)>& pred,
                                         std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    return wait_line(err_lines_, pred, timeout);
  }
  std::vector<std::string> stdout_lines() {
    std::lock_guard lk(mu_);
    return {out_lines_.begin(), out_lines_.end()};
  }
  std::vector<std::string> stderr_lines() {
    std::lock_guard lk(mu_);
    return {err_lines_.begin(), err_lines_.end()};
  }
  std::string stderr_text() {
    std::string s;
    for (auto& l : stderr_lines()) s += l + "\n";
    return s;
  }

  // Sends `sig` and waits for the exit; returns the exit code (128+signal if
  // killed by a signal), or nullopt if it did not exit within `timeout`.
  std::optional<int> signal_and_wait(int sig, std::chrono::milliseconds timeout = std::chrono::seconds(15)) {
    if (!exited_) ::kill(pid_, sig);
    return wait_exit(timeout);
  }
  // Waits for the process to exit by itself.
  std::optional<int> wait_exit(std::chrono::milliseconds timeout = std::chrono::seconds(15)) {
    auto deadline = Clock::now() + timeout;
    while (!exited_) {
      int status = 0;
      pid_t r = waitpid(pid_, &status, WNOHANG);
      if (r == pid_) {
        exited_ = true;
        code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        break;
      }
      if (Clock::now() >= deadline) return std::nullopt;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    // Output written just before exit is in the pipes: let the readers finish.
    if (out_thread_.joinable()) out_thread_.join();
    if (err_thread_.joinable()) err_thread_.join();
    return code_;
  }
  void kill_now() {
    if (exited_ || pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    int status = 0;
    waitpid(pid_, &status, 0);
    exited_ = true;
    code_ = 128 + SIGKILL;
  }

 private:
  void pump(int fd, std::deque<std::string>& lines) {
    std::string partial;
    char buf[4096];
    for (;;) {
      ssize_t n = read(fd, buf, sizeof buf);
      if (n <= 0) break;
      partial.append(buf, static_cast<size_t>(n));
      size_t nl;
      while ((nl = partial.find('\n')) != std::string::npos) {
        {
          std::lock_guard lk(mu_);
          lines.push_back(partial.substr(0, nl));
        }
        partial.erase(0, nl + 1);
        cv_.notify_all();
      }
    }
    if (!partial.empty()) {
      std::lock_guard lk(mu_);
      lines.push_back(partial);
    }
    close(fd);
    cv_.notify_all();
  }
  std::optional<std::string> wait_line(std::deque<std::string>& lines,
                                       const std::function<bool(const std::string&)>& pred,
                                       std::chrono::milliseconds timeout) {
    std::unique_lock lk(mu_);
    auto deadline = Clock::now() + timeout;
    size_t seen = 0;
    for (;;) {
      for (; seen < lines.size(); ++seen)
        if (pred(lines[seen])) return lines[seen];
      if (cv_.wait_until(lk, deadline) == std::cv_status::timeout) {
        for (; seen < lines.size(); ++seen)
          if (pred(lines[seen])) return lines[seen];
        return std::nullopt;
      }
    }
  }

  std::vector<std::string> argv_;
  pid_t pid_ = -1;
  bool exited_ = false;
  int code_ = -1;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::string> out_lines_, err_lines_;
  std::thread out_thread_, err_thread_;
};

}  // namespace wkit::testing
