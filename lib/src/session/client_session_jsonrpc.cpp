// The JSON-RPC side of ClientSession (docs/protocol.md section 10): requests
// with ids out, the inbound text split into objects and mapped to the same
// events the WKProto side yields. Answers are matched by id only: a send
// result carries no client_seq, so "s-<n>" is mapped back to the client_seq
// the caller gave (a ring of pending sends, reused, so nothing is allocated
// per message once warm).
#include <charconv>

#include <nlohmann/json.hpp>

#include "wkit/proto/codec.hpp"
#include "wkit/session/client_session.hpp"

namespace wkit::session {

namespace jsonrpc = proto::jsonrpc;

namespace {

constexpr size_t kRingMin = 1024;
// Beyond this many unanswered sends the oldest is forgotten (its late answer
// then counts as unmatched): answers lost for good must not grow memory forever.
constexpr size_t kRingMax = size_t(1) << 22;
constexpr auto kNoAnswer = static_cast<proto::FrameType>(0);  // an id that is not ours

// "s-42" -> 42; 0 when the id is not one of ours.
uint64_t request_number(std::string_view id) {
  if (id.size() < 3 || id[1] != '-') return 0;
  uint64_t n = 0;
  auto [p, ec] = std::from_chars(id.data() + 2, id.data() + id.size(), n);
  return ec == std::errc{} && p == id.data() + id.size() ? n : 0;
}

proto::FrameType answer_type(char prefix) {
  switch (prefix) {
    case 'c': return proto::FrameType::connack;
    case 's': return proto::FrameType::sendack;
    case 'p': return proto::FrameType::pong;
    default: return kNoAnswer;
  }
}

jsonrpc::Method request_method(char prefix) {
  switch (prefix) {
    case 'c': return jsonrpc::Method::connect;
    case 's': return jsonrpc::Method::send;
    case 'p': return jsonrpc::Method::ping;
    default: return jsonrpc::Method::none;
  }
}

// An error object without an id (what a server sends for input it could not
// tie to a request) is no valid response for jsonrpc::decode(); read it here
// (a rare path) so that its code and message are what the caller sees.
std::optional<std::string> idless_error(std::string_view text) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_object() || !j.contains("error") || !j["error"].is_object()) return std::nullopt;
  if (j.contains("id") && j["id"].is_string() && !j["id"].get<std::string>().empty()) return std::nullopt;
  const auto& e = j["error"];
  std::string why = "JSON-RPC error ";
  why += e.contains("code") ? e["code"].dump() : "?";
  why += ": ";
  why += e.contains("message") && e["message"].is_string() ? e["message"].get<std::string>() : e.dump();
  return why;
}

}  // namespace

std::string_view ClientSession::rpc_next_id(char prefix) {
  char digits[24];
  auto [end, ec] = std::to_chars(digits, digits + sizeof digits, rpc_next_++);
  rpc_id_.clear();
  rpc_id_.push_back(prefix);
  rpc_id_.push_back('-');
  rpc_id_.append(digits, end);
  return rpc_id_;
}

void ClientSession::rpc_connect(int64_t now_ms, std::string& out) {
  const proto::Connect c = connect_frame(now_ms);  // no client key: JSON-RPC is not encrypted
  jsonrpc::EncodeOptions opts;
  opts.compat = cfg_.jsonrpc_compat;
  if (jsonrpc::encode(c, rpc_next_id('c'), out, opts)) {
    state_ = State::failed;  // an identity string that is not UTF-8
    return;
  }
  state_ = State::awaiting_connack;
}

Result<uint32_t> ClientSession::rpc_send(const proto::Send& s, std::string& out) {
  jsonrpc::EncodeOptions opts;
  opts.compat = cfg_.jsonrpc_compat;
  const std::string_view id = rpc_next_id('s');
  if (auto err = jsonrpc::encode(s, id, out, opts)) return *err;
  rpc_remember(rpc_next_ - 1, s.client_seq);
  return s.client_seq;
}

