#include "wkit/net/http_client.hpp"

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <optional>

namespace wkit::net {

namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using asio::redirect_error;
using asio::use_awaitable;

// Answer bodies can be large (a messagesync page of 10,000 messages).
constexpr uint64_t kMaxBody = 256ull << 20;

// A kept-alive connection the server closed while it was idle.
bool closed_while_idle(const error_code& ec) {
  return ec == http::error::end_of_stream || ec == asio::error::eof || ec == asio::error::connection_reset ||
         ec == asio::error::broken_pipe || ec == ssl::error::stream_truncated;
}

}  // namespace

struct HttpClient::Impl {
  Impl(Url b, std::shared_ptr<const ClientTls> t, std::chrono::milliseconds limit)
      : base(std::move(b)), tls(std::move(t)), timeout(limit), resolver(io) {
    host_header = base.host + ":" + std::to_string(base.port);
  }

  // One request's state, shared between the coroutine and the polling loop.
  struct Exchange {
    error_code ec;
    std::string why;          // what failed, when ec is set
    bool sent = false;        // the request was written (a failure after it is not an idle close)
    bool done = false;
    HttpReply reply;
  };

  Url base;
  std::shared_ptr<const ClientTls> tls;
  std::chrono::milliseconds timeout;
  std::string host_header;
  asio::io_context io;
  tcp::resolver resolver;
  std::optional<beast::tcp_stream> plain;
  std::optional<beast::ssl_stream<beast::tcp_stream>> secure;
  beast::flat_buffer buf;
  bool open = false;

  // Ends pending operations (they complete with operation_aborted).
  void abort() {
    resolver.cancel();
    error_code ignored;
    if (secure) beast::get_lowest_layer(*secure).socket().close(ignored);
    if (plain) plain->socket().close(ignored);
  }
  void reset() {
    abort();
    secure.reset();
    plain.reset();
    buf.clear();
    open = false;
  }

  asio::awaitable<void> connect(Exchange& x) {
    auto results = co_await resolver.async_resolve(base.host, std::to_string(base.port),
                                                   redirect_error(use_awaitable, x.ec));
    if (x.ec) {
      x.why = "cannot resolve '" + base.host + "': " + x.ec.message();
      co_return;
    }
    beast::tcp_stream stream(io);
    co_await stream.async_connect(results, redirect_error(use_awaitable, x.ec));
    if (x.ec) {
      x.why = "cannot connect: " + x.ec.message();
      co_return;
    }
    if (!base.tls()) {
      plain.emplace(std::move(stream));
      open = true;
      co_return;
    }
    std::shared_ptr<const ClientTls> system_default;
    const ClientTls* t = tls.get();
    if (!t) {
      auto made = ClientTls::create({});
      if (!made) {
        x.ec = asio::error::invalid_argument;
        x.why = made.error().message;
        co_return;
      }
      system_default = *made;
      t = system_default.get();
    }
    secure.emplace(std::move(stream), t->context());
    if (!set_peer_name(secure->native_handle(), *t, base.host)) {
      x.ec = asio::error::invalid_argument;
      x.why = "cannot set the TLS server name '" + base.host + "'";
      co_return;
    }
    co_await secure->async_handshake(ssl::stream_base::client, redirect_error(use_awaitable, x.ec));
    if (x.ec) {
      x.why = tls_failure_text(x.ec.message(), SSL_get_verify_result(secure->native_handle()));
      if (auto p = x.why.find(" (SSL routines)"); p != std::string::npos) x.why.erase(p, 15);
      if (x.ec == ssl::error::stream_truncated || x.ec == asio::error::eof || x.ec == asio::error::connection_reset ||
          x.why.find("wrong version number") != std::string::npos ||
          x.why.find("packet length too long") != std::string::npos)
        x.why += " (not a TLS port? use http://)";
      co_return;
    }
    open = true;
  }

  template <class Stream>
  asio::awaitable<void> exchange(Stream& s, const http::request<http::string_body>& req, Exchange& x) {
    co_await http::async_write(s, req, redirect_error(use_awaitable, x.ec));
    if (x.ec) {
      x.why = "sending the request: " + x.ec.message();
      co_return;
    }
    x.sent = true;
    http::response_parser<http::string_body> parser;
    parser.body_limit(kMaxBody);
    co_await http::async_read(s, buf, parser, redirect_error(use_awaitable, x.ec));
    if (x.ec) {
      x.why = "reading the answer: " + x.ec.message();
      if (x.ec == http::error::body_limit) x.why = "the answer is larger than 256 MiB";
      else if (x.ec == http::error::end_of_stream || x.ec.category() == http::make_error_code(http::error::bad_version).category())
        x.why += " (not an HTTP API address?)";
      co_return;
    }
    auto res = parser.release();
    x.reply.status = static_cast<int>(res.result_int());
    x.reply.body = std::move(res.body());
    if (!res.keep_alive()) open = false;
  }

  asio::awaitable<void> run(const std::string& target, const std::string& body, Exchange& x) {
    if (!open) {
      reset();
      co_await connect(x);
    }
    if (!x.ec) {
      http::request<http::string_body> req{http::verb::post, target, 11};
      req.set(http::field::host, host_header);
      req.set(http::field::user_agent, "wkit");
      req.set(http::field::content_type, "application/json");
      req.keep_alive(true);
      req.body() = body;
      req.prepare_payload();
      if (secure) co_await exchange(*secure, req, x);
      else co_await exchange(*plain, req, x);
    }
    x.done = true;
  }
};

HttpClient::HttpClient(Url base, std::shared_ptr<const ClientTls> tls, std::chrono::milliseconds timeout)
    : impl_(std::make_unique<Impl>(std::move(base), std::move(tls), timeout)) {}

HttpClient::~HttpClient() = default;

Result<HttpReply> HttpClient::post_json(const std::string& target, const std::string& body,
                                        const std::atomic<int>* stop) {
  auto& s = *impl_;
  for (int attempt = 0;; ++attempt) {
    const bool reused = s.open;
    Impl::Exchange x;
    bool stopped = false, timed_out = false;
    const auto deadline = std::chrono::steady_clock::now() + s.timeout;
    s.io.restart();
    asio::co_spawn(s.io, s.run(target, body, x), asio::detached);
    // Poll so that a stop or the deadline ends a request waiting on the network.
    while (!x.done) {
      s.io.run_for(std::chrono::milliseconds(50));
      if (x.done) break;
      if (!stopped && stop && stop->load(std::memory_order_relaxed) != 0) {
        stopped = true;
        s.abort();
      } else if (!timed_out && std::chrono::steady_clock::now() >= deadline) {
        timed_out = true;
        s.abort();
      }
    }
    if (stopped) {
      s.reset();
      return Error{ErrorKind::connection, "interrupted", std::nullopt};
    }
    if (timed_out) {
      s.reset();
      const auto ms = s.timeout.count();
      return Error{ErrorKind::connection,
                   "no answer within " + (ms % 1000 ? std::to_string(ms) + "ms" : std::to_string(ms / 1000) + "s"),
                   std::nullopt};
    }
    if (x.ec) {
      const bool retry = reused && attempt == 0 && closed_while_idle(x.ec);
      s.reset();
      if (retry) continue;
      return Error{ErrorKind::connection, x.why, std::nullopt};
    }
    bytes_read_ += x.reply.body.size();
    if (!s.open) s.reset();
    return std::move(x.reply);
  }
}

}  // namespace wkit::net
