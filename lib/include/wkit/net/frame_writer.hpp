#pragma once
// Outbound queue for one Connection, shared by client and server:
// producers append whole encoded frames; one writer coroutine (run()) hands
// everything pending to Connection::write_frames() in one call, so a burst of
// frames becomes one gathered TCP write (or one WS message per frame, as
// docs/protocol.md section 6 requires). Two buffers swap between "pending" and
// "in flight", so nothing is allocated per frame once warm.
//
// Back-pressure: when more than `high_water` bytes are pending, producers
// should `co_await wait_writable()`; it resumes when the writer has taken the
// pending bytes (memory stays below about 2 x high_water) or the writer failed.
//
// Not thread-safe: use it from the connection's executor only (one
// io_context thread per connection, docs/architecture.md).
//
//   FrameWriter w(*conn);
//   co_spawn(ex, w.run(), detached);            // or keep its error
//   proto::encode_frame(f, v, w.buffer()); w.commit();   // zero-copy encode
//   w.enqueue(bytes);                           // or copy a ready frame
//   co_await w.wait_writable();
//   co_await w.drain();  w.stop();  co_await w.join();   // at the end
#include <boost/asio/steady_timer.hpp>
#include <string>
#include <vector>

#include "wkit/net/transport.hpp"

namespace wkit::net {

class FrameWriter {
 public:
  explicit FrameWriter(Connection& conn, size_t high_water = 1u << 20);

  // Append exactly one encoded frame to buffer(), then commit(). A commit with
  // nothing appended (e.g. an encode error appended nothing) is ignored.
  std::string& buffer() { return pending_; }
  void commit();
  void enqueue(std::string_view frame);

  // Both waits assume run() has been spawned; they return once it has ended.
  // Suspends while more than high_water bytes are pending.
  asio::awaitable<void> wait_writable();
  // Suspends until everything committed so far has been written (or failure).
  asio::awaitable<void> drain();
  // The writer loop: returns after stop() once all pending bytes are written,
  // or at the first write error (kept in error()).
  asio::awaitable<void> run();
  void stop();
  // Suspends until run() has returned: await it before destroying the writer.
  asio::awaitable<void> join();

  size_t pending_bytes() const { return pending_.size(); }
  bool idle() const { return pending_.empty() && !writing_; }
  bool failed() const { return static_cast<bool>(error_); }
  error_code error() const { return error_; }
  uint64_t frames_written() const { return frames_written_; }
  uint64_t writes() const { return writes_; }  // write_frames() calls (batching ratio)

 private:
  void wake(asio::steady_timer& t);
  Connection& conn_;
  size_t high_water_;
  std::string pending_, inflight_;
  std::vector<size_t> pending_ends_;  // end offset of each committed frame
  size_t committed_ = 0;              // bytes of pending_ in committed frames
  std::vector<std::string_view> views_;
  asio::steady_timer data_ready_, progress_;
  bool stopping_ = false, writing_ = false, done_ = false;  // done_: run() returned
  error_code error_;
  uint64_t frames_written_ = 0, writes_ = 0;
};

}  // namespace wkit::net
