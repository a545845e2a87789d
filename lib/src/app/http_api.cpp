// The HTTP API of `wkit serve` (docs/serve.md "HTTP API").
#include "wkit/app/http_api.hpp"

#include "http_api_common.hpp"

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <charconv>
#include <nlohmann/json.hpp>

#include "wkit/crypto/crypto.hpp"
#include "wkit/util/channel.hpp"
#include "wkit/util/ids.hpp"

namespace wkit::app {

namespace asio = boost::asio;
using nlohmann::json;
using net::HttpResponse;

using namespace api_detail;

asio::awaitable<HttpResponse> HttpApi::handle(const net::HttpRequest& req) {
  const std::string path = req.path();
  auto only = [&](const char* method) { return req.method == method; };
  if (path == "/health" || path == "/healthz") {
    if (!only("GET")) co_return reply(405, {{"msg", "use GET"}, {"status", 405}});
    co_return reply(200, {{"status", "ok"}});
  }
  if (path == "/readyz") co_return reply(200, {{"ready", true}});
  if (path == "/route") co_return route();
  if (path == "/metrics") co_return metrics();
  if (path == "/channel/max_message_seq") co_return max_message_seq(req);
  if (path == "/user/token") {
    if (!only("POST")) co_return reply(405, {{"msg", "use POST"}, {"status", 405}});
    co_return user_token(req);
  }
  if (path == "/channel/messagesync") {
    if (!only("POST")) co_return reply(405, {{"msg", "use POST"}, {"status", 405}});
    co_return co_await message_sync(req);
  }
  if (path == "/message/send") {
    if (!only("POST")) co_return reply(405, {{"msg", "use POST"}, {"status", 405}});
    co_return co_await message_send(req);
  }
  if (path == "/channel" || path == "/channel/subscriber_add" || path == "/channel/subscriber_remove") {
    if (!only("POST")) co_return reply(405, {{"msg", "use POST"}, {"status", 405}});
    const GroupEdit edit = path == "/channel"                  ? GroupEdit::create
                           : path == "/channel/subscriber_add" ? GroupEdit::add
                                                                : GroupEdit::remove;
    co_return co_await group_route(hub_, edit, req);
  }
  // Each line has one of the two (WuKongIM 2.x sync, 3.x list).
  if (path == "/conversation/sync" || path == "/conversation/list") {
    const bool served = (path == "/conversation/sync") == (compat_ == ApiCompat::v2);
    if (!served)
      co_return reply(404, {{"msg", "no such endpoint: " + path + " (served with --api-compat " +
                                        (compat_ == ApiCompat::v2 ? "3" : "2") + ")"},
                            {"status", 404}});
    if (!only("POST")) co_return reply(405, {{"msg", "use POST"}, {"status", 405}});
    // Not one co_await of a ?: of two awaitables: g++ 12 destroys a frame twice then.
    if (compat_ == ApiCompat::v2) co_return co_await conversation_sync(hub_, req);
    co_return co_await conversation_list(hub_, req);
  }
  co_return reply(404, {{"msg", "no such endpoint: " + path + " (docs/serve.md lists what wkit serve answers)"},
                        {"status", 404}});
}

HttpResponse HttpApi::user_token(const net::HttpRequest& req) {
  json j;
  if (auto bad = parse_object(req.body, j)) return *bad;
  std::string uid, token;
  uint64_t device_flag = 0, device_level = 0;
  if (auto bad = string_field(j, "uid", true, uid)) return *bad;
  if (auto bad = string_field(j, "token", true, token)) return *bad;
  if (auto bad = int_field(j, "device_flag", 255, device_flag)) return *bad;
  if (auto bad = int_field(j, "device_level", 1, device_level)) return *bad;
  if (auto problem = util::uid_problem(uid); !problem.empty()) return bad_request("uid " + std::string(problem));
  hub_.set_token(uid, static_cast<uint8_t>(device_flag), token);
  return reply(200, {{"status", 200}});
}

asio::awaitable<HttpResponse> HttpApi::message_send(const net::HttpRequest& req) {
  // 3.x answers errors as {"error": ...} on this route; 2.x as {"msg","status"}.
  auto error = [&](int status, const std::string& msg) {
    return compat_ == ApiCompat::v3 ? reply(status, {{"error", msg}}) : bad_request(msg);
  };
  json j;
  if (auto bad = parse_object(req.body, j)) co_return compat_ == ApiCompat::v3 ? error(400, "invalid request") : *bad;
  ApiSend a;
  std::string payload_b64;
  uint64_t channel_type = 1, setting = 0, expire = 0;
  for (auto check : {string_field(j, "from_uid", false, a.from_uid), string_field(j, "channel_id", false, a.channel_id),
                     string_field(j, "client_msg_no", false, a.client_msg_no),
                     string_field(j, "payload", true, payload_b64), int_field(j, "channel_type", 255, channel_type),
                     int_field(j, "setting", 255, setting), int_field(j, "expire", UINT32_MAX, expire)})
    if (check) co_return error(400, json::parse(check->body).value("msg", "invalid request"));
  if (a.from_uid.empty() && j.contains("sender_uid") && j["sender_uid"].is_string())
    a.from_uid = j["sender_uid"].get<std::string>();  // 3.x's legacy alias
  if (a.from_uid.empty()) {
    if (compat_ == ApiCompat::v3) co_return error(400, "from_uid is required");
    a.from_uid = "____system";  // 2.x sends as the system uid
  }
  if (auto problem = util::uid_problem(a.from_uid); !problem.empty())
    co_return error(400, "from_uid " + std::string(problem));
  if (a.channel_id.empty()) co_return error(400, "invalid channel id");
  if (j.contains("subscribers") && j["subscribers"].is_array() && !j["subscribers"].empty())
    co_return error(400, "subscribers (command messages) are not served by wkit serve");
  auto payload = crypto::base64_decode(payload_b64);
  if (!payload || payload->empty()) co_return error(400, "invalid payload");
  a.payload = std::move(*payload);
  a.channel_type = static_cast<uint8_t>(channel_type);
  a.setting = static_cast<uint8_t>(setting);
  a.expire = static_cast<uint32_t>(expire);
  a.dedup = compat_ == ApiCompat::v3;
  a.check_membership = compat_ == ApiCompat::v3;
  if (compat_ == ApiCompat::v2 && a.client_msg_no.empty()) a.client_msg_no = util::random_client_msg_no() + "0";

  // Answered once committed (or refused).
  auto result = co_await hub_answer<ApiSendResult>(
      [&](auto done) { hub_.api_send(a, [done](const ApiSendResult& r) { done(r); }); });
  if (!result) co_return error(503, "retry required");
  const ApiSendResult& r = *result;
  if (compat_ == ApiCompat::v3)
    co_return reply(200, {{"message_id", r.message_id}, {"message_idstr", std::to_string(r.message_id)},
                          {"message_seq", r.message_seq}, {"reason", r.reason}});
  if (r.reason != 1) co_return reply(200, {{"status", r.reason}, {"msg", r.why}});
  co_return reply(200, {{"status", 200},
                        {"data", {{"message_id", r.message_id}, {"message_idstr", std::to_string(r.message_id)},
                                  {"client_msg_no", a.client_msg_no}}}});
}

// The message object of messagesync (docs/serve.md "HTTP API").
json api_detail::message_object(const store::Message& m, std::string_view login_uid, ApiCompat compat) {
  std::string channel = m.channel_id;
  if (m.channel_type == util::channel_type::person) {
    // The peer: 3.x the uid that is not login_uid; 2.x the uid that is not the sender.
    const std::string_view me = compat == ApiCompat::v3 ? login_uid : std::string_view(m.from_uid);
    auto at = m.channel_id.find('@');
    if (at != std::string::npos) {
      std::string a = m.channel_id.substr(0, at), b = m.channel_id.substr(at + 1);
      channel = a == me ? b : a;
    }
  }
  std::string from = m.from_uid;
  if (compat == ApiCompat::v2 && from == "____system") from.clear();
  json o = {{"message_id", m.message_id},
            {"message_idstr", std::to_string(m.message_id)},
            {"client_msg_no", m.client_msg_no},
            {"message_seq", m.message_seq},
            {"from_uid", from},
            {"channel_id", channel},
            {"channel_type", m.channel_type},
            {"timestamp", m.timestamp},
            {"payload", crypto::base64_encode(m.payload)},
            {"header",
             {{"no_persist", (m.framer_flags & 0x01) ? 1 : 0},
              {"red_dot", (m.framer_flags & 0x02) ? 1 : 0},
              {"sync_once", (m.framer_flags & 0x04) ? 1 : 0}}},
            {"setting", m.setting},
            {"expire", m.expire}};
  if (!m.topic.empty()) o["topic"] = m.topic;
  return o;
}

asio::awaitable<HttpResponse> HttpApi::message_sync(const net::HttpRequest& req) {
  json j;
  if (auto bad = parse_object(req.body, j)) co_return *bad;
  std::string login_uid, channel_id;
  uint64_t channel_type = 0, start = 0, end = 0, limit = 0, pull_mode = 0;
  for (auto check : {string_field(j, "login_uid", true, login_uid), string_field(j, "channel_id", true, channel_id),
                     int_field(j, "channel_type", 255, channel_type), int_field(j, "start_message_seq", UINT32_MAX * 65536ull, start),
                     int_field(j, "end_message_seq", UINT32_MAX * 65536ull, end), int_field(j, "limit", UINT32_MAX, limit),
                     int_field(j, "pull_mode", 1, pull_mode)})
    if (check) co_return *check;
  if (channel_type == 0) co_return bad_request("channel_type is required (1 person, 2 group)");
  // The canonical channel id and, in 3.x, the membership WuKongIM requires.
  std::string canonical = channel_id;
  if (channel_type == util::channel_type::person) {
    auto at = channel_id.find('@');
    if (at != std::string::npos && compat_ == ApiCompat::v3) {
      if (channel_id.substr(0, at) != login_uid && channel_id.substr(at + 1) != login_uid)
        co_return bad_request("valid channel membership required: " + login_uid + " is not in " + channel_id);
    } else {
      util::person_channel_id_to(login_uid, channel_id, canonical);
    }
  } else if (compat_ == ApiCompat::v3) {
    const auto* members = channel_type == util::channel_type::group ? hub_.group_members(channel_id) : nullptr;
    if (members && std::find(members->begin(), members->end(), login_uid) == members->end())
      co_return bad_request("valid channel membership required: " + login_uid + " is not a member of " + channel_id);
  }
  json answer = {{"start_message_seq", start}, {"end_message_seq", end}, {"more", 0}, {"messages", json::array()}};
  if (compat_ == ApiCompat::v2 && limit == 0) {  // 2.x has no default: an empty page that says "more"
    answer["more"] = 1;
    co_return reply(200, answer);
  }
  if (limit == 0) limit = 100;
  limit = std::min<uint64_t>(limit, 10000);
  // The range of the request (docs/serve.md): [from, to], first or last `limit`.
  uint64_t from = 1, to = UINT64_MAX / 2;
  bool newest = false;
  if (start == 0 && end == 0) {
    newest = true;
  } else if (pull_mode == 1) {
    from = std::max<uint64_t>(start, 1);
    if (end != 0) {
      if (end <= from) co_return reply(200, answer);
      to = end - 1;
    }
  } else {
    if (start == 0 || (end != 0 && end > start)) co_return reply(200, answer);
    from = end + 1;
    to = start;
    newest = true;
  }
  // 3.x reads one more to know whether more exist; 2.x says "more" when the page is full.
  const uint32_t read = static_cast<uint32_t>(compat_ == ApiCompat::v3 ? limit + 1 : limit);
  struct Range {
    std::vector<store::Message> messages;
    std::string error;
  };
  auto range = co_await hub_answer<Range>([&](auto done) {
    hub_.load_range(static_cast<uint8_t>(channel_type), canonical, from, to, read, newest,
                    [done](std::vector<store::Message>&& m, const std::string& error) { done({std::move(m), error}); });
  });
  if (!range) co_return reply(503, {{"msg", "retry required"}, {"status", 503}});
  if (!range->error.empty()) co_return reply(500, {{"msg", range->error}, {"status", 500}});
  auto& got = range->messages;
  bool more = false;
  if (compat_ == ApiCompat::v3) {
    more = got.size() > limit;
    if (more) {
      if (newest) got.erase(got.begin());  // the extra one is the oldest
      else got.pop_back();
    }
  } else {
    more = got.size() == limit;
  }
  answer["more"] = more ? 1 : 0;
  for (const auto& m : got) answer["messages"].push_back(message_object(m, login_uid, compat_));
  co_return reply(200, answer);
}

HttpResponse HttpApi::max_message_seq(const net::HttpRequest& req) {
  std::string channel_id = req.query("channel_id"), type_text = req.query("channel_type"),
              login_uid = req.query("login_uid");
  if (channel_id.empty()) return bad_request("channel_id is required");
  unsigned type = 0;
  auto [p, ec] = std::from_chars(type_text.data(), type_text.data() + type_text.size(), type);
  if (type_text.empty() || ec != std::errc{} || p != type_text.data() + type_text.size() || type == 0 || type > 255)
    return bad_request("channel_type must be 1..255");
  std::string canonical = channel_id;
  if (type == util::channel_type::person && channel_id.find('@') == std::string::npos) {
    if (login_uid.empty()) return bad_request("login_uid is required for a person channel (or give the a@b id)");
    util::person_channel_id_to(login_uid, channel_id, canonical);
  }
  return reply(200, {{"message_seq", hub_.max_seq(static_cast<uint8_t>(type), canonical)}});
}

HttpResponse HttpApi::route() const {
  std::string tcp, ws, wss;
  for (const auto& u : view_.listeners()) {
    const std::string text = u.to_string();
    if (u.scheme == net::Url::Scheme::tcp && tcp.empty()) tcp = text.substr(6);  // host:port, no scheme
    if (u.scheme == net::Url::Scheme::ws && ws.empty()) ws = text;
    if (u.scheme == net::Url::Scheme::wss && wss.empty()) wss = text;
  }
  return reply(200, {{"tcp_addr", tcp}, {"ws_addr", ws}, {"wss_addr", wss}});
}

}  // namespace wkit::app
