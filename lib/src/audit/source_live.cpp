// Live audits: channels paged through POST /channel/messagesync
// (docs/audit.md "Live audit"). The pages are read with simdjson; each
// message object goes through the same parser as a JSON-lines export, so a
// live audit and an export audit of one store read the same fields.
#include <simdjson.h>

#include <charconv>
#include <chrono>
#include <fstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "wkit/audit/json_message.hpp"
#include "wkit/audit/live.hpp"
#include "wkit/util/channel.hpp"
#include "wkit/util/units.hpp"
#include "wkit/util/ids.hpp"

namespace wkit::audit {

namespace {

namespace ondemand = simdjson::ondemand;

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

std::string channel_text(const LiveChannel& c) { return c.id + ":" + std::to_string(c.type); }

// The message an error answer carries ("msg" in 2.x and most 3.x routes,
// "error" in others), else the start of the body.
std::string answer_message(const std::string& body) {
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_object()) {
    for (const char* k : {"msg", "error", "message"})
      if (j.contains(k) && j[k].is_string()) return j[k].get<std::string>();
  }
  std::string s = body.substr(0, 200);
  for (char& c : s)
    if (static_cast<unsigned char>(c) < 0x20) c = ' ';
  return s.empty() ? "(empty body)" : s;
}

// Waits until the next request may go, at most `rate` per second; a stop ends the wait.
class Pacer {
 public:
  explicit Pacer(double rate)
      : gap_(std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::duration<double>(1.0 / rate))) {}
  void wait(const AuditContext& ctx) { wait([&] { return ctx.stopping(); }); }
  template <class Stopping>
  void wait(const Stopping& stopping) {
    const auto now = std::chrono::steady_clock::now();
    if (next_ > now) {
      while (!stopping()) {
        const auto left = next_ - std::chrono::steady_clock::now();
        if (left <= std::chrono::steady_clock::duration::zero()) break;
        std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(left, std::chrono::milliseconds(50)));
      }
    }
    next_ = std::max(next_, now) + gap_;
  }

 private:
  std::chrono::steady_clock::duration gap_;
  std::chrono::steady_clock::time_point next_{};
};

// Reads one channel's history into input `input`.
class LiveChannelReader {
 public:
  LiveChannelReader(AuditContext& ctx, uint16_t input, const LiveChannel& c, Pacer& pacer)
      : ctx_(ctx), o_(*ctx.options.live), input_(input), channel_(c), view_(live_channel_view(o_, c)),
        login_uid_(c.login_uid.empty() ? o_.login_uid : c.login_uid), pacer_(pacer) {}

  Status run() {
    RecordBuilder out(ctx_, input_);
    if (auto err = out.init()) return err;
    uint64_t start = o_.since_seq ? o_.since_seq : 1;
    uint64_t pages = 0, from_id = 0, last_seq = 0;
    auto& info = ctx_.inputs[input_];
    auto note = [&] {
      info.details["live"] = {{"url", o_.url},
                              {"login_uid", login_uid_},
                              {"channel_id", channel_.id},
                              {"channel_type", channel_.type},
                              {"stored_channel_id", view_.canonical_id},
                              {"api_compat", o_.api_compat},
                              {"page_size", o_.page_size},
                              {"since_seq", o_.since_seq ? o_.since_seq : 1},
                              {"last_seq", last_seq},
                              {"pages", pages},
                              {"timestamps_from_message_id", from_id}};
    };
    note();
    while (!ctx_.stopping() && !ctx_.failed()) {
      pacer_.wait(ctx_);
      if (ctx_.stopping()) break;
      const nlohmann::json req = {{"login_uid", login_uid_},       {"channel_id", channel_.id},
                                  {"channel_type", channel_.type}, {"start_message_seq", start},
                                  {"end_message_seq", 0},          {"limit", o_.page_size},
                                  {"pull_mode", 1}};
      auto reply = o_.fetch(req.dump());
      const std::string where = o_.url + "/channel/messagesync channel " + channel_text(channel_);
      if (!reply) {
        if (ctx_.stopping()) break;
        return Error{reply.error().kind, where + ": " + reply.error().message, std::nullopt};
      }
      ctx_.raw_bytes_in.fetch_add(reply->body.size());
      ctx_.bytes_in.fetch_add(reply->body.size());
      if (reply->status != 200)
        return Error{ErrorKind::connection,
                     where + ": HTTP " + std::to_string(reply->status) + ": " + answer_message(reply->body),
                     std::nullopt};
      ++pages;
      auto page = read_messagesync_page(
          reply->body, start,
          [&](RawFields& f, uint64_t seq) {
            from_id += adapt_live_fields(view_, f);
            out.add(f, seq);
          },
          [&](uint64_t seq, std::string_view what) { out.malformed(seq, what); });
      if (!page)
        return Error::input(where + " (start_message_seq " + std::to_string(start) + "): " + page.error().message);
      if (page->messages) last_seq = page->last_seq;
      note();
      if (page->messages == 0 || !page->more) break;
      start = page->last_seq + 1;
    }
    out.flush();
    note();
    return std::nullopt;
  }

