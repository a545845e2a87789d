// Display names for frame types, reason codes, channel types and device flags
// (docs/protocol.md sections 1 and 2).
#include <array>
#include <cctype>
#include <string>

#include "wkit/proto/frame.hpp"

namespace wkit::proto {
namespace {
constexpr std::array<std::string_view, 13> kTypeNames = {
    "", "CONNECT", "CONNACK", "SEND", "SENDACK", "RECV", "RECVACK",
    "PING", "PONG", "DISCONNECT", "SUB", "SUBACK", "EVENT"};

constexpr std::array<std::string_view, 30> kReasonNames = {
    "unknown", "success", "auth_fail", "subscriber_not_exist", "in_blacklist",
    "channel_not_exist", "user_not_on_node", "sender_offline", "msg_key_error",
    "payload_decode_error", "forward_send_packet_error", "not_allow_send", "connect_kick",
    "not_in_whitelist", "query_token_error", "system_error", "channel_id_error",
    "node_match_error", "node_not_match", "ban", "not_support_header", "client_key_is_empty",
    "rate_limit", "not_support_channel_type", "disband", "send_ban", "channel_deleting",
    "protocol_upgrade_required", "idempotency_conflict", "message_seq_exhausted"};

constexpr std::array<std::string_view, 13> kChannelTypeNames = {
    "", "person", "group", "customer_service", "community", "community_topic", "info",
    "data", "temp", "live", "visitors", "agent", "agent_group"};

// Names for codes outside the table, built once ("reason_27" style).
struct UnknownReasonNames {
  std::array<std::array<char, 12>, 256> text{};
  std::array<uint8_t, 256> len{};
  UnknownReasonNames() {
    for (int c = 0; c < 256; ++c) {
      std::string s = "reason_" + std::to_string(c);
      for (size_t i = 0; i < s.size(); ++i) text[c][i] = s[i];
      len[c] = static_cast<uint8_t>(s.size());
    }
  }
};
}  // namespace

std::string_view frame_type_name(FrameType t) {
  const auto i = static_cast<size_t>(t);
  return i >= 1 && i < kTypeNames.size() ? kTypeNames[i] : std::string_view("UNKNOWN");
}

bool frame_type_from_name(std::string_view name, FrameType& out) {
  for (size_t i = 1; i < kTypeNames.size(); ++i) {
    const auto n = kTypeNames[i];
    if (n.size() != name.size()) continue;
    bool eq = true;
    for (size_t k = 0; k < n.size() && eq; ++k)
      eq = std::toupper(static_cast<unsigned char>(name[k])) == n[k];
    if (eq) {
      out = static_cast<FrameType>(i);
      return true;
    }
  }
  return false;
}

std::string_view reason_code_name(uint8_t code) {
  if (code < kReasonNames.size()) return kReasonNames[code];
  static const UnknownReasonNames unknown;
  return {unknown.text[code].data(), unknown.len[code]};
}

std::string_view channel_type_name(uint8_t t) {
  return t < kChannelTypeNames.size() ? kChannelTypeNames[t] : std::string_view();
}

std::string_view device_flag_name(uint8_t f) {
  switch (f) {
    case 0: return "app";
    case 1: return "web";
    case 2: return "pc";
    case 99: return "system";
    default: return "";
  }
}

}  // namespace wkit::proto