// RECVACK ('a': an id only at 2.1, where it is a request), PING ('p'), PONG
// (answers the server's last ping), DISCONNECT (a notification).
void ClientSession::rpc_encode(const proto::Frame& f, char prefix, std::string& out) {
  jsonrpc::EncodeOptions opts;
  opts.compat = cfg_.jsonrpc_compat;
  std::string_view id;
  if (prefix == 'p' || (prefix == 'a' && cfg_.jsonrpc_compat == jsonrpc::Compat::v2_1)) id = rpc_next_id(prefix);
  if (proto::type_of(f) == proto::FrameType::pong) {
    if (rpc_ping_id_.empty()) return;
    id = rpc_ping_id_;
  }
  (void)jsonrpc::encode(f, id, out, opts);  // on error nothing is appended
}

void ClientSession::rpc_remember(uint64_t n, uint32_t seq) {
  if (rpc_pending_.empty()) rpc_pending_.resize(kRingMin);
  for (;;) {
    RpcPending& slot = rpc_pending_[n & (rpc_pending_.size() - 1)];
    if (slot.n == 0) {
      slot = {n, seq};
      ++rpc_pending_count_;
      return;
    }
    if (rpc_pending_.size() >= kRingMax) {
      slot = {n, seq};
      return;
    }
    std::vector<RpcPending> bigger(rpc_pending_.size() * 2);
    for (const RpcPending& e : rpc_pending_)
      if (e.n) bigger[e.n & (bigger.size() - 1)] = e;
    rpc_pending_.swap(bigger);
  }
}

uint32_t ClientSession::rpc_take(uint64_t n) {
  if (rpc_pending_.empty() || n == 0) return 0;
  RpcPending& slot = rpc_pending_[n & (rpc_pending_.size() - 1)];
  if (slot.n != n) return 0;
  const uint32_t seq = slot.seq;
  slot = {};
  --rpc_pending_count_;
  return seq;
}

ClientEvent ClientSession::rpc_fail(std::string why) {
  state_ = State::failed;
  return ProtocolErrorEvent{Error::input(std::move(why))};
}

std::optional<ClientEvent> ClientSession::rpc_poll() {
  while (state_ == State::awaiting_connack || state_ == State::connected) {
    const size_t pos = rpc_in_.find_first_not_of(jsonrpc::kBlank, rpc_pos_);
    if (pos == std::string::npos) {
      rpc_pos_ = rpc_in_.size();
      return std::nullopt;
    }
    const std::string_view rest(rpc_in_.data() + pos, rpc_in_.size() - pos);
    const size_t len = jsonrpc::value_length(rest);
    if (len == 0)
      return rpc_fail("JSON-RPC from the server: not a JSON object: '" + std::string(rest.substr(0, 16)) + "'");
    if (len == std::string_view::npos) {
      rpc_pos_ = pos;
      if (rest.size() > jsonrpc::kMaxMessageBytes)
        return rpc_fail("JSON-RPC from the server: a message over " + std::to_string(jsonrpc::kMaxMessageBytes) + " bytes");
      return std::nullopt;
    }
    rpc_pos_ = pos + len;
    if (auto ev = rpc_event(rest.substr(0, len))) return ev;
  }
  return std::nullopt;
}