 private:
  AuditContext& ctx_;
  const LiveOptions& o_;
  uint16_t input_;
  const LiveChannel& channel_;
  LiveChannelView view_;
  std::string login_uid_;
  Pacer& pacer_;
};

// One parser per thread for the message objects (the page reader is not on a hot path).
JsonMessageParser& message_parser() {
  static const FieldMap map = std::move(FieldMap::make({}, {}).value());  // no --map: cannot fail
  thread_local JsonMessageParser parser(map);
  return parser;
}

const char* read_more(ondemand::value v, bool& more) {
  ondemand::json_type t;
  if (v.type().get(t)) return "invalid JSON";
  if (t == ondemand::json_type::boolean) {
    if (v.get_bool().get(more)) return "invalid JSON";
    return nullptr;
  }
  int64_t n = 0;
  if (t != ondemand::json_type::number || v.get_int64().get(n)) return "\"more\" is not 0 or 1";
  more = n != 0;
  return nullptr;
}

}  // namespace

Result<LiveChannel> parse_live_channel(std::string_view spec) {
  spec = trim(spec);
  const auto colon = spec.rfind(':');
  auto bad = [&](const std::string& why) {
    return Error{ErrorKind::usage, "channel '" + std::string(spec) + "': " + why, std::nullopt};
  };
  if (colon == std::string_view::npos || colon == 0) return bad("expected ID:TYPE (e.g. g1:2 or bob:1)");
  auto type = util::parse_channel_type(spec.substr(colon + 1));
  if (!type || *type == 0) return bad("TYPE must be a channel type (1 person, 2 group, ... or its name)");
  return LiveChannel{std::string(spec.substr(0, colon)), *type, {}};
}

Result<std::vector<LiveChannel>> read_live_channels(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Error{ErrorKind::usage, "--channels " + path + ": cannot open", std::nullopt};
  std::vector<LiveChannel> out;
  std::string line;
  for (uint64_t n = 1; std::getline(in, line); ++n) {
    std::string_view s = line;
    if (auto hash = s.find('#'); hash != std::string_view::npos) s = s.substr(0, hash);
    s = trim(s);
    if (s.empty()) continue;
    auto c = parse_live_channel(s);
    if (!c) return Error{ErrorKind::usage, path + ":" + std::to_string(n) + ": " + c.error().message, std::nullopt};
    out.push_back(std::move(*c));
  }
  return out;
}

Result<double> parse_live_rate(std::string_view text) {
  // The one rate syntax of every command (docs/cli.md): a count and a period.
  auto v = util::parse_rate(text);
  if (!v) return Error{ErrorKind::usage, "--rate: " + v.error().message, std::nullopt};
  if (!(*v >= 0.01 && *v <= 10000))
    return Error{ErrorKind::usage, "--rate " + std::string(text) + ": expected 0.01 to 10000 requests per second (e.g. 20/s, 30/m)",
                 std::nullopt};
  return *v;
}

LiveChannelView live_channel_view(const LiveOptions& o, const LiveChannel& c) {
  LiveChannelView v;
  v.type = c.type;
  v.api_compat = o.api_compat;
  v.canonical_id = c.type == util::channel_type::person && c.id.find('@') == std::string::npos
                       ? util::person_channel_id(c.login_uid.empty() ? o.login_uid : c.login_uid, c.id)
                       : c.id;
  return v;
}

