#pragma once
// For a job that blocks the calling thread (replay, capture import, audit):
// calls `tick(now)` on a thread of its own every `poll` until stop(), where
// tick reads the job's atomic counters and hands a line to
// Progress::update_with (which draws only when a line is due). stop() joins,
// so nothing is drawn after it: the command's summary comes next.
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace wkit::util {

class ProgressTicker {
 public:
  using Clock = std::chrono::steady_clock;
  explicit ProgressTicker(std::function<void(Clock::time_point)> tick,
                          std::chrono::milliseconds poll = std::chrono::milliseconds(100));
  ~ProgressTicker() { stop(); }
  ProgressTicker(const ProgressTicker&) = delete;
  ProgressTicker& operator=(const ProgressTicker&) = delete;
  void stop();

 private:
  std::function<void(Clock::time_point)> tick_;
  std::chrono::milliseconds poll_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
  std::thread thread_;
};

}  // namespace wkit::util
