// TCP, WebSocket and WebSocket-over-TLS connections and listeners
// (docs/protocol.md section 6, docs/tls.md).
#include "wkit/net/transport.hpp"

#include <netinet/in.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <vector>

#include "wkit/net/coalescing_stream.hpp"

namespace wkit::net {

namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;
// Beast's WebSocket over a layer that writes a batch of messages at once.
template <class Transport>
using WsStream = websocket::stream<CoalescingStream<Transport>>;
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

// Over a plain TCP stream (ws://) or a TLS stream (wss://).
template <class NextLayer>
class WsConnection final : public Connection {
 public:
  explicit WsConnection(WsStream<NextLayer> ws) : ws_(std::move(ws)) {
    ws_.binary(true);
    ws_.auto_fragment(false);  // one frame = one WS message = one WS frame
    ws_.read_message_max(64u << 20);
    auto& sock = beast::get_lowest_layer(ws_).socket();
    error_code ignored;
    sock.set_option(tcp::no_delay(true), ignored);  // a batch is one write: nothing to wait for
    remote_ = remote_of(sock);
    ws_.next_layer().track_frames();  // the handshake is done
  }
  // The first message (or part of one), then every whole message that has
  // already arrived, as far as `buf` holds them: the reader handles them all
  // at once, as it handles a TCP read.
  asio::awaitable<size_t> read_some(std::span<char> buf, error_code& ec) override {
    ec = std::exchange(deferred_, {});
    if (ec) co_return 0;
    size_t n = 0;
    while (n == 0) {  // an empty message carries no bytes: keep reading
      n = co_await ws_.async_read_some(asio::buffer(buf.data(), buf.size()), redirect_error(use_awaitable, ec));
      if (ec == websocket::error::closed) ec = asio::error::eof;
      if (ec) co_return 0;
    }
    while (ws_.is_message_done() && ws_.next_layer().next_message_ready(buf.size() - n)) {
      error_code more;
      n += co_await ws_.async_read_some(asio::buffer(buf.data() + n, buf.size() - n), redirect_error(use_awaitable, more));
      if (more) {  // for the next call: these bytes first
        deferred_ = more == websocket::error::closed ? error_code(asio::error::eof) : more;
        break;
      }
    }
    co_return n;
  }
  asio::awaitable<void> write_frames(std::span<const std::string_view> frames,
                                     error_code& ec) override {
    co_await write_batch(ws_, frames, ec);  // one socket write per batch (coalescing_stream.hpp)
  }
  void close() override {
    error_code ignored;
    auto& s = beast::get_lowest_layer(ws_).socket();
    s.shutdown(tcp::socket::shutdown_both, ignored);
    s.close(ignored);
  }
  asio::awaitable<void> graceful_close(error_code& ec) override {
    ec = {};
    ws_.next_layer().write_through();  // the close frame must not wait in a batch's buffer
    co_await ws_.async_close(websocket::close_code::normal, redirect_error(use_awaitable, ec));
  }
  asio::any_io_executor get_executor() override { return ws_.get_executor(); }
  std::string remote_address() const override { return remote_; }
  Url::Scheme scheme() const override {
    return std::is_same_v<NextLayer, TlsStream> ? Url::Scheme::wss : Url::Scheme::ws;
  }
  void use_text_messages() override { ws_.text(true); }

