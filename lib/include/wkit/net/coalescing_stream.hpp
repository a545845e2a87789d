#pragma once
// A byte stream between Beast's websocket::stream and the socket (or TLS
// stream) that writes a batch of WebSocket messages with one socket write
// and lets a reader take every whole message that has already arrived in one
// go. Beast still does all the framing, masking and checking.
//
// Writes. Beast writes every message with its own write, i.e. one send (and
// one wake-up of the peer) per message; for small messages that send is
// most of the cost. write_batch() below is the only user of the batch mode:
//   begin_batch()      later writes are appended to a buffer: Beast's
//                      synchronous writes return at once; its asynchronous
//                      ones complete at once (posted, never run inline);
//   ws.write...        Beast frames each message into the buffer;
//   end_batch()        writes the buffer with one async_write on the next
//                      layer, then whatever Beast appended meanwhile (a pong
//                      or close frame answered by a concurrent read), until
//                      the buffer is empty; then writes pass straight through.
// Beast believes each message was written, so its own control frames may come
// at any time; the rules that keep them safe:
//   - never two writes in flight on the next layer (a write that passes
//     straight through is tracked like a flush and a flush waits for it; a
//     write during the batch that does not fit in the buffer, or any write
//     after write_through(), writes the buffered bytes and its own with one
//     gathered write);
//   - a control frame is never left in the buffer: the websocket teardown
//     (after a close frame) waits for a running flush, or writes what is
//     buffered itself; graceful closes call write_through() first, because
//     Beast holds its write lock while it waits for the peer's close reply.
//
// Reads. Beast's read hands over one message per call, each completion a
// round through the executor, and gives no way to ask whether the next
// message is already buffered. Once track_frames() is called (after the
// handshake), this layer reads the socket into its own buffer and hands
// Beast at most one frame at a time (ws_frame_peek.hpp finds where a frame
// ends), so Beast never holds the start of the next frame and
// next_message_ready() can tell, from this buffer alone, that another whole
// message is here: a reader takes it now, with the first, instead of after
// another feed, flush and wake-up per message.
#include <utility>  // before asio: Boost 1.74 awaitable.hpp uses std::exchange unincluded
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/compose.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/core/buffers_cat.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/role.hpp>
#include <boost/beast/websocket/stream.hpp>
#include <boost/beast/websocket/teardown.hpp>
#include <boost/system/error_code.hpp>
#include <concepts>
#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "wkit/net/ws_frame_peek.hpp"

namespace wkit::net {

template <class Next>
class CoalescingStream {
 public:
  using next_layer_type = Next;
  using executor_type = typename Next::executor_type;
  using error_code = boost::system::error_code;

  // A batch bigger than this is written in pieces of about this size, so
  // that a large message is not copied whole into the buffer.
  static constexpr std::size_t kDefaultBatchLimit = 64 * 1024;

  // Constructs the next layer from `args` (a tcp_stream; a tcp_stream and
  // an ssl::context for TLS), as websocket::stream forwards its arguments.
  template <class... Args>
    requires std::constructible_from<Next, Args&&...>
  explicit CoalescingStream(Args&&... args)
      : next_(std::forward<Args>(args)...), wake_(next_.get_executor()) {
    wake_.expires_at(boost::asio::steady_timer::time_point::max());
  }
  CoalescingStream(const CoalescingStream&) = delete;
  CoalescingStream& operator=(const CoalescingStream&) = delete;

  executor_type get_executor() noexcept { return next_.get_executor(); }
  Next& next_layer() noexcept { return next_; }
  const Next& next_layer() const noexcept { return next_; }

  void set_batch_limit(std::size_t bytes) { batch_limit_ = bytes; }
  bool batching() const { return batching_; }
  bool flushing() const { return flushing_; }
  // Expires when the stream is destroyed (for code that resumes after an await).
  std::weak_ptr<char> lifetime() const { return alive_; }

  template <class MutableBuffers, class ReadHandler>
  auto async_read_some(const MutableBuffers& buffers, ReadHandler&& handler) {
    return boost::asio::async_compose<ReadHandler, void(error_code, std::size_t)>(ReadOp<MutableBuffers>{*this, alive_, buffers},
                                                                                  handler, next_);
  }
  template <class MutableBuffers>
  std::size_t read_some(const MutableBuffers& buffers, error_code& ec) {
    ec = {};
    std::size_t avail = handable();
    while (avail == 0) {
      const std::size_t n = next_.read_some(in_.prepare(read_size_), ec);
      in_.commit(n);
      if (ec) return 0;
      avail = handable();
    }
    return hand(buffers, avail);
  }
  template <class MutableBuffers>
  std::size_t read_some(const MutableBuffers& buffers) {
    error_code ec;
    const std::size_t n = read_some(buffers, ec);
    if (ec) throw boost::system::system_error(ec);
    return n;
  }

