#pragma once
// What the routes of the HTTP API (http_api*.cpp) share: answers, field
// checks that name the field, waiting for the hub, the message object.
#include <utility>  // before asio: Boost 1.74 awaitable.hpp uses std::exchange unincluded
#include <boost/asio/awaitable.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "wkit/app/server_hub.hpp"
#include "wkit/app/server_options.hpp"
#include "wkit/net/http.hpp"
#include "wkit/store/message_store.hpp"

namespace wkit::app::api_detail {

namespace asio = boost::asio;
using nlohmann::json;
using net::HttpResponse;

inline HttpResponse reply(int status, const json& body) { return {status, body.dump()}; }

// 400 in the shape both lines use for most routes.
inline HttpResponse bad_request(const std::string& msg) { return reply(400, {{"msg", msg}, {"status", 400}}); }

// The request body as a JSON object, or the 400 that says why not.
inline std::optional<HttpResponse> parse_object(const std::string& body, json& out) {
  out = json::parse(body, nullptr, false);
  if (out.is_discarded()) return bad_request("request body is not JSON");
  if (!out.is_object()) return bad_request("request body must be a JSON object");
  return std::nullopt;
}

// A string field: absent -> "" (or the 400 when required), not a string -> 400.
inline std::optional<HttpResponse> string_field(const json& j, const char* name, bool required, std::string& out) {
  auto it = j.find(name);
  if (it == j.end() || it->is_null()) {
    if (required) return bad_request(std::string(name) + " is required");
    return std::nullopt;
  }
  if (!it->is_string()) return bad_request(std::string(name) + " must be a string");
  out = it->get<std::string>();
  if (required && out.empty()) return bad_request(std::string(name) + " must not be empty");
  return std::nullopt;
}

// An integer field in [0, max]: absent -> `out` unchanged.
inline std::optional<HttpResponse> int_field(const json& j, const char* name, uint64_t max, uint64_t& out) {
  auto it = j.find(name);
  if (it == j.end() || it->is_null()) return std::nullopt;
  if (!it->is_number_integer() || (it->is_number_integer() && !it->is_number_unsigned() && it->get<int64_t>() < 0) ||
      it->get<uint64_t>() > max)
    return bad_request(std::string(name) + " must be an integer 0.." + std::to_string(max));
  out = it->get<uint64_t>();
  return std::nullopt;
}

// Runs `start(done)`, a hub call that answers through `done` (maybe before
// it returns), and waits for the answer on this thread: nullopt if none
// comes within 30 s (a stalled store).
template <class T, class Start>
asio::awaitable<std::optional<T>> hub_answer(Start start) {
  struct Wait {
    explicit Wait(asio::any_io_executor ex) : timer(ex, asio::steady_timer::time_point::max()) {}
    asio::steady_timer timer;
    std::optional<T> answer;
  };
  auto w = std::make_shared<Wait>(co_await asio::this_coro::executor);
  start([w](T answer) {
    w->answer = std::move(answer);
    w->timer.cancel();
  });
  if (!w->answer) {
    w->timer.expires_after(std::chrono::seconds(30));
    boost::system::error_code ec;
    co_await w->timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
  co_return std::move(w->answer);
}

// The message object of messagesync (docs/serve.md "HTTP API"); person
// channels named by the peer of `login_uid` (3.x) or of the sender (2.x).
json message_object(const store::Message& m, std::string_view login_uid, ApiCompat compat);

// POST /channel, /channel/subscriber_add, /channel/subscriber_remove (http_api_groups.cpp).
asio::awaitable<HttpResponse> group_route(ServerHub& hub, GroupEdit edit, const net::HttpRequest& req);
// POST /conversation/sync (2.x) and POST /conversation/list (3.x) (http_api_conversations.cpp).
asio::awaitable<HttpResponse> conversation_sync(ServerHub& hub, const net::HttpRequest& req);
asio::awaitable<HttpResponse> conversation_list(ServerHub& hub, const net::HttpRequest& req);

}  // namespace wkit::app::api_detail
