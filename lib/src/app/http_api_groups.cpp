// POST /channel, /channel/subscriber_add and /channel/subscriber_remove:
// groups made and changed at runtime (docs/serve.md "HTTP API"). The same
// request and answer shapes in both API lines.
#include "http_api_common.hpp"
#include "wkit/util/channel.hpp"

namespace wkit::app::api_detail {

namespace {

// A list of uids: absent -> empty (or the 400 when required), else an array
// of valid uids (duplicates dropped).
std::optional<HttpResponse> uid_list_field(const json& j, const char* name, bool required,
                                           std::vector<std::string>& out) {
  auto it = j.find(name);
  if (it == j.end() || it->is_null() || (it->is_array() && it->empty())) {
    if (required) return bad_request(std::string(name) + " must be a non-empty array of uids");
    return std::nullopt;
  }
  if (!it->is_array()) return bad_request(std::string(name) + " must be an array of uids");
  if (it->size() > 100000) return bad_request(std::string(name) + " holds more than 100000 uids");
  for (size_t i = 0; i < it->size(); ++i) {
    const json& u = (*it)[i];
    const std::string where = std::string(name) + "[" + std::to_string(i) + "]";
    if (!u.is_string()) return bad_request(where + " must be a string");
    const std::string uid = u.get<std::string>();
    if (auto problem = util::uid_problem(uid); !problem.empty()) return bad_request(where + " " + std::string(problem));
    if (std::find(out.begin(), out.end(), uid) == out.end()) out.push_back(uid);
  }
  return std::nullopt;
}

}  // namespace

asio::awaitable<HttpResponse> group_route(ServerHub& hub, GroupEdit edit, const net::HttpRequest& req) {
  json j;
  if (auto bad = parse_object(req.body, j)) co_return *bad;
  std::string channel_id;
  uint64_t channel_type = 0, reset = 0, unused = 0;
  std::vector<std::string> uids;
  for (auto check : {string_field(j, "channel_id", true, channel_id), int_field(j, "channel_type", 255, channel_type),
                     int_field(j, "reset", 1, reset), int_field(j, "large", 1, unused),
                     int_field(j, "allow_stranger", 1, unused)})
    if (check) co_return *check;
  // What wkit serve does not model: refused rather than silently ignored.
  for (const char* flag : {"ban", "disband", "send_ban", "temp_subscriber"}) {
    uint64_t v = 0;
    if (auto bad = int_field(j, flag, 1, v)) co_return *bad;
    if (v != 0) co_return bad_request(std::string(flag) + " 1 is not served by wkit serve (only 0)");
  }
  if (channel_type == 0) co_return bad_request("channel_type is required (2: group)");
  if (channel_type == util::channel_type::person)
    co_return bad_request("channel_type 1 (person): person channels need no creation and have no subscribers");
  if (channel_type != util::channel_type::group)
    co_return bad_request("channel_type " + std::to_string(channel_type) + ": only 2 (group) is served");
  if (channel_id.size() > 256) co_return bad_request("channel_id is longer than 256 bytes");
  for (unsigned char c : channel_id)
    if (c < 0x20 || c == 0x7f) co_return bad_request("channel_id must not hold control characters");
  if (auto bad = uid_list_field(j, "subscribers", edit != GroupEdit::create, uids)) co_return *bad;

  struct Done {
    std::string error;
  };
  auto done = co_await hub_answer<Done>([&](auto answer) {
    hub.edit_group(edit, channel_id, uids, reset != 0, [answer](const std::string& error) { answer(Done{error}); });
  });
  if (!done) co_return reply(503, {{"msg", "retry required"}, {"status", 503}});
  if (done->error.rfind("no such group", 0) == 0) co_return bad_request(done->error);
  if (!done->error.empty()) co_return reply(500, {{"msg", done->error}, {"status", 500}});
  co_return reply(200, {{"status", 200}});
}

}  // namespace wkit::app::api_detail
