#include "wkit/net/http_async_client.hpp"

#include <openssl/ssl.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <deque>
#include <optional>
#include <vector>

#include "wkit/util/units.hpp"

namespace wkit::net {

namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using asio::redirect_error;
using asio::use_awaitable;

struct Job {
  http::verb verb = http::verb::post;
  std::string target, body;
  HttpAsyncClient::Done done;
};

// One kept-alive connection and its reusable request.
struct Conn {
  std::optional<beast::tcp_stream> plain;
  std::optional<beast::ssl_stream<beast::tcp_stream>> secure;
  beast::flat_buffer buf;
  http::request<http::string_body> req;
  bool open = false;
  std::chrono::steady_clock::time_point last_answer;

  beast::tcp_stream& lowest() { return secure ? beast::get_lowest_layer(*secure) : *plain; }
  // Ends pending operations (they complete with operation_aborted); the
  // streams stay until they have.
  void shut() {
    error_code ignored;
    if (secure) beast::get_lowest_layer(*secure).socket().close(ignored);
    if (plain) plain->socket().close(ignored);
  }
  void reset() {
    shut();
    secure.reset();
    plain.reset();
    buf.clear();
    open = false;
  }
  // An idle connection the server closed (or wrote to unasked) is not reused:
  // a request written into it would be lost after it was "sent".
  bool still_usable() {
    if (!open) return false;
    auto& sock = lowest().socket();
    error_code ec;
    sock.non_blocking(true, ec);
    char c;
    const size_t n = sock.receive(asio::buffer(&c, 1), tcp::socket::message_peek, ec);
    error_code ignored;
    sock.non_blocking(false, ignored);
    if (ec == asio::error::would_block) return true;
    if (n == 0 || !secure) return false;  // closed, or an answer nobody asked for
    // TLS: bytes may be a session ticket (TLS 1.3 sends them after the
    // handshake) or the peer's close_notify; only a recent use says which.
    return std::chrono::steady_clock::now() - last_answer < std::chrono::seconds(5);
  }
};

}  // namespace

struct HttpAsyncClient::State : std::enable_shared_from_this<State> {
  asio::any_io_executor ex;
  Url base;
  std::shared_ptr<const ClientTls> tls;
  HttpAsyncOptions opts;
  std::string host_header;
  std::deque<Job> queue;
  std::vector<std::shared_ptr<Conn>> idle, all;
  bool closed = false;

  void dispatch() {
    if (closed || queue.empty()) return;
    std::shared_ptr<Conn> c;
    if (!idle.empty()) {
      c = std::move(idle.back());
      idle.pop_back();
    } else if (all.size() < std::max<size_t>(1, opts.max_connections)) {
      c = std::make_shared<Conn>();
      c->req.version(11);
      c->req.set(http::field::host, host_header);
      c->req.set(http::field::user_agent, "wkit");
      c->req.keep_alive(true);
      all.push_back(c);
    } else {
      return;  // a busy connection takes it when it is done
    }
    asio::co_spawn(ex, work(shared_from_this(), std::move(c)), asio::detached);
  }

  void forget(const std::shared_ptr<Conn>& c) {
    auto it = std::find(all.begin(), all.end(), c);
    if (it != all.end()) all.erase(it);
  }

  static asio::awaitable<void> work(std::shared_ptr<State> s, std::shared_ptr<Conn> c) {
    while (!s->closed && !s->queue.empty()) {
      Job job = std::move(s->queue.front());
      s->queue.pop_front();
      HttpOutcome out;
      co_await s->exchange(*c, job, out);
      if (s->closed) co_return;
      job.done(out);
    }
    if (s->closed) co_return;
    if (c->open) s->idle.push_back(std::move(c));
    else s->forget(c);
    s->dispatch();  // a request queued meanwhile that found no free place
  }

  asio::awaitable<void> connect(Conn& c, HttpOutcome& out) {
    error_code ec;
    tcp::resolver resolver(ex);
    auto results = co_await resolver.async_resolve(base.host, std::to_string(base.port), redirect_error(use_awaitable, ec));
    if (ec) {
      out.error = "cannot resolve '" + base.host + "': " + ec.message();
      co_return;
    }
    beast::tcp_stream stream(ex);
    stream.expires_after(opts.connect_timeout);
    co_await stream.async_connect(results, redirect_error(use_awaitable, ec));
    if (ec) {
      out.error = ec == beast::error::timeout
                      ? "cannot connect within " + util::format_duration(opts.connect_timeout)
                      : "cannot connect: " + ec.message();
      co_return;
    }
    if (!base.tls()) {
      stream.expires_never();
      c.plain.emplace(std::move(stream));
      c.open = true;
      c.last_answer = std::chrono::steady_clock::now();
      co_return;
    }
    if (!tls) {
      auto made = ClientTls::create({});
      if (!made) {
        out.error = made.error().message;
        co_return;
      }
      tls = *made;
    }
    c.secure.emplace(std::move(stream), tls->context());
    if (!set_peer_name(c.secure->native_handle(), *tls, base.host)) {
      out.error = "cannot set the TLS server name '" + base.host + "'";
      c.reset();
      co_return;
    }
    co_await c.secure->async_handshake(ssl::stream_base::client, redirect_error(use_awaitable, ec));
    if (ec) {
      out.error = ec == beast::error::timeout
                      ? "no TLS handshake within " + util::format_duration(opts.connect_timeout)
                      : tls_failure_text(ec.message(), SSL_get_verify_result(c.secure->native_handle()));
      if (auto p = out.error.find(" (SSL routines)"); p != std::string::npos) out.error.erase(p, 15);
      if (ec == ssl::error::stream_truncated || ec == asio::error::eof || ec == asio::error::connection_reset ||
          out.error.find("wrong version number") != std::string::npos ||
          out.error.find("packet length too long") != std::string::npos)
        out.error += " (not a TLS port? use http://)";
      c.reset();
      co_return;
    }
    beast::get_lowest_layer(*c.secure).expires_never();
    c.open = true;
    c.last_answer = std::chrono::steady_clock::now();
  }