  template <class ConstBuffers, class WriteHandler>
  auto async_write_some(const ConstBuffers& buffers, WriteHandler&& handler) {
    return boost::asio::async_initiate<WriteHandler, void(error_code, std::size_t)>(
        [this](auto h, const ConstBuffers& b) { start_write(std::move(h), b); }, handler, buffers);
  }
  // Beast's synchronous writes: appended to the batch (write_batch() makes
  // them only between begin_batch() and end_batch()).
  template <class ConstBuffers>
  std::size_t write_some(const ConstBuffers& buffers, error_code& ec) {
    ec = {};
    if (!batching_) {
      ec = boost::asio::error::operation_not_supported;
      return 0;
    }
    const std::size_t n = boost::asio::buffer_size(buffers);
    boost::asio::buffer_copy(pending_.prepare(n), buffers);
    pending_.commit(n);
    return n;
  }
  template <class ConstBuffers>
  std::size_t write_some(const ConstBuffers& buffers) {
    error_code ec;
    const std::size_t n = write_some(buffers, ec);
    if (ec) throw boost::system::system_error(ec);
    return n;
  }

  // Writes from now on are buffered until end_batch().
  void begin_batch() { batching_ = true; }
  std::size_t buffered() const { return pending_.size(); }
  std::size_t batch_limit() const { return batch_limit_; }

  // Called once the WebSocket handshake is done. Frames are tracked only if
  // nothing but the HTTP head came through during the handshake: bytes after
  // it would sit in Beast's own buffer, out of sight.
  void track_frames() {
    const auto end = head_.find("\r\n\r\n");
    framing_ = !head_overflow_ && end != std::string::npos && end + 4 == head_.size();
    recording_ = false;
    std::string().swap(head_);
  }
  bool tracking_frames() const { return framing_; }

  // A whole message in one plain data frame of at most `max_payload` bytes
  // has arrived and Beast holds none of it: reading it completes without I/O.
  bool next_message_ready(std::size_t max_payload) const {
    if (!framing_ || frame_left_ != 0) return false;
    const auto f = peek_ws_frame(in_bytes());
    return f && f->plain_message() && f->payload <= max_payload && f->header + f->payload <= in_.size();
  }

  // Writes the buffered bytes, and those added while that write is in
  // flight, then lets writes pass straight through again. `ec` is the first
  // write error (the buffered bytes are dropped then).
  boost::asio::awaitable<void> end_batch(error_code& ec) {
    ec = {};
    const std::weak_ptr<char> alive = alive_;
    flushing_ = true;
    while (writing_) {  // a teardown writing the buffer itself
      co_await wait_for_write();
      if (alive.expired()) {
        ec = boost::asio::error::operation_aborted;
        co_return;
      }
    }
    while (pending_.size() > 0) {
      take_pending_for_write();
      // write_some by write_some, not asio::async_write: after each part,
      // nothing touches the next layer if the stream is gone meanwhile.
      while (out_.size() > 0 && !ec) {
        const std::size_t n = co_await next_.async_write_some(out_.data(), boost::asio::redirect_error(boost::asio::use_awaitable, ec));
        if (alive.expired()) {
          ec = boost::asio::error::operation_aborted;
          co_return;
        }
        out_.consume(n);
      }
      write_done();
      if (ec) break;
    }
    pending_.clear();
    flushing_ = false;
    batching_ = false;
    wake_waiters();
  }

  // From now on a write during a batch is written at once (after what is
  // buffered): for a close handshake, whose close frame must reach the peer
  // while Beast waits for the answer.
  void write_through() { through_ = true; }

  // websocket::stream's teardown customization points, found by ADL.
  friend void teardown(boost::beast::role_type role, CoalescingStream& s, error_code& ec) {
    using boost::beast::websocket::teardown;
    teardown(role, s.next_, ec);  // synchronous use only: nothing is ever buffered then
  }
  template <class TeardownHandler>
  friend void async_teardown(boost::beast::role_type role, CoalescingStream& s, TeardownHandler&& handler) {
    boost::asio::async_compose<TeardownHandler, void(error_code)>(TeardownOp{s, s.alive_, role}, handler, s.next_);
  }

