#pragma once
// A small blocking HTTP/1.1 client for http:// and https:// API addresses
// (Beast underneath; nothing of it shows here): JSON POSTs over one
// kept-alive connection, a time limit per request, and a stop flag that
// abandons a request at once (SIGINT in a command that pages through an API).
#include <atomic>
#include <chrono>
#include <memory>
#include <string>

#include "wkit/net/tls.hpp"
#include "wkit/net/transport.hpp"
#include "wkit/util/error.hpp"

namespace wkit::net {

struct HttpReply {
  int status = 0;
  std::string body;
};

class HttpClient {
 public:
  // `base` is an http:// or https:// Url; `tls` the client settings for
  // https:// (null = the system's trusted certificates).
  HttpClient(Url base, std::shared_ptr<const ClientTls> tls, std::chrono::milliseconds timeout);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // POSTs `body` (JSON) to `target` and reads the whole answer, whatever its
  // status, within the timeout (connecting included). A kept-alive
  // connection the server closed meanwhile is opened again once. Errors are
  // kind connection, one line without the URL ("cannot connect: Connection
  // refused", "no answer within 10s", "TLS handshake failed: ..."). When
  // `*stop` becomes non-zero the request is abandoned and the error's message
  // is "interrupted".
  Result<HttpReply> post_json(const std::string& target, const std::string& body,
                              const std::atomic<int>* stop = nullptr);

  // Bytes of answer bodies read so far.
  uint64_t bytes_read() const { return bytes_read_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  uint64_t bytes_read_ = 0;
};

}  // namespace wkit::net
