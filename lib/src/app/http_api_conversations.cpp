// POST /conversation/sync (2.x) and POST /conversation/list (3.x): the
// channels of one uid that have messages, enough for an app's conversation
// list and for `wkit audit --uids` (docs/serve.md "HTTP API"). wkit keeps no
// read state: read_seq / readed_to_msg_seq are 0 and unread is the last seq.
#include "http_api_common.hpp"
#include "wkit/crypto/crypto.hpp"
#include "wkit/util/channel.hpp"
#include "wkit/util/ids.hpp"

namespace wkit::app::api_detail {

namespace {

// A conversation is named by the peer (person) or the group id.
std::string shown_id(const Conversation& c, std::string_view uid) {
  if (c.channel_type != util::channel_type::person) return c.channel_id;
  auto parts = util::split_person_channel_id(c.channel_id);
  if (!parts) return c.channel_id;
  return std::string(parts->first == uid ? parts->second : parts->first);
}

// The newest `n` messages of each conversation (ascending), in one round of store reads.
struct Loaded {
  std::vector<std::vector<store::Message>> newest;
  std::string error;
};
asio::awaitable<std::optional<Loaded>> load_newest(ServerHub& hub, const std::vector<Conversation>& convs, uint32_t n) {
  co_return co_await hub_answer<Loaded>([&](auto answer) {
    if (convs.empty() || n == 0) {
      Loaded none;
      none.newest.resize(convs.size());
      return answer(std::move(none));
    }
    struct State {
      Loaded loaded;
      size_t left = 0;
    };
    auto state = std::make_shared<State>();
    state->loaded.newest.resize(convs.size());
    state->left = convs.size();
    for (size_t i = 0; i < convs.size(); ++i)
      hub.load_range(convs[i].channel_type, convs[i].channel_id, 1, UINT64_MAX / 2, n, true,
                     [state, i, answer](std::vector<store::Message>&& m, const std::string& error) {
                       state->loaded.newest[i] = std::move(m);
                       if (!error.empty()) state->loaded.error = error;
                       if (--state->left == 0) answer(std::move(state->loaded));
                     });
  });
}

HttpResponse store_trouble(const std::optional<Loaded>& loaded) {
  if (!loaded) return reply(503, {{"msg", "retry required"}, {"status", 503}});
  return reply(500, {{"msg", loaded->error}, {"status", 500}});
}

std::string cursor_of(const Conversation& c) {
  return crypto::base64_encode(std::to_string(c.channel_type) + ":" + c.channel_id);
}

}  // namespace

asio::awaitable<HttpResponse> conversation_sync(ServerHub& hub, const net::HttpRequest& req) {
  json j;
  if (auto bad = parse_object(req.body, j)) co_return *bad;
  std::string uid, last_msg_seqs;
  uint64_t version = 0, msg_count = 0, only_unread = 0, page = 0, page_size = 0;
  for (auto check : {string_field(j, "uid", true, uid), string_field(j, "last_msg_seqs", false, last_msg_seqs),
                     int_field(j, "version", INT64_MAX, version), int_field(j, "msg_count", 1000, msg_count),
                     int_field(j, "only_unread", 1, only_unread), int_field(j, "page", UINT32_MAX, page),
                     int_field(j, "page_size", 10000, page_size)})
    if (check) co_return *check;
  if (auto problem = util::uid_problem(uid); !problem.empty()) co_return bad_request("uid " + std::string(problem));
  std::vector<uint64_t> excluded;
  if (auto it = j.find("exclude_channel_types"); it != j.end() && !it->is_null()) {
    if (!it->is_array()) co_return bad_request("exclude_channel_types must be an array of channel types");
    for (const auto& t : *it) {
      if (!t.is_number_unsigned() || t.get<uint64_t>() > 255)
        co_return bad_request("exclude_channel_types must be an array of channel types 0..255");
      excluded.push_back(t.get<uint64_t>());
    }
  }
  std::vector<Conversation> convs = hub.conversations(uid);
  std::erase_if(convs, [&](const Conversation& c) {
    return std::find(excluded.begin(), excluded.end(), c.channel_type) != excluded.end();
  });
  if (page > 0) {  // 2.x pages only when asked; page_size 0 -> 100
    if (page_size == 0) page_size = 100;
    const uint64_t from = std::min<uint64_t>((page - 1) * page_size, convs.size());
    const uint64_t to = std::min<uint64_t>(from + page_size, convs.size());
    convs = std::vector<Conversation>(convs.begin() + from, convs.begin() + to);
  }
  // The last message gives timestamp, version and last_client_msg_no even without recents.
  auto loaded = co_await load_newest(hub, convs, static_cast<uint32_t>(std::max<uint64_t>(msg_count, 1)));
  if (!loaded || !loaded->error.empty()) co_return store_trouble(loaded);
  json out = json::array();
  for (size_t i = 0; i < convs.size(); ++i) {
    const auto& c = convs[i];
    const auto& msgs = loaded->newest[i];
    const store::Message* last = msgs.empty() ? nullptr : &msgs.back();
    json recents = json::array();
    if (msg_count > 0)
      for (const auto& m : msgs) recents.push_back(message_object(m, uid, ApiCompat::v2));
    out.push_back({{"channel_id", shown_id(c, uid)},
                   {"channel_type", c.channel_type},
                   {"unread", c.last_seq},
                   {"timestamp", last ? last->timestamp : 0},
                   {"last_msg_seq", c.last_seq},
                   {"last_client_msg_no", last ? last->client_msg_no : std::string()},
                   {"offset_msg_seq", 0},
                   {"readed_to_msg_seq", 0},
                   {"version", last ? last->server_timestamp_ms : 0},
                   {"recents", std::move(recents)}});
  }
  co_return reply(200, out);
}

asio::awaitable<HttpResponse> conversation_list(ServerHub& hub, const net::HttpRequest& req) {
  json j;
  if (auto bad = parse_object(req.body, j)) co_return *bad;
  std::string uid, cursor;
  uint64_t limit = 0, coverage = 0;
  for (auto check : {string_field(j, "uid", true, uid), string_field(j, "cursor", false, cursor),
                     int_field(j, "limit", 1000, limit), int_field(j, "completed_coverage", INT64_MAX, coverage)})
    if (check) co_return *check;
  if (auto problem = util::uid_problem(uid); !problem.empty()) co_return bad_request("uid " + std::string(problem));
  if (limit == 0) limit = 100;
  std::vector<Conversation> convs = hub.conversations(uid);  // sorted by (type, id): the cursor's order
  size_t from = 0;
  if (!cursor.empty()) {
    // The cursor names the last conversation of the previous page.
    auto text = crypto::base64_decode(cursor);
    const size_t colon = text ? text->find(':') : std::string::npos;
    unsigned type = 0;
    if (colon == std::string::npos || colon == 0 || colon > 3) co_return bad_request("cursor is not one this server gave");
    for (size_t k = 0; k < colon; ++k) {
      if ((*text)[k] < '0' || (*text)[k] > '9') co_return bad_request("cursor is not one this server gave");
      type = type * 10 + static_cast<unsigned>((*text)[k] - '0');
    }
    const std::string id = text->substr(colon + 1);
    from = static_cast<size_t>(std::upper_bound(convs.begin(), convs.end(), std::make_pair(type, id),
                                                [](const std::pair<unsigned, std::string>& k, const Conversation& c) {
                                                  return k.first != c.channel_type ? k.first < c.channel_type
                                                                                   : k.second < c.channel_id;
                                                }) -
                               convs.begin());
  }
  const size_t to = std::min<size_t>(from + limit, convs.size());
  std::vector<Conversation> page(convs.begin() + from, convs.begin() + to);
  const bool done = to == convs.size();
  auto loaded = co_await load_newest(hub, page, 1);
  if (!loaded || !loaded->error.empty()) co_return store_trouble(loaded);
  json list = json::array();
  for (size_t i = 0; i < page.size(); ++i) {
    const auto& c = page[i];
    const auto& msgs = loaded->newest[i];
    json item = {{"channel_id", shown_id(c, uid)}, {"channel_type", c.channel_type},
                 {"active_at", msgs.empty() ? 0 : msgs.back().server_timestamp_ms},
                 {"read_seq", 0}, {"deleted_to_seq", 0}, {"unread", c.last_seq}, {"last_message", nullptr}};
    if (!msgs.empty()) {
      const store::Message& m = msgs.back();
      item["last_message"] = {{"message_id", m.message_id},
                              {"message_idstr", std::to_string(m.message_id)},
                              {"message_seq", m.message_seq},
                              {"from_uid", m.from_uid},
                              {"client_msg_no", m.client_msg_no},
                              {"server_timestamp_ms", m.server_timestamp_ms},
                              {"payload", crypto::base64_encode(m.payload)}};
    }
    list.push_back(std::move(item));
  }
  json out = {{"conversations", std::move(list)}, {"deletes", json::array()}, {"unresolved", json::array()},
              {"done", done}, {"coverage", 0}, {"tombstones_retained_since", 0}, {"reset_required", false}};
  if (!done && !page.empty()) out["next_cursor"] = cursor_of(page.back());
  co_return reply(200, out);
}

}  // namespace wkit::app::api_detail