 private:
  template <class Handler, class ConstBuffers>
  void start_write(Handler&& handler, const ConstBuffers& buffers) {
    const std::size_t n = boost::asio::buffer_size(buffers);
    if (batching_ && (flushing_ || (!through_ && pending_.size() + n <= batch_limit_))) {
      boost::asio::buffer_copy(pending_.prepare(n), buffers);
      pending_.commit(n);
      boost::asio::post(next_.get_executor(), boost::beast::bind_front_handler(std::forward<Handler>(handler), error_code{}, n));
      return;
    }
    boost::asio::async_compose<Handler, void(error_code, std::size_t)>(GatheredWriteOp<ConstBuffers>{*this, alive_, buffers, n},
                                                                       handler, next_);
  }

  // The buffered bytes (none outside a batch) and `buffers` in one write,
  // marked as in flight for end_batch() and the teardown. Never two at once:
  // Beast's asynchronous writes are serialized.
  template <class ConstBuffers>
  struct GatheredWriteOp {
    CoalescingStream& s;
    std::weak_ptr<char> alive;
    ConstBuffers buffers;
    std::size_t n;
    bool started = false;
    template <class Self>
    void operator()(Self& self, error_code ec = {}, std::size_t = 0) {
      if (alive.expired()) return self.complete(boost::asio::error::operation_aborted, 0);
      if (!started) {
        started = true;
        s.take_pending_for_write();
        boost::asio::async_write(s.next_, boost::beast::buffers_cat(s.out_.data(), buffers), std::move(self));
        return;
      }
      s.write_done();
      self.complete(ec, ec ? 0 : n);
    }
  };

  // Hands Beast what has arrived (at most up to the end of the current
  // frame while tracking frames), reading the next layer only when there is
  // nothing to hand.
  template <class MutableBuffers>
  struct ReadOp {
    CoalescingStream& s;
    std::weak_ptr<char> alive;
    MutableBuffers buffers;
    enum { start, reading, posted } state = start;
    std::size_t handed = 0;
    template <class Self>
    void operator()(Self& self, error_code ec = {}, std::size_t n = 0) {
      if (state == posted) return self.complete(error_code{}, handed);
      if (state == reading) {
        if (alive.expired()) return self.complete(boost::asio::error::operation_aborted, 0);
        s.in_.commit(n);
        if (n == s.read_size_ && s.read_size_ < kMaxReadSize) s.read_size_ *= 2;
      }
      const std::size_t avail = s.handable();
      if (avail == 0) {
        if (state == reading && ec) return self.complete(ec, 0);
        state = reading;
        return s.next_.async_read_some(s.in_.prepare(s.read_size_), std::move(self));
      }
      handed = s.hand(buffers, avail);
      if (state == reading) return self.complete(error_code{}, handed);
      state = posted;  // never complete inside the initiating call
      boost::asio::post(s.next_.get_executor(), std::move(self));
    }
  };

  std::span<const unsigned char> in_bytes() const {
    auto d = in_.data();
    return {static_cast<const unsigned char*>(d.data()), d.size()};
  }
  // How many bytes Beast may be given now: all of in_, or while tracking
  // frames, the rest of the current frame (0 until its header is whole).
  std::size_t handable() {
    if (in_.size() == 0) return 0;
    if (!framing_) return in_.size();
    if (frame_left_ == 0) {
      const auto f = peek_ws_frame(in_bytes());
      if (!f) return 0;
      frame_left_ = f->header + std::min<std::uint64_t>(f->payload, std::uint64_t(1) << 62);  // Beast refuses such lengths
    }
    return static_cast<std::size_t>(std::min<std::uint64_t>(in_.size(), frame_left_));
  }
  template <class MutableBuffers>
  std::size_t hand(const MutableBuffers& buffers, std::size_t avail) {
    const std::size_t n = boost::asio::buffer_copy(buffers, boost::asio::buffer(in_.data().data(), avail));
    if (recording_) {
      if (head_.size() + n > kMaxHead) head_overflow_ = true;
      else head_.append(static_cast<const char*>(in_.data().data()), n);
    }
    in_.consume(n);
    if (framing_) frame_left_ -= n;
    return n;
  }