 private:
  WsStream<NextLayer> ws_;
  std::string remote_;
  error_code deferred_;  // a read error met after some messages were already returned
};

class AcceptedSocket final : public Accepted {
 public:
  AcceptedSocket(tcp::socket s, Url::Scheme scheme, std::shared_ptr<const ServerTls> tls)
      : sock_(std::move(s)), scheme_(scheme), tls_(std::move(tls)), remote_(remote_of(sock_)) {}
  asio::awaitable<std::unique_ptr<Connection>> establish(std::chrono::milliseconds limit, error_code& ec) override {
    ec = {};
    if (scheme_ == Url::Scheme::tcp) co_return std::make_unique<TcpConnection>(std::move(sock_));
    if (scheme_ == Url::Scheme::http || scheme_ == Url::Scheme::https) {
      ec = asio::error::invalid_argument;  // an HTTP listener: serve_http()
      co_return nullptr;
    }
    beast::tcp_stream stream(std::move(sock_));
    if (limit.count() > 0) stream.expires_after(limit);
    if (scheme_ == Url::Scheme::ws) co_return co_await upgrade(WsStream<beast::tcp_stream>(std::move(stream)), ec);
    if (!co_await starts_with_tls(stream, limit, ec)) co_return nullptr;
    WsStream<TlsStream> ws(std::move(stream), tls_->context());
    co_await ws.next_layer().next_layer().async_handshake(ssl::stream_base::server, redirect_error(use_awaitable, ec));
    if (ec == beast::error::timeout) ec = asio::error::timed_out;
    if (ec) co_return nullptr;  // `ws` and its socket close here
    co_return co_await upgrade(std::move(ws), ec);
  }
  asio::awaitable<void> serve_http(const HttpHandler& handler, const HttpLimits& limits) override {
    beast::tcp_stream stream(std::move(sock_));
    if (scheme_ == Url::Scheme::http) {
      co_await http_exchanges(stream, stream, handler, limits);
      closer_ = nullptr;
      co_return;
    }
    error_code ec;
    stream.expires_after(limits.timeout);
    if (!co_await starts_with_tls(stream, limits.timeout, ec)) co_return;
    TlsStream tls(std::move(stream), tls_->context());
    closer_ = &beast::get_lowest_layer(tls).socket();
    co_await tls.async_handshake(ssl::stream_base::server, redirect_error(use_awaitable, ec));
    if (!ec) co_await http_exchanges(tls, beast::get_lowest_layer(tls), handler, limits);
    closer_ = nullptr;
  }
  void close() override {
    error_code ignored;
    tcp::socket& s = closer_ ? *closer_ : sock_;
    s.shutdown(tcp::socket::shutdown_both, ignored);
    s.close(ignored);
  }
  std::string remote_address() const override { return remote_; }
  Url::Scheme scheme() const override { return scheme_; }

 private:
  // Request, answer, and again while the peer keeps the connection alive.
  template <class Stream>
  asio::awaitable<void> http_exchanges(Stream& stream, beast::tcp_stream& lowest, const HttpHandler& handler,
                                       const HttpLimits& limits) {
    namespace http = beast::http;
    closer_ = &lowest.socket();
    beast::flat_buffer buf;
    for (;;) {
      http::request_parser<http::string_body> parser;
      parser.body_limit(limits.max_body);
      parser.header_limit(16 * 1024);
      lowest.expires_after(limits.timeout);
      error_code ec;
      co_await http::async_read(stream, buf, parser, redirect_error(use_awaitable, ec));
      HttpResponse r;
      bool keep_alive = false;
      if (ec == http::error::body_limit) {
        r = {413, "{\"msg\":\"request body over " + std::to_string(limits.max_body) + " bytes\",\"status\":413}"};
      } else if (ec) {
        if (ec == http::error::end_of_stream || ec == asio::error::eof || ec == beast::error::timeout ||
            buf.size() == 0)
          co_return;  // closed or quiet between requests
        r = {400, "{\"msg\":\"malformed HTTP request: " + ec.message() + "\",\"status\":400}"};
      } else {
        auto& m = parser.get();
        HttpRequest req{std::string(m.method_string()), std::string(m.target()), std::move(m.body()), remote_};
        keep_alive = m.keep_alive();
        r = co_await handler(req);
      }
      http::response<http::string_body> res{static_cast<http::status>(r.status), 11};
      res.set(http::field::server, "wkit");
      res.set(http::field::content_type, r.content_type);
      res.keep_alive(keep_alive);
      res.body() = std::move(r.body);
      res.prepare_payload();
      lowest.expires_after(limits.timeout);
      co_await http::async_write(stream, res, redirect_error(use_awaitable, ec));
      if (ec || !keep_alive) co_return;
    }
  }