  template <class Stream>
  asio::awaitable<void> write_and_read(Stream& stream, Conn& c, HttpOutcome& out) {
    error_code ec;
    c.lowest().expires_after(opts.answer_timeout);
    co_await http::async_write(stream, c.req, redirect_error(use_awaitable, ec));
    if (ec) {
      out.error = ec == beast::error::timeout ? "request not written within " + util::format_duration(opts.answer_timeout)
                                              : "sending the request: " + ec.message();
      co_return;
    }
    out.written = true;
    http::response_parser<http::string_body> parser;
    parser.body_limit(opts.max_answer_body);
    co_await http::async_read(stream, c.buf, parser, redirect_error(use_awaitable, ec));
    if (ec) {
      if (ec == beast::error::timeout) out.error = "no answer within " + util::format_duration(opts.answer_timeout);
      else if (ec == http::error::body_limit) out.error = "the answer is larger than the limit";
      else {
        out.error = "reading the answer: " + ec.message();
        if (ec == http::error::end_of_stream || ec.category() == http::make_error_code(http::error::bad_version).category())
          out.error += " (not an HTTP API address?)";
      }
      co_return;
    }
    c.lowest().expires_never();
    auto res = parser.release();
    out.answered = true;
    c.last_answer = std::chrono::steady_clock::now();
    out.status = static_cast<int>(res.result_int());
    out.body = std::move(res.body());
    if (!res.keep_alive()) c.reset();
  }

  asio::awaitable<void> exchange(Conn& c, Job& job, HttpOutcome& out) {
    if (c.open && !c.still_usable()) c.reset();
    if (!c.open) {
      co_await connect(c, out);
      if (!c.open) co_return;
    }
    c.req.method(job.verb);
    c.req.target(job.target);
    if (job.verb == http::verb::post) c.req.set(http::field::content_type, "application/json");
    else c.req.erase(http::field::content_type);
    c.req.body() = std::move(job.body);
    c.req.prepare_payload();
    if (c.secure) co_await write_and_read(*c.secure, c, out);
    else co_await write_and_read(*c.plain, c, out);
    if (!out.answered) c.reset();
  }
};

HttpAsyncClient::HttpAsyncClient(asio::any_io_executor ex, Url base, std::shared_ptr<const ClientTls> tls,
                                 HttpAsyncOptions options)
    : state_(std::make_shared<State>()) {
  state_->ex = std::move(ex);
  state_->host_header = base.host + ":" + std::to_string(base.port);
  state_->base = std::move(base);
  state_->tls = std::move(tls);
  state_->opts = options;
}

HttpAsyncClient::~HttpAsyncClient() { close(); }

void HttpAsyncClient::request(std::string_view method, std::string_view target, std::string body, Done done) {
  if (state_->closed) return;
  Job job;
  job.verb = http::string_to_verb(beast::string_view(method.data(), method.size()));
  job.target = target;
  job.body = std::move(body);
  job.done = std::move(done);
  state_->queue.push_back(std::move(job));
  state_->dispatch();
}

asio::awaitable<HttpOutcome> HttpAsyncClient::fetch(std::string_view method, std::string_view target, std::string body) {
  struct Wait {
    explicit Wait(asio::any_io_executor ex) : timer(ex, asio::steady_timer::time_point::max()) {}
    asio::steady_timer timer;
    std::optional<HttpOutcome> out;
  };
  auto w = std::make_shared<Wait>(state_->ex);
  request(method, target, std::move(body), [w](HttpOutcome& o) {
    w->out = std::move(o);
    w->timer.cancel();
  });
  error_code ec;
  if (!w->out) co_await w->timer.async_wait(redirect_error(use_awaitable, ec));
  if (!w->out) {
    HttpOutcome closed;
    closed.error = "closed";
    co_return closed;
  }
  co_return std::move(*w->out);
}

void HttpAsyncClient::close() {
  auto& s = *state_;
  if (s.closed) return;
  s.closed = true;
  s.queue.clear();
  for (auto& c : s.all) c->shut();
  s.all.clear();
  s.idle.clear();
}

size_t HttpAsyncClient::queued() const { return state_->queue.size(); }
size_t HttpAsyncClient::connections() const { return state_->all.size(); }
const Url& HttpAsyncClient::base() const { return state_->base; }

}  // namespace wkit::net
