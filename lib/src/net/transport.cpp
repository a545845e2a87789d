// TCP and WebSocket connections and listeners (docs/protocol.md section 6).
#include "wkit/net/transport.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/websocket.hpp>
#include <vector>

namespace wkit::net {

namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using asio::redirect_error;
using asio::use_awaitable;

namespace {

std::string endpoint_text(const tcp::endpoint& ep) {
  auto addr = ep.address();
  std::string host = addr.is_v6() ? "[" + addr.to_string() + "]" : addr.to_string();
  return host + ":" + std::to_string(ep.port());
}

std::string remote_of(const tcp::socket& s) {
  error_code ec;
  auto ep = s.remote_endpoint(ec);
  return ec ? std::string("?") : endpoint_text(ep);
}

class TcpConnection final : public Connection {
 public:
  explicit TcpConnection(tcp::socket s) : sock_(std::move(s)) {
    error_code ignored;
    sock_.set_option(tcp::no_delay(true), ignored);
    remote_ = remote_of(sock_);
  }
  asio::awaitable<size_t> read_some(std::span<char> buf, error_code& ec) override {
    ec = {};
    size_t n = co_await sock_.async_read_some(asio::buffer(buf.data(), buf.size()),
                                              redirect_error(use_awaitable, ec));
    co_return ec ? 0 : n;
  }
  asio::awaitable<void> write_frames(std::span<const std::string_view> frames,
                                     error_code& ec) override {
    ec = {};
    bufs_.clear();
    for (auto f : frames) bufs_.emplace_back(f.data(), f.size());
    co_await asio::async_write(sock_, bufs_, redirect_error(use_awaitable, ec));
  }
  void close() override {
    error_code ignored;
    sock_.shutdown(tcp::socket::shutdown_both, ignored);
    sock_.close(ignored);
  }
  asio::awaitable<void> graceful_close(error_code& ec) override {
    ec = {};
    sock_.shutdown(tcp::socket::shutdown_send, ec);
    co_return;
  }
  asio::any_io_executor get_executor() override { return sock_.get_executor(); }
  std::string remote_address() const override { return remote_; }
  Url::Scheme scheme() const override { return Url::Scheme::tcp; }

 private:
  tcp::socket sock_;
  std::string remote_;
  std::vector<asio::const_buffer> bufs_;  // reused: no allocation once warm
};

class WsConnection final : public Connection {
 public:
  explicit WsConnection(websocket::stream<beast::tcp_stream> ws) : ws_(std::move(ws)) {
    ws_.binary(true);
    ws_.auto_fragment(false);  // one frame = one WS message = one WS frame
    ws_.read_message_max(64u << 20);
    remote_ = remote_of(beast::get_lowest_layer(ws_).socket());
  }
  asio::awaitable<size_t> read_some(std::span<char> buf, error_code& ec) override {
    ec = {};
    for (;;) {
      size_t n = co_await ws_.async_read_some(asio::buffer(buf.data(), buf.size()),
                                              redirect_error(use_awaitable, ec));
      if (ec == websocket::error::closed) ec = asio::error::eof;
      if (ec) co_return 0;
      if (n > 0) co_return n;  // an empty message carries no bytes: keep reading
    }
  }
  asio::awaitable<void> write_frames(std::span<const std::string_view> frames,
                                     error_code& ec) override {
    ec = {};
    for (auto f : frames) {
      co_await ws_.async_write(asio::buffer(f.data(), f.size()), redirect_error(use_awaitable, ec));
      if (ec) co_return;
    }
  }
  void close() override {
    error_code ignored;
    auto& s = beast::get_lowest_layer(ws_).socket();
    s.shutdown(tcp::socket::shutdown_both, ignored);
    s.close(ignored);
  }
  asio::awaitable<void> graceful_close(error_code& ec) override {
    ec = {};
    co_await ws_.async_close(websocket::close_code::normal, redirect_error(use_awaitable, ec));
  }
  asio::any_io_executor get_executor() override { return ws_.get_executor(); }
  std::string remote_address() const override { return remote_; }
  Url::Scheme scheme() const override { return Url::Scheme::ws; }

 private:
  websocket::stream<beast::tcp_stream> ws_;
  std::string remote_;
};

class AcceptedSocket final : public Accepted {
 public:
  AcceptedSocket(tcp::socket s, Url::Scheme scheme) : sock_(std::move(s)), scheme_(scheme), remote_(remote_of(sock_)) {}
  asio::awaitable<std::unique_ptr<Connection>> establish(std::chrono::milliseconds limit, error_code& ec) override {
    ec = {};
    if (scheme_ == Url::Scheme::tcp) co_return std::make_unique<TcpConnection>(std::move(sock_));
    websocket::stream<beast::tcp_stream> ws(beast::tcp_stream(std::move(sock_)));
    if (limit.count() > 0) beast::get_lowest_layer(ws).expires_after(limit);
    co_await ws.async_accept(redirect_error(use_awaitable, ec));
    if (ec == beast::error::timeout) ec = asio::error::timed_out;
    if (ec) co_return nullptr;  // `ws` and its socket close here
    beast::get_lowest_layer(ws).expires_never();
    co_return std::make_unique<WsConnection>(std::move(ws));
  }
  std::string remote_address() const override { return remote_; }
  Url::Scheme scheme() const override { return scheme_; }

