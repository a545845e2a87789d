#include "wkit/app/client_connection.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "wkit/proto/frame.hpp"

namespace wkit::app {

using asio::redirect_error;
using asio::use_awaitable;
using net::error_code;

namespace {

int64_t unix_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch()).count();
}

Error conn_error(const net::Url& url, std::string what) {
  return Error{ErrorKind::connection, url.to_string() + ": " + std::move(what), std::nullopt};
}

// A TLS record header of an alert (content type 21, version 3.x): what a TLS
// listener sends back to a plain CONNECT. No CONNACK starts with it.
bool looks_like_tls_alert(std::string_view first_bytes) {
  return first_bytes.size() >= 3 && first_bytes[0] == 0x15 && first_bytes[1] == 0x03 &&
         static_cast<unsigned char>(first_bytes[2]) <= 0x04;
}

}  // namespace

Status apply_protocol_flags(std::string_view protocol, std::string_view compat, session::ClientConfig& cfg) {
  if (protocol != "wkproto" && protocol != "jsonrpc")
    return Error{ErrorKind::usage, "bad --protocol '" + std::string(protocol) + "': expected wkproto or jsonrpc", std::nullopt};
  cfg.jsonrpc = protocol == "jsonrpc";
  if (!proto::jsonrpc::compat_from_name(compat, cfg.jsonrpc_compat))
    return Error{ErrorKind::usage, "bad --jsonrpc-compat '" + std::string(compat) + "': expected 2.1, 2.2, 2.2.3 or 3",
                 std::nullopt};
  return std::nullopt;
}

ClientConnection::ClientConnection(net::Url url, std::unique_ptr<net::Connection> conn,
                                   session::ClientConfig cfg)
    : url_(std::move(url)), conn_(std::move(conn)), session_(std::move(cfg)),
      writer_(*conn_, 256 * 1024), ping_timer_(conn_->get_executor()),
      loops_done_(conn_->get_executor()) {
  readbuf_.resize(64 * 1024);
  loops_done_.expires_at(asio::steady_timer::time_point::max());
}

ClientConnection::~ClientConnection() {
  if (conn_) conn_->close();
}

asio::awaitable<Result<std::unique_ptr<ClientConnection>>> ClientConnection::open(
    const net::Url& url, session::ClientConfig cfg, std::chrono::milliseconds timeout, const net::ClientTls* tls) {
  auto ex = co_await asio::this_coro::executor;
  // One deadline for resolve + connect + WebSocket upgrade + CONNECT +
  // CONNACK. net::connect honours it itself; after that, expiry closes the
  // socket, which ends whichever wait is pending.
  const auto until = std::chrono::steady_clock::now() + timeout;
  const std::string timed_out_text =
      "connect timed out after " + std::to_string(timeout.count()) + "ms (no CONNACK)";
  error_code ec;
  std::string failure;
  auto raw = co_await net::connect(url, until, tls, ec, failure);
  if (ec == asio::error::timed_out)
    co_return conn_error(url, "connect timed out after " + std::to_string(timeout.count()) + "ms (no answer to the " +
                                  (url.tls() ? "TCP connect, TLS handshake or WebSocket upgrade)"
                                             : "TCP connect or WebSocket upgrade)"));
  if (ec || !raw) co_return conn_error(url, failure.empty() ? "cannot connect: " + ec.message() : failure);
  auto timed_out = std::make_shared<bool>(false);
  auto victim = std::make_shared<net::Connection*>(nullptr);
  asio::steady_timer deadline(ex, until);
  deadline.async_wait([timed_out, victim](error_code ec) {
    if (ec) return;
    *timed_out = true;
    if (*victim) (*victim)->close();
  });
  *victim = raw.get();
  if (cfg.jsonrpc) raw->use_text_messages();  // one JSON object per WebSocket text message
  std::unique_ptr<ClientConnection> c(new ClientConnection(url, std::move(raw), std::move(cfg)));
  std::string hello;
  c->session_.encode_connect(unix_ms(), hello);
  if (c->session_.state() != session::ClientSession::State::awaiting_connack) {
    deadline.cancel();
    co_return Error{ErrorKind::usage, "identity too long to encode in CONNECT", std::nullopt};
  }
  std::string_view one = hello;
  co_await c->conn_->write_frames(std::span<const std::string_view>(&one, 1), ec);
  while (!ec) {
    size_t n = co_await c->conn_->read_some(std::span<char>(c->readbuf_.data(), c->readbuf_.size()), ec);
    if (ec) break;
    if (looks_like_tls_alert(std::string_view(c->readbuf_.data(), n))) {
      deadline.cancel();
      *victim = nullptr;
      co_return conn_error(url, "the server answered with a TLS alert: it expects TLS (use wss://)");
    }
    c->session_.feed(std::string_view(c->readbuf_.data(), n));
    auto ev = c->session_.poll();
    if (!ev) continue;
    deadline.cancel();
    *victim = nullptr;
    if (auto* perr = std::get_if<session::ProtocolErrorEvent>(&*ev))
      co_return conn_error(url, "handshake: " + perr->error.describe());
    auto& ack = std::get<session::ConnackEvent>(*ev);
    c->connack_ = ack;
    if (!ack.success) {
      if (!ack.error.empty()) co_return conn_error(url, ack.error);
      co_return conn_error(url, "CONNACK reason " + std::string(proto::reason_code_name(ack.reason_code)) +
                                    " (" + std::to_string(ack.reason_code) + ")");
    }
    co_return std::move(c);
  }
  deadline.cancel();
  *victim = nullptr;
  if (*timed_out) co_return conn_error(url, timed_out_text);
  co_return conn_error(url, "connection closed before CONNACK: " + ec.message());
}

