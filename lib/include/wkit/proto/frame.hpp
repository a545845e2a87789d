#pragma once
// The WKProto frame model: one plain struct per frame type (docs/protocol.md section 2).
//
// Strings and byte fields are views. A decoded frame points into the buffer it
// was decoded from; use OwnedFrame (owned_frame.hpp) when a frame must outlive
// that buffer. Each struct lists its fields once, in wire order, in
// each_field(); the JSON renderer, the conformance tests and the property tests
// all walk that list, so a field cannot be forgotten in one place.
#include <cstdint>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>

namespace wkit::proto {

enum class FrameType : uint8_t {
  connect = 1, connack = 2, send = 3, sendack = 4, recv = 5, recvack = 6,
  ping = 7, pong = 8, disconnect = 9, sub = 10, suback = 11, event = 12,
};
std::string_view frame_type_name(FrameType t);  // "SEND", "RECVACK", ...
bool frame_type_from_name(std::string_view upper_or_lower, FrameType& out);

// Highest protocol version wkit speaks; versions above behave like it.
inline constexpr int kMaxProtoVersion = 6;

// Header byte bits 3..0. For CONNACK, bit 0 is HasServerVersion instead of
// NoPersist (see Connack::has_server_version).
struct Header {
  bool dup = false;
  bool sync_once = false;
  bool red_dot = false;
  bool no_persist = false;
  bool operator==(const Header&) const = default;
};

// The low four bits of a frame's first byte for this header.
inline uint8_t header_flags(const Header& h) {
  return (h.dup ? 0x08 : 0) | (h.sync_once ? 0x04 : 0) | (h.red_dot ? 0x02 : 0) | (h.no_persist ? 0x01 : 0);
}

// Raw bytes (payloads, EVENT data). Rendered as base64/hex, never as text.
struct Bytes {
  std::string_view data;
  bool operator==(const Bytes&) const = default;
};

// SEND/RECV/SUB setting byte.
struct Setting {
  static constexpr uint8_t kReceipt = 0x80, kSignal = 0x20, kNoEncrypt = 0x10,
                           kTopic = 0x08, kStream = 0x02;
  uint8_t bits = 0;
  bool receipt() const { return bits & kReceipt; }
  bool signal() const { return bits & kSignal; }
  bool no_encrypt() const { return bits & kNoEncrypt; }
  bool topic() const { return bits & kTopic; }
  bool stream() const { return bits & kStream; }
  bool operator==(const Setting&) const = default;
};

enum class DeviceFlag : uint8_t { app = 0, web = 1, pc = 2, system = 99 };

struct Connect {
  static constexpr FrameType kType = FrameType::connect;
  Header header;
  uint8_t version = 0;  // the client's requested protocol version
  uint8_t device_flag = 0;
  std::string_view device_id, uid, token;
  int64_t client_timestamp = 0;  // milliseconds
  std::string_view client_key;   // base64(X25519 public key)
  template <class V> void each_field(V&& v) const {
    v("version", version); v("device_flag", device_flag); v("device_id", device_id);
    v("uid", uid); v("token", token); v("client_timestamp", client_timestamp);
    v("client_key", client_key);
  }
};

struct Connack {
  static constexpr FrameType kType = FrameType::connack;
  Header header;                    // only no_persist (= has_server_version) is written
  bool has_server_version = false;  // header bit 0
  uint8_t server_version = 0;       // present iff has_server_version
  int64_t time_diff = 0;
  uint8_t reason_code = 0;
  std::string_view server_key, salt;
  uint64_t node_id = 0;  // present at version >= 4
  template <class V> void each_field(V&& v) const {
    v("has_server_version", has_server_version); v("server_version", server_version);
    v("time_diff", time_diff); v("reason_code", reason_code); v("server_key", server_key);
    v("salt", salt); v("node_id", node_id);
  }
};

struct Send {
  static constexpr FrameType kType = FrameType::send;
  Header header;
  Setting setting;
  uint32_t client_seq = 0;
  std::string_view client_msg_no;
  std::string_view stream_no;  // 2 <= v < 5 and setting.stream()
  std::string_view channel_id;
  uint8_t channel_type = 0;
  uint32_t expire = 0;  // v >= 3
  std::string_view msg_key;
  std::string_view topic;  // setting.topic()
  Bytes payload;
  template <class V> void each_field(V&& v) const {
    v("setting", setting); v("client_seq", client_seq); v("client_msg_no", client_msg_no);
    v("stream_no", stream_no); v("channel_id", channel_id); v("channel_type", channel_type);
    v("expire", expire); v("msg_key", msg_key); v("topic", topic); v("payload", payload);
  }
};

struct Sendack {
  static constexpr FrameType kType = FrameType::sendack;
  Header header;
  int64_t message_id = 0;
  uint32_t client_seq = 0;
  uint64_t message_seq = 0;  // u32 on the wire below v6
  uint8_t reason_code = 0;
  std::string_view client_msg_no;  // trailing, optional; written when non-empty
  template <class V> void each_field(V&& v) const {
    v("message_id", message_id); v("client_seq", client_seq); v("message_seq", message_seq);
    v("reason_code", reason_code); v("client_msg_no", client_msg_no);
  }
};

struct Recv {
  static constexpr FrameType kType = FrameType::recv;
  Header header;
  Setting setting;
  std::string_view msg_key, from_uid, channel_id;
  uint8_t channel_type = 0;
  uint32_t expire = 0;  // v >= 3
  std::string_view client_msg_no;
  uint8_t stream_flag = 0;  // these three: 2 <= v < 5 and setting.stream()
  std::string_view stream_no;
  uint64_t stream_id = 0;
  int64_t message_id = 0;
  uint64_t message_seq = 0;  // u32 on the wire below v6
  int32_t timestamp = 0;     // seconds
  std::string_view topic;    // setting.topic()
  Bytes payload;
  template <class V> void each_field(V&& v) const {
    v("setting", setting); v("msg_key", msg_key); v("from_uid", from_uid);
    v("channel_id", channel_id); v("channel_type", channel_type); v("expire", expire);
    v("client_msg_no", client_msg_no); v("stream_flag", stream_flag); v("stream_no", stream_no);
    v("stream_id", stream_id); v("message_id", message_id); v("message_seq", message_seq);
    v("timestamp", timestamp); v("topic", topic); v("payload", payload);
  }
};

struct Recvack {
  static constexpr FrameType kType = FrameType::recvack;
  Header header;
  int64_t message_id = 0;
  uint64_t message_seq = 0;
  template <class V> void each_field(V&& v) const {
    v("message_id", message_id); v("message_seq", message_seq);
  }
};

struct Ping {
  static constexpr FrameType kType = FrameType::ping;
  Header header;
  template <class V> void each_field(V&&) const {}
};

struct Pong {
  static constexpr FrameType kType = FrameType::pong;
  Header header;
  template <class V> void each_field(V&&) const {}
};

struct Disconnect {
  static constexpr FrameType kType = FrameType::disconnect;
  Header header;
  uint8_t reason_code = 0;
  std::string_view reason;
  template <class V> void each_field(V&& v) const {
    v("reason_code", reason_code); v("reason", reason);
  }
};

struct Sub {
  static constexpr FrameType kType = FrameType::sub;
  Header header;
  Setting setting;
  std::string_view sub_no, channel_id;
  uint8_t channel_type = 0;
  uint8_t action = 0;  // 0 subscribe, 1 unsubscribe
  std::string_view param;
  template <class V> void each_field(V&& v) const {
    v("setting", setting); v("sub_no", sub_no); v("channel_id", channel_id);
    v("channel_type", channel_type); v("action", action); v("param", param);
  }
};

struct Suback {
  static constexpr FrameType kType = FrameType::suback;
  Header header;
  std::string_view sub_no, channel_id;
  uint8_t channel_type = 0;
  uint8_t action = 0;
  uint8_t reason_code = 0;
  template <class V> void each_field(V&& v) const {
    v("sub_no", sub_no); v("channel_id", channel_id); v("channel_type", channel_type);
    v("action", action); v("reason_code", reason_code);
  }
};

struct Event {
  static constexpr FrameType kType = FrameType::event;
  Header header;
  std::string_view id, type;
  int64_t timestamp = 0;
  Bytes data;
  template <class V> void each_field(V&& v) const {
    v("id", id); v("type", type); v("timestamp", timestamp); v("data", data);
  }
};

using Frame = std::variant<Connect, Connack, Send, Sendack, Recv, Recvack, Ping, Pong,
                           Disconnect, Sub, Suback, Event>;

inline FrameType type_of(const Frame& f) {
  return std::visit([](const auto& x) { return std::decay_t<decltype(x)>::kType; }, f);
}

// Visits the fields of a mutable frame struct through the same each_field()
// list (so setters, parsers and generators cannot drift from it). The objects
// are not const, so casting the const view away is well defined.
template <class T, class V>
void each_field_mut(T& frame, V&& v) {
  std::as_const(frame).each_field([&](std::string_view name, const auto& field) {
    v(name, const_cast<std::remove_cvref_t<decltype(field)>&>(field));
  });
}

// A default-valued frame of type `t`.
inline Frame make_frame(FrameType t) {
  switch (t) {
    case FrameType::connect: return Connect{};
    case FrameType::connack: return Connack{};
    case FrameType::send: return Send{};
    case FrameType::sendack: return Sendack{};
    case FrameType::recv: return Recv{};
    case FrameType::recvack: return Recvack{};
    case FrameType::ping: return Ping{};
    case FrameType::pong: return Pong{};
    case FrameType::disconnect: return Disconnect{};
    case FrameType::sub: return Sub{};
    case FrameType::suback: return Suback{};
    case FrameType::event: return Event{};
  }
  return Ping{};
}

inline Header& header_of(Frame& f) {
  return std::visit([](auto& x) -> Header& { return x.header; }, f);
}
inline const Header& header_of(const Frame& f) {
  return std::visit([](const auto& x) -> const Header& { return x.header; }, f);
}

// Names of channel types 1..12 ("person", "group", ...); "" when unknown.
std::string_view channel_type_name(uint8_t t);
// "app", "web", "pc", "system"; "" when unknown.
std::string_view device_flag_name(uint8_t f);

// Reason codes 0..29 (docs/protocol.md section 2). Unknown codes render as "reason_N".
std::string_view reason_code_name(uint8_t code);

}  // namespace wkit::proto
