// A thread that samples a blocking job's counters for its progress line (progress_ticker.hpp).
#include "wkit/util/progress_ticker.hpp"

namespace wkit::util {

ProgressTicker::ProgressTicker(std::function<void(Clock::time_point)> tick, std::chrono::milliseconds poll)
    : tick_(std::move(tick)), poll_(poll) {
  thread_ = std::thread([this] {
    std::unique_lock lk(mu_);
    while (!cv_.wait_for(lk, poll_, [this] { return done_; })) {
      lk.unlock();
      tick_(Clock::now());
      lk.lock();
    }
  });
}

void ProgressTicker::stop() {
  {
    std::lock_guard lk(mu_);
    done_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

}  // namespace wkit::util
