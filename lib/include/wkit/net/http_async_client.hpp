#pragma once
// An asynchronous HTTP/1.1 client for http:// and https:// API addresses,
// on the caller's executor (one io_context thread): a pool of at most
// `max_connections` kept-alive connections, one request at a time on each
// (no pipelining); requests that find every connection busy wait in order.
// Used by `wkit send --via http` so that the send engine never blocks.
//
// Nothing is ever retried here: a request either was not written (the
// server cannot have acted on it: `written` false) or was, and then its
// answer came or not. Whether to send again is the caller's decision (a
// hidden transport retry would be a resend the caller never counted).
#include <utility>  // before asio: Boost 1.74 awaitable.hpp uses std::exchange unincluded
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "wkit/net/tls.hpp"
#include "wkit/net/transport.hpp"

namespace wkit::net {

struct HttpAsyncOptions {
  size_t max_connections = 1;
  // Name resolution, TCP connect and TLS handshake of a new connection.
  std::chrono::milliseconds connect_timeout{10000};
  // Writing a request and reading its whole answer; past it the connection
  // is closed (the answer is lost) and the next request opens a new one.
  std::chrono::nanoseconds answer_timeout = std::chrono::seconds(5);
  size_t max_answer_body = 1u << 20;
};

struct HttpOutcome {
  bool written = false;   // the whole request went out: the server may have acted on it
  bool answered = false;  // a whole answer came back (any status)
  int status = 0;
  std::string body;
  // When not answered, one line without the URL ("cannot connect:
  // Connection refused", "no answer within 5s", "reading the answer: end of
  // stream (not an HTTP API address?)").
  std::string error;
};

class HttpAsyncClient {
 public:
  using Done = std::function<void(HttpOutcome&)>;

  // `base` is an http:// or https:// Url; `tls` the client settings for
  // https:// (null: the system's trusted certificates).
  HttpAsyncClient(asio::any_io_executor ex, Url base, std::shared_ptr<const ClientTls> tls, HttpAsyncOptions options);
  ~HttpAsyncClient();  // close()
  HttpAsyncClient(const HttpAsyncClient&) = delete;
  HttpAsyncClient& operator=(const HttpAsyncClient&) = delete;

  // Queues a request (`body` JSON for POST). `done` runs once on the
  // executor, never inside this call, unless close() came first: after
  // close() no `done` runs.
  void request(std::string_view method, std::string_view target, std::string body, Done done);
  void post(std::string_view target, std::string body, Done done) {
    request("POST", target, std::move(body), std::move(done));
  }
  // One request awaited, e.g. a GET that proves the address answers HTTP.
  asio::awaitable<HttpOutcome> fetch(std::string_view method, std::string_view target, std::string body = {});

  // Ends everything at once: queued requests are dropped, open connections closed.
  void close();

  size_t queued() const;
  size_t connections() const;  // open or opening
  const Url& base() const;

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace wkit::net