 private:
  tcp::socket sock_;
  Url::Scheme scheme_;
  std::string remote_;
};

class TcpListener final : public Listener {
 public:
  TcpListener(tcp::acceptor a, Url url) : acc_(std::move(a)), url_(std::move(url)) {}
  asio::awaitable<std::unique_ptr<Accepted>> accept_raw(error_code& ec) override {
    ec = {};
    tcp::socket s = co_await acc_.async_accept(redirect_error(use_awaitable, ec));
    if (ec) co_return nullptr;
    co_return std::make_unique<AcceptedSocket>(std::move(s), url_.scheme);
  }
  Url local_url() const override {
    Url u = url_;
    error_code ec;
    auto ep = acc_.local_endpoint(ec);
    if (!ec) u.port = ep.port();
    return u;
  }
  void close() override {
    error_code ignored;
    acc_.close(ignored);
  }

 private:
  tcp::acceptor acc_;
  Url url_;
};

Error conn_error(std::string msg) { return Error{ErrorKind::connection, std::move(msg), std::nullopt}; }

}  // namespace

asio::awaitable<std::unique_ptr<Connection>> Listener::accept(error_code& ec) {
  for (;;) {
    auto a = co_await accept_raw(ec);
    if (ec) co_return nullptr;
    error_code upgrade_ec;
    auto c = co_await a->establish(std::chrono::seconds(10), upgrade_ec);
    if (c) co_return c;
    // A failed upgrade is that peer's problem: keep accepting.
  }
}

asio::awaitable<std::unique_ptr<Connection>> connect(const Url& url, std::chrono::steady_clock::time_point deadline,
                                                     error_code& ec) {
  ec = {};
  auto ex = co_await asio::this_coro::executor;
  // The deadline covers name resolution, the TCP connect and the WebSocket
  // upgrade: on expiry the pending operation is cancelled. The state is
  // shared with the timer's handler, which may run after this frame is gone.
  struct Attempt {
    explicit Attempt(asio::any_io_executor ex) : resolver(ex), stream(ex) {}
    tcp::resolver resolver;
    beast::tcp_stream stream;
    bool expired = false, done = false;
  };
  auto at = std::make_shared<Attempt>(ex);
  asio::steady_timer timer(ex, deadline);
  timer.async_wait([at](error_code e) {
    if (e || at->done) return;
    at->expired = true;
    at->resolver.cancel();
    at->stream.socket().close(e);
  });
  auto finish = [&](std::unique_ptr<Connection> c) {
    at->done = true;
    timer.cancel();
    if (at->expired) {
      ec = asio::error::timed_out;
      c.reset();
    }
    return c;
  };
  auto results = co_await at->resolver.async_resolve(url.host, std::to_string(url.port),
                                                     redirect_error(use_awaitable, ec));
  if (ec || at->expired) co_return finish(nullptr);
  at->stream.expires_at(deadline);
  co_await at->stream.async_connect(results, redirect_error(use_awaitable, ec));
  if (ec == beast::error::timeout) ec = asio::error::timed_out;
  if (ec || at->expired) co_return finish(nullptr);
  if (url.scheme == Url::Scheme::tcp) {
    at->stream.expires_never();
    co_return finish(std::make_unique<TcpConnection>(at->stream.release_socket()));
  }
  websocket::stream<beast::tcp_stream> ws(std::move(at->stream));
  std::string host_header = url.host + ":" + std::to_string(url.port);
  co_await ws.async_handshake(host_header, url.path, redirect_error(use_awaitable, ec));
  if (ec == beast::error::timeout) ec = asio::error::timed_out;
  if (ec || at->expired) co_return finish(nullptr);
  beast::get_lowest_layer(ws).expires_never();
  co_return finish(std::make_unique<WsConnection>(std::move(ws)));
}

Result<std::unique_ptr<Listener>> listen(asio::any_io_executor ex, const Url& url) {
  error_code ec;
  tcp::endpoint ep;
  auto addr = asio::ip::make_address(url.host, ec);
  if (!ec) {
    ep = tcp::endpoint(addr, url.port);
  } else {
    asio::io_context tmp;
    tcp::resolver r(tmp);
    auto res = r.resolve(url.host, std::to_string(url.port), tcp::resolver::passive, ec);
    if (ec || res.empty())
      return conn_error("cannot listen on " + url.to_string() + ": cannot resolve host '" +
                        url.host + "'" + (ec ? ": " + ec.message() : ""));
    ep = res.begin()->endpoint();
  }
  tcp::acceptor acc(ex);
  auto fail = [&](std::string_view what) {
    return conn_error("cannot listen on " + url.to_string() + ": " + std::string(what) + ": " +
                      ec.message());
  };
  acc.open(ep.protocol(), ec);
  if (ec) return fail("open");
  acc.set_option(tcp::acceptor::reuse_address(true), ec);
  if (ec) return fail("SO_REUSEADDR");
  acc.bind(ep, ec);
  if (ec) return fail("bind");
  acc.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return fail("listen");
  return std::unique_ptr<Listener>(std::make_unique<TcpListener>(std::move(acc), url));
}

}  // namespace wkit::net
