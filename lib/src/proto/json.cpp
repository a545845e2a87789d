#include "wkit/proto/json.hpp"

#include <type_traits>

#include "wkit/crypto/crypto.hpp"
#include "wkit/util/utf8.hpp"

namespace wkit::proto {
namespace {

using util::utf8_seq_len;

std::string utf8_lossy(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 8);
  for (size_t i = 0; i < s.size();) {
    const size_t n = utf8_seq_len(s, i);
    if (n == 0) {
      out += "\xEF\xBF\xBD";  // U+FFFD
      ++i;
    } else {
      out.append(s, i, n);
      i += n;
    }
  }
  return out;
}

std::string hex_of(std::string_view b) {
  std::string s(b.size() * 2, '\0');
  crypto::hex_encode_to(reinterpret_cast<const unsigned char*>(b.data()), b.size(), s.data());
  return s;
}

std::string base64_of(std::string_view b) {
  std::string s;
  crypto::base64_encode_to(b, s);
  return s;
}

template <class J>
void put_string(J& out, const std::string& name, std::string_view v) {
  if (is_valid_utf8(v)) {
    out[name] = std::string(v);
  } else {
    out[name] = utf8_lossy(v);
    out[name + "_hex"] = hex_of(v);
  }
}

std::string_view action_name(uint8_t a) {
  return a == 0 ? "subscribe" : a == 1 ? "unsubscribe" : "";
}

template <class T>
constexpr bool is_64bit_int = std::is_integral_v<T> && sizeof(T) == 8;

}  // namespace

