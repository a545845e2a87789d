#pragma once
// Shared helpers for the conformance tests: loading the vector files and
// mapping the Go reference's field names and value forms onto our frames.
#include <gtest/gtest.h>

#include <deque>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "wkit/proto/codec.hpp"

namespace wkit::conformance {

using nlohmann::json;

// The one mapping between the Go struct field names used in the vectors and
// our each_field() names (frame.hpp). Header flags are separate (Header).
inline const std::map<std::string, std::string>& go_to_ours() {
  static const std::map<std::string, std::string> m = {
      // CONNECT
      {"Version", "version"}, {"DeviceFlag", "device_flag"}, {"DeviceID", "device_id"},
      {"UID", "uid"}, {"Token", "token"}, {"ClientTimestamp", "client_timestamp"},
      {"ClientKey", "client_key"},
      // CONNACK
      {"HasServerVersion", "has_server_version"}, {"ServerVersion", "server_version"},
      {"TimeDiff", "time_diff"}, {"ReasonCode", "reason_code"}, {"ServerKey", "server_key"},
      {"Salt", "salt"}, {"NodeId", "node_id"},
      // SEND / SENDACK / RECV / RECVACK
      {"Setting", "setting"}, {"ClientSeq", "client_seq"}, {"ClientMsgNo", "client_msg_no"},
      {"StreamNo", "stream_no"}, {"ChannelID", "channel_id"}, {"ChannelType", "channel_type"},
      {"Expire", "expire"}, {"MsgKey", "msg_key"}, {"Topic", "topic"}, {"Payload", "payload"},
      {"MessageID", "message_id"}, {"MessageSeq", "message_seq"}, {"FromUID", "from_uid"},
      {"StreamFlag", "stream_flag"}, {"StreamId", "stream_id"}, {"Timestamp", "timestamp"},
      // DISCONNECT / SUB / SUBACK / EVENT
      {"Reason", "reason"}, {"SubNo", "sub_no"}, {"Action", "action"}, {"Param", "param"},
      {"Id", "id"}, {"Type", "type"}, {"Data", "data"},
  };
  return m;
}
inline const std::map<std::string, std::string>& ours_to_go() {
  static const std::map<std::string, std::string> m = [] {
    std::map<std::string, std::string> r;
    for (const auto& [go, ours] : go_to_ours()) r[ours] = go;
    return r;
  }();
  return m;
}

inline std::string to_hex(std::string_view b) {
  static constexpr char d[] = "0123456789abcdef";
  std::string s;
  s.reserve(b.size() * 2);
  for (unsigned char c : b) {
    s += d[c >> 4];
    s += d[c & 15];
  }
  return s;
}
inline std::string from_hex(std::string_view h) {
  auto v = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    throw std::runtime_error("bad hex digit in vector");
  };
  if (h.size() % 2) throw std::runtime_error("odd hex length in vector");
  std::string out(h.size() / 2, '\0');
  for (size_t i = 0; i < out.size(); ++i) out[i] = char(v(h[2 * i]) << 4 | v(h[2 * i + 1]));
  return out;
}

// Loads a vector file; a missing or unreadable file fails the calling test.
inline json load_vectors(const std::string& name) {
  const std::string path = std::string(WKIT_VECTORS_DIR) + "/" + name;
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read vector file " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return json::parse(ss.str());
}

// Keeps the bytes that frame views point to alive for the test's duration.
struct Arena {
  std::deque<std::string> store;
  std::string_view keep(std::string s) { return store.emplace_back(std::move(s)); }
};

