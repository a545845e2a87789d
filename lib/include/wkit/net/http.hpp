#pragma once
// HTTP/1.1 exchanges on an http:// or https:// listener (Beast underneath;
// nothing of it shows here): the app layer answers plain requests.
#include <utility>  // before asio: Boost 1.74 awaitable.hpp uses std::exchange unincluded
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <functional>
#include <string>

namespace wkit::net {

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string target;  // path and query, as sent ("/channel/max_message_seq?channel_id=g1")
  std::string body;
  std::string remote;  // "127.0.0.1:54321"
  std::string path() const { return target.substr(0, target.find('?')); }
  // The decoded value of query parameter `name` ("" when absent).
  std::string query(const std::string& name) const;
};

struct HttpResponse {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
};

using HttpHandler = std::function<boost::asio::awaitable<HttpResponse>(const HttpRequest&)>;

struct HttpLimits {
  size_t max_body = 1u << 20;                 // larger: 413, connection closed
  // To read one whole request, waiting for it included (keep-alive), and to
  // write one answer: a silent or trickling peer is closed when it passes.
  std::chrono::milliseconds timeout{30000};
};

}  // namespace wkit::net