  // A plain client on a TLS port gets a TLS alert record (fatal,
  // protocol_version) instead of silence, so that it can say what is wrong.
  static asio::awaitable<bool> starts_with_tls(beast::tcp_stream& stream, std::chrono::milliseconds limit,
                                               error_code& ec) {
    // A peek is not one of tcp_stream's timed operations: a timer of its own.
    asio::steady_timer timer(stream.get_executor());
    bool expired = false;
    if (limit.count() > 0) {
      timer.expires_after(limit);
      timer.async_wait([&stream, &expired](error_code e) {
        if (e) return;
        expired = true;
        stream.socket().cancel(e);
      });
    }
    unsigned char first = 0;
    co_await stream.socket().async_receive(asio::buffer(&first, 1), tcp::socket::message_peek,
                                           redirect_error(use_awaitable, ec));
    timer.cancel();
    if (expired) ec = asio::error::timed_out;
    if (ec) co_return false;
    if (first == 0x16) co_return true;  // a TLS handshake record
    static constexpr unsigned char kAlert[] = {0x15, 0x03, 0x01, 0x00, 0x02, 0x02, 0x46};
    error_code ignored;
    co_await asio::async_write(stream, asio::buffer(kAlert), redirect_error(use_awaitable, ignored));
    ec = asio::error::no_protocol_option;
    co_return false;
  }

  template <class NextLayer>
  static asio::awaitable<std::unique_ptr<Connection>> upgrade(WsStream<NextLayer> ws, error_code& ec) {
    co_await ws.async_accept(redirect_error(use_awaitable, ec));
    if (ec == beast::error::timeout) ec = asio::error::timed_out;
    if (ec) co_return nullptr;
    beast::get_lowest_layer(ws).expires_never();
    co_return std::make_unique<WsConnection<NextLayer>>(std::move(ws));
  }

