#include "wkit/app/client_send_http.hpp"

#include <charconv>
#include <nlohmann/json.hpp>

#include "wkit/crypto/crypto.hpp"
#include "wkit/util/json_id.hpp"

namespace wkit::app {

namespace {

using nlohmann::json;

void append_json_string(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += ch;
    } else if (c < 0x20) {
      out += "\\u00";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += ch;
    }
  }
  out += '"';
}

using util::read_json_id;

bool read_message_id(const json& o, int64_t& out) {
  if (o.contains("message_idstr") && read_json_id(o["message_idstr"], out)) return true;
  return o.contains("message_id") && read_json_id(o["message_id"], out);
}

// "msg" (2.x), "error" (3.x), else the start of the body.
std::string message_of(const json& j, std::string_view body) {
  if (j.is_object())
    for (const char* k : {"error", "msg", "message"})
      if (j.contains(k) && j[k].is_string()) return j[k].get<std::string>();
  std::string s(body.substr(0, 120));
  for (char& ch : s)
    if (static_cast<unsigned char>(ch) < 0x20) ch = ' ';
  return s.empty() ? "(empty body)" : s;
}

MessageSendAnswer unknown(std::string why) {
  MessageSendAnswer a;
  a.why = std::move(why);
  return a;
}

}  // namespace

void message_send_body(std::string& out, std::string_view from_uid, std::string_view channel_id, uint8_t channel_type,
                       std::string_view client_msg_no, std::string_view payload) {
  out.clear();
  out += "{\"from_uid\":";
  append_json_string(out, from_uid);
  out += ",\"channel_id\":";
  append_json_string(out, channel_id);
  out += ",\"channel_type\":";
  out += std::to_string(channel_type);
  out += ",\"client_msg_no\":";
  append_json_string(out, client_msg_no);
  out += ",\"payload\":\"";
  crypto::base64_encode_to(payload, out);
  out += "\"}";
}

MessageSendAnswer read_message_send_answer(int http_status, std::string_view body, ApiGeneration generation) {
  const json j = json::parse(body, nullptr, false);
  const std::string status_text = "HTTP " + std::to_string(http_status);
  if (http_status != 200) {
    // 408 and 5xx ("retry required"): the server did not say what became of it.
    if (http_status == 408 || http_status >= 500 || http_status < 400)
      return unknown(status_text + ": " + message_of(j, body));
    MessageSendAnswer a;
    a.kind = MessageSendAnswer::Kind::refused;
    a.why = status_text + ": " + message_of(j, body);
    return a;
  }
  if (!j.is_object()) return unknown(status_text + " with a body that is not a JSON object (not POST /message/send?)");
  MessageSendAnswer a;
  if (generation == ApiGeneration::v3) {
    if (!j.contains("reason") || !j["reason"].is_number_unsigned() || j["reason"].get<uint64_t>() > 255)
      return unknown(status_text + " without a reason (a 2.x server? use --api-compat 2): " + message_of(j, body));
    a.reason = static_cast<uint8_t>(j["reason"].get<uint64_t>());
    if (a.reason != 1) {
      a.kind = MessageSendAnswer::Kind::refused;
      a.why = "reason " + std::to_string(a.reason);
      return a;
    }
    if (!read_message_id(j, a.message_id)) return unknown(status_text + ": reason 1 without a readable message_id");
    if (j.contains("message_seq") && j["message_seq"].is_number_unsigned()) a.message_seq = j["message_seq"].get<uint64_t>();
    a.kind = MessageSendAnswer::Kind::accepted;
    return a;
  }
  if (!j.contains("status") || !j["status"].is_number_unsigned())
    return unknown(status_text + " without a status (a 3.x server? use --api-compat 3): " + message_of(j, body));
  const uint64_t status = j["status"].get<uint64_t>();
  if (status != 200) {
    a.kind = MessageSendAnswer::Kind::refused;
    a.reason = status <= 255 ? static_cast<uint8_t>(status) : 0;
    a.why = "status " + std::to_string(status) + ": " + message_of(j, body);
    return a;
  }
  if (!j.contains("data") || !j["data"].is_object() || !read_message_id(j["data"], a.message_id))
    return unknown(status_text + ": status 200 without a readable data.message_id");
  a.reason = 1;
  a.kind = MessageSendAnswer::Kind::accepted;
  return a;
}

}  // namespace wkit::app
