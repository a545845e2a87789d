#pragma once
// A small blocking HTTP/1.1 client for e2e tests (Beast): one request per
// connection, a 10 s limit, no curl needed.
#include <utility>  // before asio: Boost 1.74 awaitable.hpp uses std::exchange unincluded
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <chrono>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

namespace wkit::testing {

struct HttpResult {
  int status = 0;
  std::string body, content_type;
  nlohmann::json json() const { return nlohmann::json::parse(body); }
};

// `base` is "http://127.0.0.1:PORT" as `wkit serve` prints it.
inline HttpResult http_call(const std::string& base, const std::string& method, const std::string& target,
                            const std::string& body = "") {
  namespace beast = boost::beast;
  namespace http = beast::http;
  using tcp = boost::asio::ip::tcp;
  const std::string hostport = base.substr(base.find("://") + 3);
  const std::string host = hostport.substr(0, hostport.rfind(':')), port = hostport.substr(hostport.rfind(':') + 1);
  boost::asio::io_context io;
  tcp::resolver resolver(io);
  beast::tcp_stream stream(io);
  stream.expires_after(std::chrono::seconds(10));
  stream.connect(resolver.resolve(host, port));
  http::request<http::string_body> req{http::string_to_verb(method), target, 11};
  req.set(http::field::host, hostport);
  req.set(http::field::content_type, "application/json");
  req.body() = body;
  req.prepare_payload();
  http::write(stream, req);
  beast::flat_buffer buf;
  http::response<http::string_body> res;
  http::read(stream, buf, res);
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  return {static_cast<int>(res.result_int()), res.body(), std::string(res[http::field::content_type])};
}

inline HttpResult http_post(const std::string& base, const std::string& target, const std::string& body) {
  return http_call(base, "POST", target, body);
}
inline HttpResult http_get(const std::string& base, const std::string& target) { return http_call(base, "GET", target); }

// GET over https://, trusting `ca_file`; throws on a TLS failure.
inline HttpResult https_get(const std::string& base, const std::string& target, const std::string& ca_file) {
  namespace beast = boost::beast;
  namespace http = beast::http;
  namespace ssl = boost::asio::ssl;
  using tcp = boost::asio::ip::tcp;
  const std::string hostport = base.substr(base.find("://") + 3);
  const std::string host = hostport.substr(0, hostport.rfind(':')), port = hostport.substr(hostport.rfind(':') + 1);
  boost::asio::io_context io;
  ssl::context ctx(ssl::context::tls_client);
  ctx.load_verify_file(ca_file);
  ctx.set_verify_mode(ssl::verify_peer);
  beast::ssl_stream<beast::tcp_stream> stream(io, ctx);
  tcp::resolver resolver(io);
  beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(10));
  beast::get_lowest_layer(stream).connect(resolver.resolve(host, port));
  stream.handshake(ssl::stream_base::client);
  http::request<http::string_body> req{http::verb::get, target, 11};
  req.set(http::field::host, hostport);
  http::write(stream, req);
  beast::flat_buffer buf;
  http::response<http::string_body> res;
  http::read(stream, buf, res);
  return {static_cast<int>(res.result_int()), res.body(), std::string(res[http::field::content_type])};
}

}  // namespace wkit::testing