void ClientConnection::start(Handler on_event, ClosedHandler on_closed,
                             std::chrono::milliseconds ping_interval) {
  on_event_ = std::move(on_event);
  on_closed_ = std::move(on_closed);
  auto ex = conn_->get_executor();
  loops_ = 2;
  asio::co_spawn(ex, read_loop(), asio::detached);
  asio::co_spawn(ex, writer_loop(), asio::detached);
  if (ping_interval.count() > 0) {
    ++loops_;
    asio::co_spawn(ex, ping_loop(ping_interval), asio::detached);
  }
}

void ClientConnection::end(std::string why) {
  if (!alive_) return;
  alive_ = false;
  end_reason_ = std::move(why);
  ping_timer_.cancel();
  writer_.stop();
  conn_->close();
  if (!closing_ && on_closed_) on_closed_(end_reason_);
}

asio::awaitable<void> ClientConnection::writer_loop() {
  co_await writer_.run();
  if (writer_.failed()) end("write failed: " + writer_.error().message());
  if (--loops_ == 0) loops_done_.cancel();
}

bool ClientConnection::drain_events() {
  while (auto ev = session_.poll()) {
    if (std::holds_alternative<session::PingEvent>(*ev)) {
      session_.encode_pong(writer_.buffer());
      writer_.commit();
      continue;
    }
    if (auto* perr = std::get_if<session::ProtocolErrorEvent>(&*ev)) {
      if (on_event_) on_event_(*ev);
      end("protocol error: " + perr->error.describe());
      return false;
    }
    if (auto* d = std::get_if<session::DisconnectEvent>(&*ev)) {
      std::string why = "DISCONNECT from the server: " + std::string(proto::reason_code_name(d->reason_code));
      if (!d->reason.empty()) why += " (" + std::string(d->reason) + ")";
      if (on_event_) on_event_(*ev);
      end(why);
      return false;
    }
    if (on_event_) on_event_(*ev);
  }
  return true;
}

asio::awaitable<void> ClientConnection::read_loop() {
  error_code ec;
  // Frames that arrived in the same read as the CONNACK (offline RECVs, a
  // PING) are already decoded in the session: hand them out before waiting.
  bool open = drain_events();
  while (open && alive_) {
    size_t n = co_await conn_->read_some(std::span<char>(readbuf_.data(), readbuf_.size()), ec);
    if (ec) {
      end(ec == asio::error::eof ? "closed by the server" : "read failed: " + ec.message());
      break;
    }
    session_.feed(std::string_view(readbuf_.data(), n));
    open = drain_events();
  }
  if (--loops_ == 0) loops_done_.cancel();
}

asio::awaitable<void> ClientConnection::ping_loop(std::chrono::milliseconds interval) {
  while (alive_) {
    ping_timer_.expires_after(interval);
    error_code ec;
    co_await ping_timer_.async_wait(redirect_error(use_awaitable, ec));
    if (!alive_ || closing_) break;
    session_.encode_ping(writer_.buffer());
    writer_.commit();
  }
  if (--loops_ == 0) loops_done_.cancel();
}

Result<uint32_t> ClientConnection::send(const session::SendSpec& spec) {
  if (!alive_) return Error{ErrorKind::connection, "connection is closed: " + end_reason_, std::nullopt};
  auto r = session_.encode_send(spec, writer_.buffer());
  if (r.ok()) writer_.commit();
  return r;
}

void ClientConnection::recvack(int64_t message_id, uint64_t message_seq) {
  if (!alive_) return;
  session_.encode_recvack(message_id, message_seq, writer_.buffer());
  writer_.commit();
}

asio::awaitable<void> ClientConnection::join() {
  while (loops_ > 0) {
    error_code ec;
    co_await loops_done_.async_wait(redirect_error(use_awaitable, ec));
  }
}

asio::awaitable<void> ClientConnection::close(bool send_disconnect) {
  if (closing_) {
    co_await join();
    co_return;
  }
  closing_ = true;
  if (alive_) {
    if (send_disconnect) {
      session_.encode_disconnect(0, "", writer_.buffer());
      writer_.commit();
    }
    co_await writer_.drain();
    ping_timer_.cancel();
    error_code ec;
    if (alive_) {
      // Half-close, then let the read loop see the server's EOF (bounded).
      co_await conn_->graceful_close(ec);
      asio::steady_timer grace(conn_->get_executor(), std::chrono::seconds(2));
      grace.async_wait([this](error_code e) { if (!e) end("closed"); });
      co_await join();
      grace.cancel();
    }
  }
  end("closed");
  co_await join();
}

asio::awaitable<void> ClientConnection::abort() {
  closing_ = true;
  end("aborted");
  co_await join();
}

}  // namespace wkit::app
