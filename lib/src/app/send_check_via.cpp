#include "wkit/app/send_check_via.hpp"
#include "wkit/util/json_id.hpp"

#include <charconv>
#include <nlohmann/json.hpp>

namespace wkit::app {

namespace {

using nlohmann::json;

constexpr const char* kPath = "/channel/messagesync";

// The message of an error answer ("msg" in 2.x, "error" in 3.x), else the start of the body.
std::string answer_message(const std::string& body) {
  auto j = json::parse(body, nullptr, false);
  if (j.is_object())
    for (const char* k : {"msg", "error", "message"})
      if (j.contains(k) && j[k].is_string()) return j[k].get<std::string>();
  std::string s = body.substr(0, 200);
  for (char& ch : s)
    if (static_cast<unsigned char>(ch) < 0x20) ch = ' ';
  return s.empty() ? "(empty body)" : s;
}

Error bad_answer(const std::string& why) { return Error::input("answer of " + std::string(kPath) + ": " + why); }

using util::read_json_id;

// One page: the parsed answer, or why it is not one.
Result<json> fetch_page(const ApiPost& post, const StoreChannel& c, uint64_t start, uint32_t limit) {
  const json req = {{"login_uid", c.login_uid}, {"channel_id", c.channel_id}, {"channel_type", c.channel_type},
                    {"start_message_seq", start}, {"end_message_seq", 0},    {"limit", limit},
                    {"pull_mode", 1}};
  auto reply = post(kPath, req.dump());
  if (!reply) return reply.error();
  if (reply->status != 200)
    return Error{ErrorKind::connection,
                 std::string(kPath) + ": HTTP " + std::to_string(reply->status) + ": " + answer_message(reply->body),
                 std::nullopt};
  auto j = json::parse(reply->body, nullptr, false);
  if (!j.is_object()) return bad_answer("not a JSON object");
  if (j.contains("messages") && !j["messages"].is_null() && !j["messages"].is_array())
    return bad_answer("\"messages\" is not a list");
  return j;
}

bool more_of(const json& page) {
  if (!page.contains("more")) return false;
  const auto& m = page["more"];
  if (m.is_boolean()) return m.get<bool>();
  return m.is_number() && m.get<double>() != 0;
}

}  // namespace

Result<uint64_t> store_head_seq(const ApiPost& post, const StoreChannel& c) {
  auto page = fetch_page(post, c, 0, 1);
  if (!page) return page.error();
  uint64_t head = 0;
  if (page->contains("messages") && (*page)["messages"].is_array())
    for (auto& m : (*page)["messages"])
      if (m.is_object() && m.contains("message_seq") && m["message_seq"].is_number_unsigned())
        head = std::max(head, m["message_seq"].get<uint64_t>());
  return head;
}

Result<StoreReadStats> read_store_channel(const ApiPost& post, const StoreChannel& c, uint64_t start_seq,
                                          uint32_t page_size, const std::function<void(const StoredMessage&)>& each) {
  StoreReadStats stats;
  uint64_t start = std::max<uint64_t>(1, start_seq);
  for (;;) {
    auto page = fetch_page(post, c, start, page_size);
    if (!page) return page.error();
    ++stats.pages;
    const json& list = (*page)["messages"];
    uint64_t last = 0;
    if (list.is_array())
      for (auto& m : list) {
        if (!m.is_object()) return bad_answer("a message is not an object");
        StoredMessage sm;
        if (!m.contains("message_seq") || !m["message_seq"].is_number_unsigned())
          return bad_answer("a message without a message_seq");
        sm.message_seq = m["message_seq"].get<uint64_t>();
        if (sm.message_seq < start || sm.message_seq <= last)
          return bad_answer("message_seq " + std::to_string(sm.message_seq) + " out of order (asked from " +
                            std::to_string(start) + ")");
        last = sm.message_seq;
        const bool has_idstr = m.contains("message_idstr") && m["message_idstr"].is_string();
        if (!read_json_id(has_idstr ? m["message_idstr"] : m.value("message_id", json()), sm.message_id))
          return bad_answer("message_seq " + std::to_string(sm.message_seq) + " has no readable message_id");
        static const std::string empty;
        const auto& from = m.contains("from_uid") && m["from_uid"].is_string() ? m["from_uid"].get_ref<const std::string&>() : empty;
        const auto& cmn = m.contains("client_msg_no") && m["client_msg_no"].is_string()
                              ? m["client_msg_no"].get_ref<const std::string&>()
                              : empty;
        sm.from_uid = from;
        sm.client_msg_no = cmn;
        ++stats.messages;
        each(sm);
      }
    if (last == 0 || !more_of(*page)) break;
    start = last + 1;
  }
  return stats;
}

ApiPost api_post_over(net::HttpClient& client, const std::atomic<int>* stop) {
  return [&client, stop](const std::string& path, const std::string& body) -> Result<net::HttpReply> {
    if (stop && stop->load(std::memory_order_relaxed) != 0)
      return Error{ErrorKind::connection, "interrupted", std::nullopt};
    return client.post_json(path, body, stop);
  };
}

}  // namespace wkit::app