  tcp::socket sock_;
  tcp::socket* closer_ = nullptr;  // the socket once serve_http() moved it into a stream
  Url::Scheme scheme_;
  std::shared_ptr<const ServerTls> tls_;
  std::string remote_;
};

class TcpListener final : public Listener {
 public:
  TcpListener(tcp::acceptor a, Url url, std::shared_ptr<const ServerTls> tls)
      : acc_(std::move(a)), url_(std::move(url)), tls_(std::move(tls)) {}
  asio::awaitable<std::unique_ptr<Accepted>> accept_raw(error_code& ec) override {
    ec = {};
    tcp::socket s = co_await acc_.async_accept(redirect_error(use_awaitable, ec));
    if (ec) co_return nullptr;
    co_return std::make_unique<AcceptedSocket>(std::move(s), url_.scheme, tls_);
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
  std::shared_ptr<const ServerTls> tls_;
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

namespace {

// A WebSocket upgrade answered with bytes that are not HTTP: most often a
// TLS listener answering a plain ws:// client with an alert.
bool not_http_answer(const error_code& ec) {
  return ec.category() == beast::http::make_error_code(beast::http::error::bad_version).category() ||
         ec == beast::http::error::end_of_stream || ec == asio::error::eof ||
         ec == asio::error::connection_reset;
}

}  // namespace

asio::awaitable<std::unique_ptr<Connection>> connect(const Url& url, std::chrono::steady_clock::time_point deadline,
                                                     const ClientTls* tls, error_code& ec, std::string& failure) {
  ec = {};
  failure.clear();
  if (url.http()) {
    ec = asio::error::invalid_argument;
    failure = "an HTTP API address: WKProto clients connect to tcp://, ws:// or wss://";
    co_return nullptr;
  }
  auto ex = co_await asio::this_coro::executor;
  // The deadline covers name resolution, the TCP connect, the TLS handshake
  // and the WebSocket upgrade: on expiry the pending operation is cancelled.
  // The state is shared with the timer's handler, which may run after this
  // frame is gone.
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
  auto finish = [&](std::unique_ptr<Connection> c, std::string why = {}) {
    at->done = true;
    timer.cancel();
    if (at->expired || ec == beast::error::timeout) {
      ec = asio::error::timed_out;
      c.reset();
    } else if (!c) {
      failure = std::move(why);
      if (failure.empty()) failure = ec.message();
    }
    return c;
  };
  auto results = co_await at->resolver.async_resolve(url.host, std::to_string(url.port),
                                                     redirect_error(use_awaitable, ec));
  if (ec || at->expired) co_return finish(nullptr, ec ? "cannot resolve '" + url.host + "': " + ec.message() : "");
  at->stream.expires_at(deadline);
  co_await at->stream.async_connect(results, redirect_error(use_awaitable, ec));
  if (ec || at->expired) co_return finish(nullptr, ec ? "cannot connect: " + ec.message() : "");
  if (url.scheme == Url::Scheme::tcp) {
    at->stream.expires_never();
    co_return finish(std::make_unique<TcpConnection>(at->stream.release_socket()));
  }
  const std::string host_header = url.host + ":" + std::to_string(url.port);
  auto upgrade_failed = [&](std::string_view hint) {
    std::string why = "WebSocket upgrade failed: " + ec.message();
    if (not_http_answer(ec)) why += hint;
    return why;
  };
  if (url.scheme == Url::Scheme::ws) {
    WsStream<beast::tcp_stream> ws(std::move(at->stream));
    co_await ws.async_handshake(host_header, url.path, redirect_error(use_awaitable, ec));
    if (ec || at->expired) co_return finish(nullptr, upgrade_failed(" (a TLS port? use wss://)"));
    beast::get_lowest_layer(ws).expires_never();
    co_return finish(std::make_unique<WsConnection<beast::tcp_stream>>(std::move(ws)));
  }
  std::shared_ptr<const ClientTls> system_default;
  if (!tls) {
    auto made = ClientTls::create({});
    if (!made) co_return finish(nullptr, made.error().message);
    system_default = *made;
    tls = system_default.get();
  }
  WsStream<TlsStream> ws(std::move(at->stream), tls->context());
  auto& tls_stream = ws.next_layer().next_layer();
  if (!set_peer_name(tls_stream.native_handle(), *tls, url.host))
    co_return finish(nullptr, "cannot set the TLS server name '" + url.host + "'");
  co_await tls_stream.async_handshake(ssl::stream_base::client, redirect_error(use_awaitable, ec));
  if (ec || at->expired) {
    std::string why;
    if (ec && ec != beast::error::timeout) {
      why = tls_failure_text(ec.message(), SSL_get_verify_result(tls_stream.native_handle()));
      if (auto p = why.find(" (SSL routines)"); p != std::string::npos) why.erase(p, 15);
      if (ec == ssl::error::stream_truncated || ec == asio::error::eof || ec == asio::error::connection_reset ||
          why.find("wrong version number") != std::string::npos || why.find("packet length too long") != std::string::npos)
        why += " (not a TLS port? use ws:// or tcp://)";
    }
    co_return finish(nullptr, why);
  }
  co_await ws.async_handshake(host_header, url.path, redirect_error(use_awaitable, ec));
  if (ec || at->expired) co_return finish(nullptr, upgrade_failed(""));
  beast::get_lowest_layer(ws).expires_never();
  co_return finish(std::make_unique<WsConnection<TlsStream>>(std::move(ws)));
}

Result<std::unique_ptr<Listener>> listen(asio::any_io_executor ex, const Url& url,
                                         std::shared_ptr<const ServerTls> tls) {
  if (url.tls() && !tls)
    return Error{ErrorKind::usage, "cannot listen on " + url.to_string() + ": a TLS listener needs --tls-cert and --tls-key",
                 std::nullopt};
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
  return std::unique_ptr<Listener>(std::make_unique<TcpListener>(std::move(acc), url, url.tls() ? std::move(tls) : nullptr));
}

}  // namespace wkit::net
