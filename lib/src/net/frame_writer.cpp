#include "wkit/net/frame_writer.hpp"

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace wkit::net {

using asio::redirect_error;
using asio::use_awaitable;

FrameWriter::FrameWriter(Connection& conn, size_t high_water)
    : conn_(conn), high_water_(high_water), data_ready_(conn.get_executor()),
      progress_(conn.get_executor()) {
  data_ready_.expires_at(asio::steady_timer::time_point::max());
  progress_.expires_at(asio::steady_timer::time_point::max());
}

void FrameWriter::wake(asio::steady_timer& t) {
  // A timer that never expires is our condition variable: cancel() wakes all
  // waiters; re-arm for the next wait.
  t.cancel();
  t.expires_at(asio::steady_timer::time_point::max());
}

void FrameWriter::commit() {
  if (pending_.size() == committed_) return;
  committed_ = pending_.size();
  pending_ends_.push_back(committed_);
  wake(data_ready_);
}

void FrameWriter::enqueue(std::string_view frame) {
  pending_.append(frame);
  commit();
}

asio::awaitable<void> FrameWriter::wait_writable() {
  while (pending_.size() > high_water_ && !error_ && !done_) {
    error_code ec;
    co_await progress_.async_wait(redirect_error(use_awaitable, ec));
  }
}

asio::awaitable<void> FrameWriter::drain() {
  while ((!pending_ends_.empty() || writing_) && !error_ && !done_) {
    error_code ec;
    co_await progress_.async_wait(redirect_error(use_awaitable, ec));
  }
}

asio::awaitable<void> FrameWriter::join() {
  while (!done_) {
    error_code ec;
    co_await progress_.async_wait(redirect_error(use_awaitable, ec));
  }
}

void FrameWriter::stop() {
  stopping_ = true;
  wake(data_ready_);
}

asio::awaitable<void> FrameWriter::run() {
  while (!error_) {
    if (pending_ends_.empty()) {
      if (stopping_) break;
      error_code ec;
      co_await data_ready_.async_wait(redirect_error(use_awaitable, ec));
      continue;
    }
    // Take all committed frames; an uncommitted tail (a frame being encoded
    // across a suspension, which producers should not do) stays pending.
    if (committed_ == pending_.size()) {
      inflight_.swap(pending_);
      pending_.clear();
    } else {
      inflight_.assign(pending_, 0, committed_);
      pending_.erase(0, committed_);
    }
    views_.clear();
    size_t start = 0;
    for (size_t end : pending_ends_) {
      views_.emplace_back(inflight_.data() + start, end - start);
      start = end;
    }
    pending_ends_.clear();
    committed_ = 0;
    writing_ = true;
    wake(progress_);  // producers blocked on high water may continue
    co_await conn_.write_frames(views_, error_);
    writing_ = false;
    ++writes_;
    if (!error_) frames_written_ += views_.size();
    wake(progress_);
  }
  done_ = true;
  wake(progress_);
}

}  // namespace wkit::net