bool is_valid_utf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    const size_t n = utf8_seq_len(s, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

bool bytes_form_from_name(std::string_view name, BytesForm& out) {
  if (name == "base64") out = BytesForm::base64;
  else if (name == "hex") out = BytesForm::hex;
  else if (name == "both") out = BytesForm::both;
  else return false;
  return true;
}

template <class J>
void append_frame_json(const Frame& f, int version, J& out, const JsonOptions& opts) {
  out["frame_type"] = std::string(frame_type_name(type_of(f)));
  const Header& h = header_of(f);
  J header = J::object();
  header["dup"] = h.dup;
  header["sync_once"] = h.sync_once;
  header["red_dot"] = h.red_dot;
  header["no_persist"] = h.no_persist;
  out["header"] = std::move(header);
  const bool is_sendack = type_of(f) == FrameType::sendack;
  std::visit(
      [&](const auto& x) {
        x.each_field([&](std::string_view sv_name, const auto& v) {
          if (!opts.show_absent && !field_on_wire(f, sv_name, version) &&
              !(is_sendack && sv_name == "client_msg_no"))
            return;
          const std::string name(sv_name);
          using T = std::remove_cvref_t<decltype(v)>;
          if constexpr (std::is_same_v<T, std::string_view>) {
            put_string(out, name, v);
          } else if constexpr (std::is_same_v<T, Bytes>) {
            if (opts.bytes != BytesForm::hex) out[name] = base64_of(v.data);
            if (opts.bytes != BytesForm::base64) out[name + "_hex"] = hex_of(v.data);
            out[name + "_size"] = v.data.size();
          } else if constexpr (std::is_same_v<T, Setting>) {
            out[name] = v.bits;
            J flags = J::object();
            flags["receipt"] = v.receipt();
            flags["signal"] = v.signal();
            flags["no_encrypt"] = v.no_encrypt();
            flags["topic"] = v.topic();
            flags["stream"] = v.stream();
            out[name + "_flags"] = std::move(flags);
          } else if constexpr (std::is_same_v<T, bool>) {
            out[name] = v;
          } else {
            out[name] = v;
            if constexpr (is_64bit_int<T>) out[name + "str"] = std::to_string(v);
            if constexpr (std::is_same_v<T, uint8_t>) {
              if (name == "reason_code") out["reason_code_name"] = std::string(reason_code_name(v));
              if (name == "channel_type" && !channel_type_name(v).empty())
                out["channel_type_name"] = std::string(channel_type_name(v));
              if (name == "device_flag" && !device_flag_name(v).empty())
                out["device_flag_name"] = std::string(device_flag_name(v));
              if (name == "action" && !action_name(v).empty())
                out["action_name"] = std::string(action_name(v));
            }
          }
        });
      },
      f);
}

template void append_frame_json<Json>(const Frame&, int, Json&, const JsonOptions&);
template void append_frame_json<nlohmann::json>(const Frame&, int, nlohmann::json&,
                                                const JsonOptions&);

Json frame_to_json(const Frame& f, int version, const JsonOptions& opts) {
  Json out = Json::object();
  append_frame_json(f, version, out, opts);
  return out;
}

template <class J>
void append_decode_info(const DecodeResult& r, uint64_t offset, J& out) {
  out["offset"] = offset;
  out["size"] = r.consumed;
  out["remaining_length"] = r.remaining_length;
  if (r.extra_body_bytes) out["extra_body_bytes"] = r.extra_body_bytes;
  if (r.layout != DecodeLayout::standard) out["layout"] = std::string(decode_layout_name(r.layout));
}

template void append_decode_info<Json>(const DecodeResult&, uint64_t, Json&);
template void append_decode_info<nlohmann::json>(const DecodeResult&, uint64_t, nlohmann::json&);

std::string header_flags_text(const Frame& f) {
  const Header& h = header_of(f);
  std::string s;
  auto add = [&](bool on, const char* n) {
    if (!on) return;
    if (!s.empty()) s += '|';
    s += n;
  };
  add(h.dup, "DUP");
  add(h.sync_once, "SYNC_ONCE");
  add(h.red_dot, "RED_DOT");
  add(h.no_persist, type_of(f) == FrameType::connack ? "HAS_SERVER_VERSION" : "NO_PERSIST");
  return s.empty() ? "-" : s;
}

std::string setting_text(Setting st) {
  std::string s;
  auto add = [&](bool on, const char* n) {
    if (!on) return;
    if (!s.empty()) s += '|';
    s += n;
  };
  add(st.receipt(), "receipt");
  add(st.signal(), "signal");
  add(st.no_encrypt(), "no_encrypt");
  add(st.topic(), "topic");
  add(st.stream(), "stream");
  return s.empty() ? "-" : s;
}

std::string frame_summary(const Frame& f, int version) {
  std::string s;
  auto sep = [&] {
    if (!s.empty()) s += ' ';
  };
  std::visit(
      [&](const auto& x) {
        x.each_field([&](std::string_view name, const auto& v) {
          if (!field_on_wire(f, name, version)) return;
          using T = std::remove_cvref_t<decltype(v)>;
          if constexpr (std::is_same_v<T, std::string_view>) {
            if (v.empty()) return;
            sep();
            s.append(name).append("=");
            bool printable = is_valid_utf8(v);
            for (unsigned char c : v)
              if (c < 0x20 || c == 0x7f) printable = false;
            if (!printable) {
              s += "0x" + hex_of(v.substr(0, 16)) + (v.size() > 16 ? "..." : "");
            } else if (v.size() > 48) {
              size_t cut = 45;
              while (cut > 0 && (static_cast<unsigned char>(v[cut]) & 0xC0) == 0x80) --cut;
              s.append(v.substr(0, cut)).append("...");
            } else {
              s.append(v);
            }
          } else if constexpr (std::is_same_v<T, Bytes>) {
            sep();
            s.append(name).append("=").append(std::to_string(v.data.size())).append("B");
          } else if constexpr (std::is_same_v<T, Setting>) {
            if (v.bits == 0) return;
            sep();
            s.append(name).append("=").append(setting_text(v));
          } else if constexpr (std::is_same_v<T, bool>) {
            if (!v) return;
            sep();
            s.append(name);
          } else {
            sep();
            s.append(name).append("=").append(std::to_string(v));
            if constexpr (std::is_same_v<T, uint8_t>) {
              if (name == "reason_code") s.append("(").append(reason_code_name(v)).append(")");
            }
          }
        });
      },
      f);
  return s;
}

}  // namespace wkit::proto
