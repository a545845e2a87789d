// Live audit discovery (`--uids`, docs/audit.md "Live audit"): each uid's
// channels through the conversation endpoint of its API generation, 3.x
// POST /conversation/list (cursor pages) or 2.x POST /conversation/sync
// (numbered pages), one channel once however many uids see it.
#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>
#include <unordered_set>

#include "wkit/audit/live.hpp"
#include "wkit/util/channel.hpp"

namespace wkit::audit {

namespace {

using nlohmann::json;

constexpr uint64_t kPageSize = 100;
constexpr int kMaxPages = 100000;  // per uid: a server that never says done

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// One channel however it was named: person channels by their a@b id.
std::string channel_key(const LiveChannelView& v) { return std::to_string(v.type) + ":" + v.canonical_id; }

// The error text of a refusal: "msg" or "error", else the start of the body.
std::string refusal_text(const std::string& body) {
  auto j = json::parse(body, nullptr, false);
  if (j.is_object())
    for (const char* k : {"msg", "error"})
      if (j.contains(k) && j[k].is_string()) return j[k].get<std::string>();
  return body.substr(0, 200);
}

// The channels one conversation item names, or why it cannot be read.
std::optional<std::string> read_item(const json& item, LiveChannel& out) {
  if (!item.is_object()) return "a conversation is not a JSON object";
  auto id = item.find("channel_id");
  auto type = item.find("channel_type");
  if (id == item.end() || !id->is_string() || id->get<std::string>().empty())
    return "a conversation has no channel_id string";
  if (type == item.end() || !type->is_number_unsigned() || type->get<uint64_t>() == 0 || type->get<uint64_t>() > 255)
    return "conversation " + id->get<std::string>() + " has no channel_type 1..255";
  out.id = id->get<std::string>();
  out.type = static_cast<int64_t>(type->get<uint64_t>());
  return std::nullopt;
}

}  // namespace

Result<std::vector<std::string>> read_live_uids(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Error{ErrorKind::usage, "--uids-file " + path + ": cannot open", std::nullopt};
  std::vector<std::string> out;
  std::string line;
  for (uint64_t n = 1; std::getline(in, line); ++n) {
    std::string_view s = line;
    if (auto hash = s.find('#'); hash != std::string_view::npos) s = s.substr(0, hash);
    s = trim(s);
    if (s.empty()) continue;
    if (auto problem = util::uid_problem(s); !problem.empty())
      return Error{ErrorKind::usage, path + ":" + std::to_string(n) + ": uid " + std::string(problem), std::nullopt};
    out.emplace_back(s);
  }
  return out;
}

Result<size_t> discover_live_channels(LiveOptions& o, const std::vector<std::string>& uids, const LivePost& post,
                                      const std::function<bool()>& stopping) {
  std::unordered_set<std::string> seen;
  for (const auto& c : o.channels) seen.insert(channel_key(live_channel_view(o, c)));
  const bool v2 = o.api_compat == 2;
  const std::string path = v2 ? "/conversation/sync" : "/conversation/list";
  const auto gap = std::chrono::duration<double>(1.0 / o.rate);
  auto next = std::chrono::steady_clock::now();
  size_t added = 0;
  for (const auto& uid : uids) {
    std::string cursor;
    for (int page = 1; page <= kMaxPages; ++page) {
      while (std::chrono::steady_clock::now() < next && !stopping())
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      if (stopping()) return Error{ErrorKind::connection, "interrupted", std::nullopt};
      next = std::chrono::steady_clock::now() + std::chrono::duration_cast<std::chrono::steady_clock::duration>(gap);
      const json req = v2 ? json{{"uid", uid}, {"version", 0}, {"msg_count", 0}, {"page", page}, {"page_size", kPageSize}}
                          : json{{"uid", uid}, {"cursor", cursor}, {"limit", kPageSize}};
      const std::string where = o.url + path + " uid " + uid;
      auto reply = post(path, req.dump());
      if (!reply) return Error{reply.error().kind, where + ": " + reply.error().message, std::nullopt};
      if (reply->status != 200)
        return Error{ErrorKind::connection,
                     where + ": HTTP " + std::to_string(reply->status) + ": " + refusal_text(reply->body), std::nullopt};
      auto answer = json::parse(reply->body, nullptr, false);
      const json* items = nullptr;
      if (v2 && answer.is_array()) items = &answer;
      if (!v2 && answer.is_object() && answer.contains("conversations") && answer["conversations"].is_array())
        items = &answer["conversations"];
      if (!items)
        return Error::input(where + ": not a " + path + " answer (" +
                            (v2 ? "expected a JSON array" : "expected an object with a \"conversations\" array") + ")");
      for (const auto& item : *items) {
        LiveChannel c;
        if (auto bad = read_item(item, c)) return Error::input(where + ": " + *bad);
        c.login_uid = uid;
        if (seen.insert(channel_key(live_channel_view(o, c))).second) {
          o.channels.push_back(std::move(c));
          ++added;
        }
      }
      if (v2) {
        if (items->size() < kPageSize) break;
        continue;
      }
      const bool done = !answer.contains("done") || !answer["done"].is_boolean() || answer["done"].get<bool>();
      std::string next_cursor = answer.contains("next_cursor") && answer["next_cursor"].is_string()
                                    ? answer["next_cursor"].get<std::string>()
                                    : std::string();
      if (done || next_cursor.empty() || items->empty()) break;
      if (next_cursor == cursor) return Error::input(where + ": next_cursor repeats the cursor asked with");
      cursor = std::move(next_cursor);
    }
  }
  return added;
}

}  // namespace wkit::audit
