#pragma once
// Byte transports for WKProto over Boost.Asio with C++20 coroutines:
// TCP streams and WebSocket (Beast) binary messages (docs/protocol.md section 6).
// Inbound, both are a byte stream (a WS message may hold part of a frame or
// several frames). Outbound, write_frames() sends each frame as one WS
// message (old SDKs break on merged frames) or gathers them into one TCP write.
#include <utility>  // before asio: Boost 1.74 awaitable.hpp uses std::exchange unincluded
#include <boost/asio/awaitable.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/system/error_code.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "wkit/net/http.hpp"
#include "wkit/net/tls.hpp"
#include "wkit/util/error.hpp"

namespace wkit::net {

namespace asio = boost::asio;
using boost::system::error_code;

// `tcp://HOST:PORT`, `ws://HOST:PORT[/PATH]` or `wss://HOST:PORT[/PATH]`
// (WebSocket over TLS, docs/tls.md). Port 0 = any free port.
struct Url {
  enum class Scheme { tcp, ws, wss, http, https };
  Scheme scheme = Scheme::tcp;
  std::string host = "127.0.0.1";
  uint16_t port = 5100;
  std::string path = "/";  // ws and wss only
  static Result<Url> parse(std::string_view text);
  std::string to_string() const;
  bool websocket() const { return scheme == Scheme::ws || scheme == Scheme::wss; }
  bool http() const { return scheme == Scheme::http || scheme == Scheme::https; }
  bool tls() const { return scheme == Scheme::wss || scheme == Scheme::https; }
};

std::string_view scheme_name(Url::Scheme s);  // "tcp", "ws", "wss", "http", "https"

class Connection {
 public:
  virtual ~Connection() = default;
  // Reads what is available (at least one byte) into `buf`. Returns the count;
  // 0 with ec set on close or error (asio::error::eof for a clean close).
  virtual asio::awaitable<size_t> read_some(std::span<char> buf, error_code& ec) = 0;
  // Writes whole frames in order: one WS binary message per frame; one gathered
  // write on TCP. Completes when all are handed to the socket.
  virtual asio::awaitable<void> write_frames(std::span<const std::string_view> frames,
                                             error_code& ec) = 0;
  // Closes at once (TCP RST-free shutdown; WS close frame when possible).
  virtual void close() = 0;
  // Orderly end: WS close handshake (close frame, wait for the peer's), or a
  // TCP shutdown of the send side. The caller then close()s.
  virtual asio::awaitable<void> graceful_close(error_code& ec) = 0;
  virtual asio::any_io_executor get_executor() = 0;
  virtual std::string remote_address() const = 0;  // "127.0.0.1:54321"
  virtual Url::Scheme scheme() const = 0;
  // WebSocket: later write_frames() send text messages instead of binary
  // ones (a JSON-RPC session, docs/protocol.md section 10). Call it before
  // the first write; TCP has no message types and ignores it.
  virtual void use_text_messages() {}
};

// Resolves, connects, for wss:// performs the TLS handshake (with `tls`, or
// the system's trusted certificates when null) and for ws:// and wss:// the
// WebSocket handshake on url.path, all before `deadline` (else ec =
// asio::error::timed_out). On failure `failure` says what failed in one line
// ("TLS handshake failed: certificate verify failed: certificate has expired").
asio::awaitable<std::unique_ptr<Connection>> connect(const Url& url, std::chrono::steady_clock::time_point deadline,
                                                     const ClientTls* tls, error_code& ec, std::string& failure);

// A TCP connection just accepted, before any byte was read from it. On a
// ws:// listener the WebSocket upgrade is still to come: establish() does it
// in the connection's own coroutine, so that a silent peer holds up nobody else.
class Accepted {
 public:
  virtual ~Accepted() = default;
  // tcp: the Connection at once. ws: reads the HTTP upgrade request and
  // answers it within `limit` (0 = no limit), else nullptr with
  // ec = asio::error::timed_out; the socket is closed on failure. wss: the
  // TLS handshake first, within the same limit.
  virtual asio::awaitable<std::unique_ptr<Connection>> establish(std::chrono::milliseconds limit,
                                                                 error_code& ec) = 0;
  // http:// and https:// listeners: answers requests with `handler` until
  // the peer closes, goes quiet past the limits, or close() is called.
  virtual asio::awaitable<void> serve_http(const HttpHandler& handler, const HttpLimits& limits) = 0;
  // Closes the socket (ends a pending establish() or serve_http()).
  virtual void close() = 0;
  virtual std::string remote_address() const = 0;
  virtual Url::Scheme scheme() const = 0;
};

class Listener {
 public:
  virtual ~Listener() = default;
  // Accepts one TCP connection without reading from it (see Accepted).
  // Errors: the acceptor's (EMFILE at the fd limit, operation_aborted after close()).
  virtual asio::awaitable<std::unique_ptr<Accepted>> accept_raw(error_code& ec) = 0;
  // accept_raw() then establish() with a 10 s limit, skipping peers whose
  // upgrade fails: one connection at a time, for tests and one-shot
  // listeners. A server must use accept_raw() (one silent peer would stall it).
  asio::awaitable<std::unique_ptr<Connection>> accept(error_code& ec);
  virtual Url local_url() const = 0;  // with the port actually bound
  virtual void close() = 0;
};

// Binds and listens (SO_REUSEADDR). Errors (port in use, bad address) are
// returned as an Error with kind connection and a one-line message. A wss://
// listener needs `tls` (usage error without).
Result<std::unique_ptr<Listener>> listen(asio::any_io_executor ex, const Url& url,
                                         std::shared_ptr<const ServerTls> tls = nullptr);

}  // namespace wkit::net
