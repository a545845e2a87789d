#pragma once
// WuKongIM's HTTP API as `wkit serve --listen http://...` answers it
// (docs/serve.md "HTTP API"): tokens, sending from a backend, channel heads,
// routes, health and Prometheus metrics. 3.x shapes by default, 2.x with
// --api-compat 2.
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "wkit/app/server_hub.hpp"
#include "wkit/net/http.hpp"
#include "wkit/net/transport.hpp"

namespace wkit::app {

// What /metrics and /route need from the running server besides the hub.
struct ServerView {
  std::function<std::vector<net::Url>()> listeners;
  // Open WKProto connections by transport ("tcp", "ws", "wss") and the bytes
  // queued for them and not yet written.
  std::function<std::vector<std::pair<std::string, uint64_t>>()> connections_by_transport;
  // The same connections by protocol ("wkproto", "jsonrpc"; "undecided"
  // before their first byte).
  std::function<std::vector<std::pair<std::string, uint64_t>>()> connections_by_protocol;
  std::function<uint64_t()> queued_outbound_bytes;
  std::function<uint64_t()> stored_messages;
  std::function<uint64_t()> http_requests;
  std::function<store::CommitLatency::Snapshot()> commit_latency;
};

// The server's counters and gauges (docs/serve.md "Metrics"): as Prometheus
// text for GET /metrics, and as one JSON object (names without "wkit_",
// labelled ones as {label: value}) for `serve -o json` at exit.
std::string metrics_text(const ServerHub& hub, const ServerView& view);
nlohmann::json metrics_json(const ServerHub& hub, const ServerView& view);

class HttpApi {
 public:
  HttpApi(ServerHub& hub, ApiCompat compat, ServerView view) : hub_(hub), compat_(compat), view_(std::move(view)) {}
  const ServerView& view() const { return view_; }
  boost::asio::awaitable<net::HttpResponse> handle(const net::HttpRequest& req);

 private:
  boost::asio::awaitable<net::HttpResponse> message_send(const net::HttpRequest& req);
  net::HttpResponse user_token(const net::HttpRequest& req);
  net::HttpResponse max_message_seq(const net::HttpRequest& req);
  boost::asio::awaitable<net::HttpResponse> message_sync(const net::HttpRequest& req);
  net::HttpResponse route() const;
  net::HttpResponse metrics() const;

  ServerHub& hub_;
  ApiCompat compat_;
  ServerView view_;
};

}  // namespace wkit::app
