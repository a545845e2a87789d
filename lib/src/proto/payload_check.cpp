#include "wkit/proto/payload_check.hpp"

#include "wkit/proto/json.hpp"

namespace wkit::proto {

bool check_payload(crypto::Cipher& cipher, const Frame& f, PayloadCheck& out) {
  out.encrypted = false;
  out.decrypted = false;
  out.plain.clear();
  out.decrypt_error.clear();
  out.msg_key_ok = false;
  out.msg_key_expected.clear();
  std::string_view payload, msg_key;
  if (const auto* s = std::get_if<Send>(&f)) {
    if (s->setting.no_encrypt()) return false;
    payload = s->payload.data;
    msg_key = s->msg_key;
    cipher.send_msg_key(s->client_seq, s->client_msg_no, s->channel_id, s->channel_type, payload,
                        out.msg_key_expected);
  } else if (const auto* r = std::get_if<Recv>(&f)) {
    if (r->setting.no_encrypt()) return false;
    payload = r->payload.data;
    msg_key = r->msg_key;
    cipher.recv_msg_key(r->message_id, r->message_seq, r->client_msg_no, r->timestamp,
                        r->from_uid, r->channel_id, r->channel_type, payload,
                        out.msg_key_expected);
  } else {
    return false;
  }
  out.encrypted = true;
  out.msg_key_ok = msg_key == out.msg_key_expected;
  if (auto err = cipher.open(payload, out.plain)) {
    out.plain.clear();
    out.decrypt_error = err->describe();
  } else {
    out.decrypted = true;
  }
  return true;
}

template <class J>
void append_payload_check(const PayloadCheck& c, J& out) {
  if (c.decrypted) {
    if (is_valid_utf8(c.plain))
      out["payload_plain"] = c.plain;
    else
      out["payload_plain_base64"] = crypto::base64_encode(c.plain);
    out["payload_plain_size"] = c.plain.size();
  } else {
    out["decrypt_error"] = c.decrypt_error;
  }
  out["msg_key_ok"] = c.msg_key_ok;
  if (!c.msg_key_ok) out["msg_key_expected"] = c.msg_key_expected;
}

template void append_payload_check<Json>(const PayloadCheck&, Json&);
template void append_payload_check<nlohmann::json>(const PayloadCheck&, nlohmann::json&);

}  // namespace wkit::proto