// Builds our frame from the vectors' Go-named `fields`.
inline proto::Frame frame_from_go(const std::string& type, const json& fields, Arena& arena) {
  proto::FrameType t;
  if (!proto::frame_type_from_name(type, t)) throw std::runtime_error("unknown type " + type);
  proto::Frame f = proto::make_frame(t);
  std::visit(
      [&](auto& x) {
        auto flag = [&](const char* k) { return fields.contains(k) && fields[k].get<bool>(); };
        x.header = proto::Header{flag("DUP"), flag("SyncOnce"), flag("RedDot"), flag("NoPersist")};
        proto::each_field_mut(x, [&](std::string_view name, auto& val) {
          const auto& go = ours_to_go().at(std::string(name));
          if (!fields.contains(go)) return;  // e.g. SENDACK ClientMsgNo in the 2.x vectors
          const json& j = fields[go];
          using T = std::remove_cvref_t<decltype(val)>;
          if constexpr (std::is_same_v<T, std::string_view>) {
            val = fields.contains(go + "_hex") ? arena.keep(from_hex(fields[go + "_hex"].get<std::string>()))
                                               : arena.keep(j.get<std::string>());
          } else if constexpr (std::is_same_v<T, proto::Bytes>) {
            val.data = arena.keep(from_hex(j.get<std::string>()));
          } else if constexpr (std::is_same_v<T, proto::Setting>) {
            val.bits = j.get<uint8_t>();
          } else if constexpr (std::is_same_v<T, bool>) {
            val = j.get<bool>();
          } else if constexpr (std::is_signed_v<T>) {
            val = static_cast<T>(j.get<int64_t>());
          } else {
            // Go holds ClientSeq in 64 bits but writes 32: the low 32 bits are
            // what reaches the wire, which is what our u32 field holds.
            val = static_cast<T>(j.get<uint64_t>());
          }
        });
      },
      f);
  return f;
}

// Our frame rendered with the vectors' Go names and value forms.
inline json frame_to_go(const proto::Frame& f) {
  json out = json::object();
  std::visit(
      [&](const auto& x) {
        using F = std::remove_cvref_t<decltype(x)>;
        if constexpr (!std::is_same_v<F, proto::Connack>) {
          out["DUP"] = x.header.dup;
          out["SyncOnce"] = x.header.sync_once;
          out["RedDot"] = x.header.red_dot;
          out["NoPersist"] = x.header.no_persist;
        }
        x.each_field([&](std::string_view name, const auto& val) {
          const auto& go = ours_to_go().at(std::string(name));
          using T = std::remove_cvref_t<decltype(val)>;
          if constexpr (std::is_same_v<T, std::string_view>) {
            out[go] = std::string(val);
            out[go + "_hex"] = to_hex(val);
          } else if constexpr (std::is_same_v<T, proto::Bytes>) {
            out[go] = to_hex(val.data);
          } else if constexpr (std::is_same_v<T, proto::Setting>) {
            out[go] = val.bits;
          } else {
            out[go] = val;
          }
        });
      },
      f);
  return out;
}

// Compares every key of the expected Go-named object with ours. Strings are
// compared as bytes (an "X_hex" key, when present, gives X's exact bytes).
inline void expect_fields(const json& expected, const proto::Frame& f, const std::string& ctx) {
  const json ours = frame_to_go(f);
  for (const auto& [k, v] : expected.items()) {
    if (k.size() > 4 && k.compare(k.size() - 4, 4, "_hex") == 0) continue;
    ASSERT_TRUE(ours.contains(k)) << ctx << ": we have no field " << k;
    if (expected.contains(k + "_hex")) {
      EXPECT_EQ(ours[k + "_hex"], expected[k + "_hex"]) << ctx << ": " << k;
    } else if (v.is_string() && ours.contains(k + "_hex")) {
      EXPECT_EQ(ours[k + "_hex"].get<std::string>(), to_hex(v.get<std::string>())) << ctx << ": " << k;
    } else if (v.is_number_unsigned() || (v.is_number_integer() && v.get<int64_t>() >= 0)) {
      EXPECT_TRUE(ours[k].is_number() || ours[k].is_boolean()) << ctx << ": " << k;
      EXPECT_EQ(ours[k].is_boolean() ? uint64_t(ours[k].get<bool>()) : ours[k].get<uint64_t>(),
                v.get<uint64_t>())
          << ctx << ": " << k;
    } else if (v.is_number_integer()) {
      EXPECT_EQ(ours[k].get<int64_t>(), v.get<int64_t>()) << ctx << ": " << k;
    } else {
      EXPECT_EQ(ours[k], v) << ctx << ": " << k;
    }
  }
}

}  // namespace wkit::conformance
