#pragma once
// One client connection: a net::Connection driven by a sans-I/O
// ClientSession, with a FrameWriter (batched writes, back-pressure), a read
// loop that turns bytes into events, PING keepalive, and a clean DISCONNECT.
// Used by `wkit send` (single, load, verify) and `wkit recv`.
//
// Everything runs on the executor the connection was opened on (one
// io_context thread): handlers are called from the read loop, and send()/
// recvack() must be called on that executor too.
#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include <boost/asio/steady_timer.hpp>

#include "wkit/net/frame_writer.hpp"
#include "wkit/net/transport.hpp"
#include "wkit/session/client_session.hpp"

namespace wkit::app {

namespace asio = boost::asio;

// `--protocol wkproto|jsonrpc` and `--jsonrpc-compat 2.1|2.2|2.2.3|3` of
// `wkit send` and `wkit recv` into `cfg`. Errors are usage errors.
Status apply_protocol_flags(std::string_view protocol, std::string_view compat, session::ClientConfig& cfg);

class ClientConnection {
 public:
  using Handler = std::function<void(const session::ClientEvent&)>;
  using ClosedHandler = std::function<void(const std::string& why)>;

  // Connects, sends CONNECT and waits for the CONNACK, all within `timeout`.
  // Errors have kind connection and read like
  //   "tcp://127.0.0.1:5100: CONNACK reason auth_fail (2)".
  // `tls` applies to wss:// (null: the system's trusted certificates).
  static asio::awaitable<Result<std::unique_ptr<ClientConnection>>> open(
      const net::Url& url, session::ClientConfig cfg, std::chrono::milliseconds timeout,
      const net::ClientTls* tls = nullptr);

  ~ClientConnection();
  ClientConnection(const ClientConnection&) = delete;
  ClientConnection& operator=(const ClientConnection&) = delete;

  // Starts the read loop, the writer and (if ping_interval > 0) keepalive.
  // PINGs from the server are answered here; every other event goes to
  // `on_event`. `on_closed` runs once when the connection ends for any
  // reason other than close() (EOF, error, protocol error, DISCONNECT).
  void start(Handler on_event, ClosedHandler on_closed = {},
             std::chrono::milliseconds ping_interval = std::chrono::seconds(30));

  // Encodes one SEND and queues it. See ClientSession::encode_send.
  Result<uint32_t> send(const session::SendSpec& spec);
  void recvack(int64_t message_id, uint64_t message_seq);
  // Back-pressure: suspends while the write queue is over its high-water mark.
  asio::awaitable<void> wait_writable() { return writer_.wait_writable(); }

  // Clean end: DISCONNECT (optional), flush, orderly transport close, and
  // wait for the loops to finish. Safe to call more than once.
  asio::awaitable<void> close(bool send_disconnect = true);
  // Drops the connection at once, like a network failure (no DISCONNECT).
  asio::awaitable<void> abort();

  bool alive() const { return alive_; }
  const std::string& end_reason() const { return end_reason_; }
  const session::ConnackEvent& connack() const { return connack_; }
  session::ClientSession& session() { return session_; }
  net::FrameWriter& writer() { return writer_; }
  const net::Url& url() const { return url_; }

 private:
  ClientConnection(net::Url url, std::unique_ptr<net::Connection> conn, session::ClientConfig cfg);
  asio::awaitable<void> read_loop();
  // Hands every decoded event out (answering PINGs); false once the connection ended.
  bool drain_events();
  asio::awaitable<void> ping_loop(std::chrono::milliseconds interval);
  asio::awaitable<void> writer_loop();
  asio::awaitable<void> join();
  void end(std::string why);

  net::Url url_;
  std::unique_ptr<net::Connection> conn_;
  session::ClientSession session_;
  net::FrameWriter writer_;
  session::ConnackEvent connack_;
  Handler on_event_;
  ClosedHandler on_closed_;
  asio::steady_timer ping_timer_, loops_done_;
  int loops_ = 0;
  bool alive_ = true, closing_ = false;
  std::string end_reason_;
  std::string readbuf_;
};

}  // namespace wkit::app