std::optional<ClientEvent> ClientSession::rpc_event(std::string_view text) {
  jsonrpc::DecodeOptions opts;
  opts.compat = cfg_.jsonrpc_compat;
  jsonrpc::Message& m = rpc_msg_;
  if (auto err = jsonrpc::decode(text, m, rpc_scratch_, opts)) {
    if (auto why = idless_error(text)) return rpc_fail("the server answered with " + *why);
    return rpc_fail("JSON-RPC from the server: " + err->describe());
  }
  if (m.kind == jsonrpc::Kind::response) return rpc_response(text);
  if (state_ == State::awaiting_connack)
    return rpc_fail("expected the connect result, got a " + std::string(jsonrpc::method_name(m.method)) + " " +
                    std::string(jsonrpc::kind_name(m.kind)));
  return std::visit(
      [&](const auto& f) -> std::optional<ClientEvent> {
        using T = std::decay_t<decltype(f)>;
        if constexpr (std::is_same_v<T, proto::Recv>) {
          // No msg_key and no encryption in this dialect: the payload is in clear.
          return RecvEvent{f, RecvCheck::not_encrypted, f.payload.data};
        } else if constexpr (std::is_same_v<T, proto::Ping>) {
          rpc_ping_id_.assign(m.id);
          return PingEvent{};
        } else if constexpr (std::is_same_v<T, proto::Pong>) {
          return std::nullopt;
        } else if constexpr (std::is_same_v<T, proto::Disconnect>) {
          return DisconnectEvent{f.reason_code, f.reason};
        } else {
          return OtherFrameEvent{m.frame};
        }
      },
      m.frame);
}

std::optional<ClientEvent> ClientSession::rpc_response(std::string_view text) {
  jsonrpc::Message& m = rpc_msg_;
  const char prefix = m.id.empty() ? 0 : m.id[0];
  const uint64_t n = request_number(m.id);
  if (m.has_error) {
    rpc_error_ = "JSON-RPC error " + std::to_string(m.error.code) + ": " + std::string(m.error.message);
    if (state_ == State::awaiting_connack) {
      state_ = State::failed;
      ConnackEvent ev;
      ev.error = "connect answered with " + rpc_error_;
      return ev;
    }
    if (prefix == 's' && n) {
      SendackEvent ev;
      ev.frame.client_seq = rpc_take(n);
      ev.frame.reason_code = m.error.code >= 2 && m.error.code <= 255 ? uint8_t(m.error.code) : 0;
      ev.rpc_error = true;
      ev.error_code = m.error.code;
      ev.error_message = m.error.message;
      return ev;
    }
    return rpc_fail("the server answered " + (m.id.empty() ? std::string() : "request " + std::string(m.id) + " ") +
                    "with " + rpc_error_);
  }
  const proto::FrameType want = answer_type(prefix);
  if (state_ == State::awaiting_connack && want != proto::FrameType::connack)
    return rpc_fail("expected the connect result, got an answer to '" + std::string(m.id) + "'");
  if (want == kNoAnswer || !n) return std::nullopt;  // e.g. a 2.1 recvack's answer
  if (proto::type_of(m.frame) != want) {
    // Decoded without knowing the request, the result's shape was guessed
    // (a refused send has no messageId): read it again as the answer it is.
    jsonrpc::DecodeOptions opts;
    opts.compat = cfg_.jsonrpc_compat;
    opts.answers = request_method(prefix);
    if (auto err = jsonrpc::decode(text, m, rpc_scratch_, opts))
      return rpc_fail("JSON-RPC from the server: " + err->describe());
    if (proto::type_of(m.frame) != want) return rpc_fail("JSON-RPC from the server: unexpected answer to " + std::string(m.id));
  }
  if (want == proto::FrameType::pong) return PongEvent{};
  if (want == proto::FrameType::sendack) {
    SendackEvent ev;
    ev.frame = std::get<proto::Sendack>(m.frame);
    ev.frame.client_seq = rpc_take(n);
    return ev;
  }
  if (state_ != State::awaiting_connack) return std::nullopt;  // a second connect result
  const auto& ca = std::get<proto::Connack>(m.frame);
  ConnackEvent ev;
  ev.reason_code = ca.reason_code;
  ev.success = ca.reason_code == jsonrpc::kReasonSuccess;
  ev.server_sent_version = ca.has_server_version;
  ev.version = ca.has_server_version ? proto::effective_version(ca.server_version) : version_;
  ev.time_diff = ca.time_diff;
  ev.node_id = ca.node_id;
  version_ = ev.version;
  state_ = ev.success ? State::connected : State::failed;
  return ev;
}

}  // namespace wkit::session