  // Gets what is buffered onto the wire before the next layer's teardown
  // (Beast calls it right after queueing its close frame).
  struct TeardownOp {
    CoalescingStream& s;
    std::weak_ptr<char> alive;
    boost::beast::role_type role;
    enum { waiting, writing, tearing_down } state = waiting;
    template <class Self>
    void operator()(Self& self, error_code ec = {}, std::size_t = 0) {
      if (state == tearing_down) return self.complete(ec);
      if (alive.expired()) return self.complete(boost::asio::error::operation_aborted);
      if (state == writing) {
        s.write_done();
        if (ec) return self.complete(ec);
      } else if (s.flushing_ || s.writing_) {  // the flush will write the close frame too
        ++s.waiters_;
        return s.wake_.async_wait(std::move(self));
      } else if (s.pending_.size() > 0) {  // mid-batch: write it here
        state = writing;
        s.take_pending_for_write();
        return boost::asio::async_write(s.next_, s.out_.data(), std::move(self));
      }
      state = tearing_down;
      using boost::beast::websocket::async_teardown;
      async_teardown(role, s.next_, std::move(self));
    }
  };

  // The one write of out_ in flight: what is buffered becomes out_ ...
  void take_pending_for_write() {
    std::swap(pending_, out_);
    writing_ = true;
  }
  // ... and when it completed, who waits for it (end_batch, a teardown) goes on.
  void write_done() {
    out_.clear();
    writing_ = false;
    wake_waiters();
  }
  boost::asio::awaitable<void> wait_for_write() {
    ++waiters_;
    error_code woken;  // operation_aborted: the timer only ever wakes by cancel()
    co_await wake_.async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, woken));
  }
  void wake_waiters() {
    if (waiters_ == 0) return;
    waiters_ = 0;
    wake_.cancel();
  }

  Next next_;
  // Operations resumed after the stream is gone (their socket or timer was
  // destroyed) see it expired and touch nothing.
  std::shared_ptr<char> alive_ = std::make_shared<char>();
  boost::asio::steady_timer wake_;  // never expires: cancel() wakes who waits for a write to end
  boost::beast::flat_buffer pending_;  // written by the next flush (capacity kept)
  boost::beast::flat_buffer out_;      // being written
  std::size_t batch_limit_ = kDefaultBatchLimit;
  // Read side.
  static constexpr std::size_t kMinReadSize = 2048, kMaxReadSize = 64 * 1024, kMaxHead = 16 * 1024;
  boost::beast::flat_buffer in_;     // read from the next layer, not yet handed to Beast
  std::size_t read_size_ = kMinReadSize;  // doubles while reads fill it
  std::uint64_t frame_left_ = 0;     // bytes of the current frame not yet handed (tracking frames)
  std::string head_;                 // what came through during the handshake
  bool recording_ = true, head_overflow_ = false, framing_ = false;
  std::size_t waiters_ = 0;
  bool batching_ = false;  // begin_batch() until end_batch() finished
  bool flushing_ = false;  // end_batch() running
  bool writing_ = false;   // a write of out_ in flight
  bool through_ = false;
};

// Writes `messages` as one WebSocket message each (Beast's framing) with one
// socket write per batch limit's worth. Small messages go through Beast's
// synchronous write (into the buffer, no executor round per message); a large
// one through its asynchronous write, without a copy into the buffer.
template <class Next>
boost::asio::awaitable<void> write_batch(boost::beast::websocket::stream<CoalescingStream<Next>>& ws,
                                         std::span<const std::string_view> messages,
                                         boost::system::error_code& ec) {
  using boost::asio::redirect_error;
  using boost::asio::use_awaitable;
  ec = {};
  auto& layer = ws.next_layer();
  const std::weak_ptr<char> alive = layer.lifetime();
  layer.begin_batch();
  for (auto m : messages) {
    if (m.size() > layer.batch_limit() / 2) {
      co_await ws.async_write(boost::asio::buffer(m.data(), m.size()), redirect_error(use_awaitable, ec));
      if (alive.expired()) co_return;
    } else {
      if (layer.buffered() + m.size() > layer.batch_limit()) {
        co_await layer.end_batch(ec);
        if (alive.expired() || ec) break;
        layer.begin_batch();
      }
      ws.write(boost::asio::buffer(m.data(), m.size()), ec);
    }
    if (ec) break;
  }
  if (alive.expired()) co_return;
  boost::system::error_code flush_ec;
  co_await layer.end_batch(flush_ec);  // also after an error: a close frame may be buffered
  if (!ec) ec = flush_ec;
}

}  // namespace wkit::net