bool adapt_live_fields(const LiveChannelView& v, RawFields& f) {
  // Person channels come back named by the peer, the store names them a@b.
  if (v.type == util::channel_type::person) {
    f.channel_id = v.canonical_id;
    f.channel_type = v.type;
  }
  if (v.api_compat == 2 && f.from_uid.empty()) f.from_uid = "____system";  // 2.x answers "" for it
  if (f.timestamp == 0 && f.message_id && *f.message_id > 0) {
    static const util::SnowflakeGenerator layout(0);
    f.timestamp = layout.split(static_cast<int64_t>(*f.message_id)).unix_ms / 1000;
    return true;
  }
  return false;
}

Result<LivePage> read_messagesync_page(std::string& body, uint64_t start_seq,
                                       const std::function<void(RawFields&, uint64_t seq)>& each,
                                       const std::function<void(uint64_t seq, std::string_view what)>& malformed) {
  const size_t len = body.size();
  body.append(simdjson::SIMDJSON_PADDING, ' ');
  auto bad = [](std::string why) { return Error::input("not a messagesync answer: " + why); };
  ondemand::parser parser;
  ondemand::document doc;
  if (parser.iterate(body.data(), len, body.size()).get(doc)) return bad("invalid JSON");
  ondemand::object top;
  if (doc.get_object().get(top)) return bad("not a JSON object");
  LivePage page;
  bool saw_messages = false, saw_more = false;
  JsonMessageParser& mp = message_parser();
  RawFields f;
  uint64_t prev = 0;
  for (auto field_r : top) {
    ondemand::field field;
    if (std::move(field_r).get(field)) return bad("invalid JSON");
    std::string_view key;
    if (field.unescaped_key().get(key)) return bad("invalid JSON");
    if (key == "more") {
      if (const char* err = read_more(field.value(), page.more)) return bad(err);
      saw_more = true;
    } else if (key == "messages") {
      ondemand::array arr;
      ondemand::value mv = field.value();
      ondemand::json_type t;
      if (mv.type().get(t)) return bad("invalid JSON");
      if (t == ondemand::json_type::null) {  // an empty page, as some servers write it
        saw_messages = true;
        continue;
      }
      if (mv.get_array().get(arr)) return bad("\"messages\" is not an array");
      saw_messages = true;
      for (auto el_r : arr) {
        ondemand::value el;
        ondemand::object obj;
        std::string_view raw;
        if (std::move(el_r).get(el) || el.get_object().get(obj)) return bad("message " + std::to_string(page.messages + 1) + " is not a JSON object");
        if (obj.raw_json().get(raw)) return bad("invalid JSON");
        ++page.messages;
        std::string_view err = mp.parse(raw.data(), raw.size(), f);
        if (!f.message_seq || *f.message_seq == 0)
          return bad("message " + std::to_string(page.messages) + " has no message_seq" +
                     (err.empty() ? std::string() : " (" + std::string(err) + ")"));
        const uint64_t seq = *f.message_seq;
        if (seq < start_seq || seq <= prev)
          return bad("message_seq " + std::to_string(seq) + " after " +
                     (prev ? std::to_string(prev) : "asking from " + std::to_string(start_seq)) +
                     ": not ascending from start_message_seq");
        prev = seq;
        page.last_seq = seq;
        if (!err.empty()) malformed(seq, err);
        else each(f, seq);
      }
    }
  }
  if (!saw_messages) return bad("no \"messages\" array");
  if (!saw_more) page.more = page.messages > 0;  // keep asking until an empty page
  return page;
}

Status read_live(AuditContext& ctx) {
  const LiveOptions& o = *ctx.options.live;
  if (!o.fetch) return Error::internal_error("live audit without a transport");
  if (o.channels.empty()) return Error{ErrorKind::usage, "no channel given (--channel ID:TYPE or --channels FILE)", std::nullopt};
  if (o.channels.size() > 60000) return Error{ErrorKind::usage, "too many channels (at most 60000)", std::nullopt};
  ctx.inputs.resize(o.channels.size());
  for (size_t i = 0; i < o.channels.size(); ++i) {
    auto& in = ctx.inputs[i];
    in.name = o.url + "/" + channel_text(o.channels[i]);
    in.format = "messagesync";
  }
  Pacer pacer(o.rate);
  for (size_t i = 0; i < o.channels.size(); ++i) {
    if (ctx.stopping()) {
      ctx.inputs[i].not_read = true;
      continue;
    }
    LiveChannelReader reader(ctx, static_cast<uint16_t>(i), o.channels[i], pacer);
    if (auto err = reader.run()) return err;
    if (auto f = ctx.failure()) return *f;
  }
  return std::nullopt;
}

}  // namespace wkit::audit
