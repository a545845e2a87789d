// WKProto frame codec (docs/protocol.md sections 1, 2 and 9).
//
// Each frame type has one body layout function template, instantiated three
// times: with a Reader (decode), a Sizer (encoded_size + validation) and a
// Writer (encode). Field order therefore exists once per direction-neutral
// layout for encoding, and the decoder mirrors it field by field.
#include "wkit/proto/codec.hpp"

#include <cstring>
#include <optional>
#include <string>
#include <type_traits>
#include <variant>

namespace wkit::proto {
namespace {

using u8 = uint8_t;

constexpr int kSeq64Version = 6;  // message_seq becomes u64
constexpr int kExpireVersion = 3;
constexpr int kNodeIdVersion = 4;

bool has_stream_fields(int v, Setting s) { return v >= 2 && v < 5 && s.stream(); }

// ---------------------------------------------------------------- decoding

#define WKIT_INLINE [[gnu::always_inline]] inline

struct Reader {
  const u8* b;
  size_t pos;
  size_t end;  // one past the body
  // Failure details; the message is only built if the decode fails.
  DecodeErrc errc = DecodeErrc::none;
  const char* field = "";
  size_t err_at = 0;
  size_t want = 0;

  WKIT_INLINE size_t left() const { return end - pos; }
  WKIT_INLINE bool fail(DecodeErrc e, const char* f, size_t at, size_t w) {
    errc = e;
    field = f;
    err_at = at;
    want = w;
    return false;
  }
  WKIT_INLINE bool need(const char* f, size_t n) {
    return left() >= n || fail(DecodeErrc::truncated_body, f, pos, n);
  }
  WKIT_INLINE bool get(const char* f, uint8_t& v) {
    if (!need(f, 1)) return false;
    v = b[pos++];
    return true;
  }
  WKIT_INLINE bool get(const char* f, uint32_t& v) {
    if (!need(f, 4)) return false;
    uint32_t x;
    std::memcpy(&x, b + pos, 4);
    v = __builtin_bswap32(x);
    pos += 4;
    return true;
  }
  WKIT_INLINE bool get(const char* f, int32_t& v) {
    uint32_t u;
    if (!get(f, u)) return false;
    v = static_cast<int32_t>(u);
    return true;
  }
  WKIT_INLINE bool get(const char* f, uint64_t& v) {
    if (!need(f, 8)) return false;
    uint64_t x;
    std::memcpy(&x, b + pos, 8);
    v = __builtin_bswap64(x);
    pos += 8;
    return true;
  }
  WKIT_INLINE bool get(const char* f, int64_t& v) {
    uint64_t u;
    if (!get(f, u)) return false;
    v = static_cast<int64_t>(u);
    return true;
  }
  WKIT_INLINE bool get(const char* f, Setting& s) { return get(f, s.bits); }
  WKIT_INLINE bool get(const char* f, std::string_view& s) {
    if (!need(f, 2)) return false;
    size_t n = size_t(b[pos]) << 8 | b[pos + 1];
    if (n & 0x8000) return fail(DecodeErrc::negative_string_length, f, pos, n);
    if (left() - 2 < n) return fail(DecodeErrc::truncated_body, f, pos, n + 2);
    s = std::string_view(reinterpret_cast<const char*>(b + pos + 2), n);
    pos += 2 + n;
    return true;
  }
  WKIT_INLINE bool seq(const char* f, uint64_t& v, int version) {
    if (version >= kSeq64Version) return get(f, v);
    uint32_t u;
    if (!get(f, u)) return false;
    v = u;
    return true;
  }
  WKIT_INLINE void rest(Bytes& out) {
    out.data = std::string_view(reinterpret_cast<const char*>(b + pos), left());
    pos = end;
  }
};

bool read_body(Reader& r, Connect& f, int) {
  return r.get("version", f.version) && r.get("device_flag", f.device_flag) &&
         r.get("device_id", f.device_id) && r.get("uid", f.uid) && r.get("token", f.token) &&
         r.get("client_timestamp", f.client_timestamp) && r.get("client_key", f.client_key);
}

bool read_body(Reader& r, Connack& f, int v) {
  if (f.has_server_version && !r.get("server_version", f.server_version)) return false;
  if (!(r.get("time_diff", f.time_diff) && r.get("reason_code", f.reason_code) &&
        r.get("server_key", f.server_key) && r.get("salt", f.salt)))
    return false;
  return v < kNodeIdVersion || r.get("node_id", f.node_id);
}

bool read_body(Reader& r, Send& f, int v) {
  if (!(r.get("setting", f.setting) && r.get("client_seq", f.client_seq) &&
        r.get("client_msg_no", f.client_msg_no)))
    return false;
  if (has_stream_fields(v, f.setting) && !r.get("stream_no", f.stream_no)) return false;
  if (!(r.get("channel_id", f.channel_id) && r.get("channel_type", f.channel_type))) return false;
  if (v >= kExpireVersion && !r.get("expire", f.expire)) return false;
  if (!r.get("msg_key", f.msg_key)) return false;
  if (f.setting.topic() && !r.get("topic", f.topic)) return false;
  r.rest(f.payload);
  return true;
}

bool sendack_core(Reader& r, Sendack& f, int v) {
  return r.get("message_id", f.message_id) && r.get("client_seq", f.client_seq) &&
         r.seq("message_seq", f.message_seq, v) && r.get("reason_code", f.reason_code);
}

// Standard layout first (with or without the trailing client_msg_no, exactly
// filling the body), then the client_msg_no-first layout the 3.x server also
// accepts, then the standard layout leniently (extra bytes reported), as the
// 2.x codec reads it.
bool read_sendack(Reader& r, Sendack& f, int v, DecodeLayout& layout) {
  Reader core = r;
  Sendack fc = f;
  const bool core_ok = sendack_core(core, fc, v);
  if (core_ok) {
    if (core.left() == 0) {
      f = fc;
      r = core;
      return true;
    }
    Reader tail = core;
    Sendack ft = fc;
    if (tail.get("client_msg_no", ft.client_msg_no) && tail.left() == 0) {
      f = ft;
      r = tail;
      return true;
    }
  }
  {
    Reader alt = r;
    Sendack fa = f;
    if (alt.get("message_id", fa.message_id) && alt.get("client_seq", fa.client_seq) &&
        alt.get("client_msg_no", fa.client_msg_no) && alt.seq("message_seq", fa.message_seq, v) &&
        alt.get("reason_code", fa.reason_code) && alt.left() == 0) {
      f = fa;
      r = alt;
      layout = DecodeLayout::sendack_client_msg_no_first;
      return true;
    }
  }
  if (!core_ok) {
    r = core;  // carries the error
    return false;
  }
  Reader tail = core;
  Sendack ft = fc;
  if (tail.get("client_msg_no", ft.client_msg_no)) {
    f = ft;
    r = tail;
  } else {
    f = fc;
    r = core;
  }
  return true;
}

// Templated so that decode_recv() can read into uninitialized locals.
template <class F>
WKIT_INLINE bool read_recv(Reader& r, F& f, int v) {
  if (!(r.get("setting", f.setting) && r.get("msg_key", f.msg_key) &&
        r.get("from_uid", f.from_uid) && r.get("channel_id", f.channel_id) &&
        r.get("channel_type", f.channel_type)))
    return false;
  if (v >= kExpireVersion && !r.get("expire", f.expire)) return false;
  if (!r.get("client_msg_no", f.client_msg_no)) return false;
  if (has_stream_fields(v, f.setting) &&
      !(r.get("stream_flag", f.stream_flag) && r.get("stream_no", f.stream_no) &&
        r.get("stream_id", f.stream_id)))
    return false;
  if (!(r.get("message_id", f.message_id) && r.seq("message_seq", f.message_seq, v) &&
        r.get("timestamp", f.timestamp)))
    return false;
  if (f.setting.topic() && !r.get("topic", f.topic)) return false;
  r.rest(f.payload);
  return true;
}

bool read_body(Reader& r, Recv& f, int v) { return read_recv(r, f, v); }

bool read_body(Reader& r, Recvack& f, int v) {
  return r.get("message_id", f.message_id) && r.seq("message_seq", f.message_seq, v);
}

bool read_body(Reader& r, Disconnect& f, int) {
  return r.get("reason_code", f.reason_code) && r.get("reason", f.reason);
}

bool read_body(Reader& r, Sub& f, int) {
  return r.get("setting", f.setting) && r.get("sub_no", f.sub_no) &&
         r.get("channel_id", f.channel_id) && r.get("channel_type", f.channel_type) &&
         r.get("action", f.action) && r.get("param", f.param);
}

bool read_body(Reader& r, Suback& f, int) {
  return r.get("sub_no", f.sub_no) && r.get("channel_id", f.channel_id) &&
         r.get("channel_type", f.channel_type) && r.get("action", f.action) &&
         r.get("reason_code", f.reason_code);
}

bool read_body(Reader& r, Event& f, int) {
  if (!(r.get("id", f.id) && r.get("type", f.type) && r.get("timestamp", f.timestamp)))
    return false;
  r.rest(f.data);
  return true;
}

Header header_from(u8 h) {
  return Header{(h & 0x08) != 0, (h & 0x04) != 0, (h & 0x02) != 0, (h & 0x01) != 0};
}

std::string hex_byte(u8 b) {
  static constexpr char d[] = "0123456789abcdef";
  return std::string("0x") + d[b >> 4] + d[b & 15];
}

void set_error(DecodeResult& r, DecodeErrc e, size_t at, std::string msg) {
  r.status = DecodeStatus::error;
  r.errc = e;
  r.error = Error::input(std::move(msg), at);
}

// RECV is the hot frame of every receiving connection. Value-initializing
// the 168-byte struct (a `rep stos`) cost as much as reading the frame, so
// read into uninitialized locals and construct the frame once. Returns false
// on a malformed body (decode_body() then reads it again for the message).
bool decode_recv(DecodeResult& res, const u8* b, size_t body_at, size_t total, u8 h, int v) {
  struct {
    Setting setting;
    std::string_view msg_key, from_uid, channel_id;
    uint8_t channel_type;
    uint32_t expire = 0;
    std::string_view client_msg_no;
    uint8_t stream_flag = 0;
    std::string_view stream_no{};
    uint64_t stream_id = 0;
    int64_t message_id;
    uint64_t message_seq;
    int32_t timestamp;
    std::string_view topic{};
    Bytes payload;
  } x;
  Reader r{b, body_at, total};
  if (!read_recv(r, x, v)) return false;
  // Parenthesized aggregate initialization in place, in Recv's member order
  // (frame.hpp); a Recv{...} temporary would be copied with a `rep movs`.
#if defined(__cpp_aggregate_paren_init)
  res.frame.emplace<Recv>(header_from(h), x.setting, x.msg_key, x.from_uid, x.channel_id,
                          x.channel_type, x.expire, x.client_msg_no, x.stream_flag, x.stream_no,
                          x.stream_id, x.message_id, x.message_seq, x.timestamp, x.topic,
                          x.payload);
#else  // clang < 16
  res.frame.emplace<Recv>(Recv{header_from(h), x.setting, x.msg_key, x.from_uid, x.channel_id,
                               x.channel_type, x.expire, x.client_msg_no, x.stream_flag,
                               x.stream_no, x.stream_id, x.message_id, x.message_seq,
                               x.timestamp, x.topic, x.payload});
#endif
  res.status = DecodeStatus::ok;
  res.consumed = total;
  res.extra_body_bytes = 0;  // the payload takes the rest
  return true;
}

// Reads the body straight into res.frame (no intermediate copies: this is
// the hot path of every connection).
template <class T>
void decode_body(DecodeResult& res, const u8* b, size_t body_at, size_t total, u8 h, int v) {
  if constexpr (std::is_same_v<T, Recv>) {
    if (decode_recv(res, b, body_at, total, h, v)) return;
  }
  T& f = res.frame.template emplace<T>();
  f.header = header_from(h);
  if constexpr (std::is_same_v<T, Connack>) f.has_server_version = h & 0x01;
  Reader r{b, body_at, total};
  bool ok;
  if constexpr (std::is_same_v<T, Sendack>)
    ok = read_sendack(r, f, v, res.layout);
  else
    ok = read_body(r, f, v);
  if (!ok) {
    std::string msg = std::string(frame_type_name(T::kType)) + " " + r.field + ": ";
    if (r.errc == DecodeErrc::negative_string_length) {
      msg += "string length " + std::to_string(r.want) +
             " has the int16 sign bit set (strings are at most 32767 bytes)";
    } else {
      msg += "needs " + std::to_string(r.want) + " bytes but the body has " +
             std::to_string(r.end - r.err_at) + " left (remaining length " +
             std::to_string(total - body_at) + ")";
    }
    res.frame.template emplace<Ping>();  // no views into a frame that failed
    set_error(res, r.errc, r.err_at, std::move(msg));
    return;
  }
  res.status = DecodeStatus::ok;
  res.consumed = total;
  res.extra_body_bytes = static_cast<uint32_t>(r.left());
}

// ---------------------------------------------------------------- encoding

struct Sizer {
  FrameType type;
  const Limits& limits;
  size_t n = 0;
  std::optional<Error> err;

  [[gnu::cold]] [[gnu::noinline]] void fail(std::string what) {
    if (!err) err = Error::input(std::string(frame_type_name(type)) + " " + std::move(what));
  }
  WKIT_INLINE void put(const char*, uint8_t) { n += 1; }
  WKIT_INLINE void put(const char*, Setting) { n += 1; }
  WKIT_INLINE void put(const char*, uint32_t) { n += 4; }
  WKIT_INLINE void put(const char*, int32_t) { n += 4; }
  WKIT_INLINE void put(const char*, uint64_t) { n += 8; }
  WKIT_INLINE void put(const char*, int64_t) { n += 8; }
  WKIT_INLINE void put(const char* f, std::string_view s) {
    if (s.size() > Limits::kMaxString)
      fail(std::string(f) + ": string of " + std::to_string(s.size()) +
           " bytes exceeds the int16 length limit 32767");
    n += 2 + s.size();
  }
  WKIT_INLINE void seq(const char* f, uint64_t v, int version) {
    if (version < kSeq64Version && v > 0xFFFFFFFFull)
      fail(std::string(f) + " " + std::to_string(v) + " does not fit u32 at protocol version " +
           std::to_string(version) + " (u64 needs version 6)");
    n += version >= kSeq64Version ? 8 : 4;
  }
  WKIT_INLINE void rest(const char* f, Bytes b) {
    if (type == FrameType::send && b.data.size() > limits.max_send_payload)
      fail(std::string(f) + " of " + std::to_string(b.data.size()) + " bytes exceeds the limit " +
           std::to_string(limits.max_send_payload));
    n += b.data.size();
  }
};

struct Writer {
  char* p;
  WKIT_INLINE void put(const char*, uint8_t v) { *p++ = static_cast<char>(v); }
  WKIT_INLINE void put(const char*, Setting s) { *p++ = static_cast<char>(s.bits); }
  WKIT_INLINE void put(const char*, uint32_t v) {
    p[0] = char(v >> 24);
    p[1] = char(v >> 16);
    p[2] = char(v >> 8);
    p[3] = char(v);
    p += 4;
  }
  WKIT_INLINE void put(const char* f, int32_t v) { put(f, static_cast<uint32_t>(v)); }
  WKIT_INLINE void put(const char*, uint64_t v) {
    for (int i = 7; i >= 0; --i) *p++ = char(v >> (8 * i));
  }
  WKIT_INLINE void put(const char* f, int64_t v) { put(f, static_cast<uint64_t>(v)); }
  WKIT_INLINE void put(const char*, std::string_view s) {
    p[0] = char(s.size() >> 8);
    p[1] = char(s.size());
    if (!s.empty()) std::memcpy(p + 2, s.data(), s.size());
    p += 2 + s.size();
  }
  WKIT_INLINE void seq(const char* f, uint64_t v, int version) {
    if (version >= kSeq64Version)
      put(f, v);
    else
      put(f, static_cast<uint32_t>(v));
  }
  WKIT_INLINE void rest(const char*, Bytes b) {
    if (!b.data.empty()) std::memcpy(p, b.data.data(), b.data.size());
    p += b.data.size();
  }
};

template <class W>
void put_body(W& w, const Connect& f, int) {
  w.put("version", f.version);
  w.put("device_flag", f.device_flag);
  w.put("device_id", f.device_id);
  w.put("uid", f.uid);
  w.put("token", f.token);
  w.put("client_timestamp", f.client_timestamp);
  w.put("client_key", f.client_key);
}
template <class W>
void put_body(W& w, const Connack& f, int v) {
  if (f.has_server_version) w.put("server_version", f.server_version);
  w.put("time_diff", f.time_diff);
  w.put("reason_code", f.reason_code);
  w.put("server_key", f.server_key);
  w.put("salt", f.salt);
  if (v >= kNodeIdVersion) w.put("node_id", f.node_id);
}
template <class W>
void put_body(W& w, const Send& f, int v) {
  w.put("setting", f.setting);
  w.put("client_seq", f.client_seq);
  w.put("client_msg_no", f.client_msg_no);
  // Written and counted under the same condition: the 2.x encoder counted
  // stream_no at v5 without writing it (docs/protocol.md section 7).
  if (has_stream_fields(v, f.setting)) w.put("stream_no", f.stream_no);
  w.put("channel_id", f.channel_id);
  w.put("channel_type", f.channel_type);
  if (v >= kExpireVersion) w.put("expire", f.expire);
  w.put("msg_key", f.msg_key);
  if (f.setting.topic()) w.put("topic", f.topic);
  w.rest("payload", f.payload);
}
template <class W>
void put_body(W& w, const Sendack& f, int v) {
  w.put("message_id", f.message_id);
  w.put("client_seq", f.client_seq);
  w.seq("message_seq", f.message_seq, v);
  w.put("reason_code", f.reason_code);
  if (!f.client_msg_no.empty()) w.put("client_msg_no", f.client_msg_no);
}
template <class W>
void put_body(W& w, const Recv& f, int v) {
  w.put("setting", f.setting);
  w.put("msg_key", f.msg_key);
  w.put("from_uid", f.from_uid);
  w.put("channel_id", f.channel_id);
  w.put("channel_type", f.channel_type);
  if (v >= kExpireVersion) w.put("expire", f.expire);
  w.put("client_msg_no", f.client_msg_no);
  if (has_stream_fields(v, f.setting)) {
    w.put("stream_flag", f.stream_flag);
    w.put("stream_no", f.stream_no);
    w.put("stream_id", f.stream_id);
  }
  w.put("message_id", f.message_id);
  w.seq("message_seq", f.message_seq, v);
  w.put("timestamp", f.timestamp);
  if (f.setting.topic()) w.put("topic", f.topic);
  w.rest("payload", f.payload);
}
template <class W>
void put_body(W& w, const Recvack& f, int v) {
  w.put("message_id", f.message_id);
  w.seq("message_seq", f.message_seq, v);
}
template <class W>
void put_body(W&, const Ping&, int) {}
template <class W>
void put_body(W&, const Pong&, int) {}
template <class W>
void put_body(W& w, const Disconnect& f, int) {
  w.put("reason_code", f.reason_code);
  w.put("reason", f.reason);
}
template <class W>
void put_body(W& w, const Sub& f, int) {
  w.put("setting", f.setting);
  w.put("sub_no", f.sub_no);
  w.put("channel_id", f.channel_id);
  w.put("channel_type", f.channel_type);
  w.put("action", f.action);
  w.put("param", f.param);
}
template <class W>
void put_body(W& w, const Suback& f, int) {
  w.put("sub_no", f.sub_no);
  w.put("channel_id", f.channel_id);
  w.put("channel_type", f.channel_type);
  w.put("action", f.action);
  w.put("reason_code", f.reason_code);
}
template <class W>
void put_body(W& w, const Event& f, int) {
  w.put("id", f.id);
  w.put("type", f.type);
  w.put("timestamp", f.timestamp);
  w.rest("data", f.data);
}

bool is_single_byte(FrameType t) { return t == FrameType::ping || t == FrameType::pong; }

size_t varint_size(size_t n) { return n < 128 ? 1 : n < 16384 ? 2 : n < 2097152 ? 3 : 4; }

template <class T>
u8 header_byte_of(const T& f) {
  u8 h = static_cast<u8>(static_cast<u8>(T::kType) << 4);
  if constexpr (std::is_same_v<T, Ping> || std::is_same_v<T, Pong>) {
    return h;  // flags are never written for PING/PONG
  } else if constexpr (std::is_same_v<T, Connack>) {
    return h | (f.has_server_version ? 1 : 0);  // the only CONNACK flag written
  } else {
    return h | header_flags(f.header);
  }
}

// Body size and validation; returns the error or sets `body`.
template <class T>
Status size_body(const T& f, int v, const Limits& limits, size_t& body) {
  Sizer s{T::kType, limits, 0, std::nullopt};
  put_body(s, f, v);
  if (s.err) [[unlikely]]
    return s.err;
  if (s.n > limits.max_remaining_length) [[unlikely]]
    return Error::input(std::string(frame_type_name(T::kType)) + ": body of " +
                        std::to_string(s.n) + " bytes exceeds the remaining length limit " +
                        std::to_string(limits.max_remaining_length));
  body = s.n;
  return std::nullopt;
}

template <class T>
Result<size_t> encoded_size_of(const T& f, int version, const Limits& limits) {
  if constexpr (std::is_same_v<T, Ping> || std::is_same_v<T, Pong>) {
    return size_t{1};
  } else {
    size_t body = 0;
    if (auto err = size_body(f, effective_version(version), limits, body)) return *err;
    return 1 + varint_size(body) + body;
  }
}

template <class T>
Status encode_typed(const T& f, int version, std::string& out, const Limits& limits) {
  const u8 h = header_byte_of(f);
  if constexpr (std::is_same_v<T, Ping> || std::is_same_v<T, Pong>) {
    out.push_back(static_cast<char>(h));
    return std::nullopt;
  } else {
    const int v = effective_version(version);
    size_t body = 0;
    if (auto err = size_body(f, v, limits, body)) [[unlikely]]
      return err;
    const size_t old = out.size();
    out.resize(old + 1 + varint_size(body) + body);
    char* p = out.data() + old;
    *p++ = static_cast<char>(h);
    size_t n = body;
    do {
      u8 c = n & 0x7f;
      n >>= 7;
      if (n) c |= 0x80;
      *p++ = static_cast<char>(c);
    } while (n);
    Writer w{p};
    put_body(w, f, v);
    return std::nullopt;
  }
}

}  // namespace

DecodeResult decode_frame(std::string_view in, int version, const Limits& limits) {
  DecodeResult res;  // the only object returned: constructed in the caller's slot
  if (in.empty()) return res;  // incomplete: nothing to decode yet
  const auto* b = reinterpret_cast<const u8*>(in.data());
  const u8 h = b[0];
  const unsigned t = h >> 4;
  res.header_byte = h;
  if (t == 0 || t > 12) {
    set_error(res, DecodeErrc::invalid_type, 0,
              "invalid frame type " + std::to_string(t) + " (header byte " + hex_byte(h) + ")");
    return res;
  }
  const auto type = static_cast<FrameType>(t);
  if (is_single_byte(type)) {
    res.status = DecodeStatus::ok;
    res.consumed = 1;
    if (type == FrameType::ping)
      res.frame.emplace<Ping>(Ping{header_from(h)});
    else
      res.frame.emplace<Pong>(Pong{header_from(h)});
    return res;
  }
  // Remaining length: MQTT varint, at most 4 bytes.
  uint32_t rl = 0;
  size_t i = 0;
  for (;; ++i) {
    if (i == 4) {
      set_error(res, DecodeErrc::varint_too_long, 4, "remaining length continues past 4 bytes");
      return res;
    }
    // At most 4 more bytes decide, so waiting here never stalls; deciding
    // early on a prefix would make the error depend on the chunking.
    if (1 + i >= in.size()) return res;  // incomplete
    const u8 c = b[1 + i];
    rl |= uint32_t(c & 0x7f) << (7 * i);
    if (!(c & 0x80)) break;
  }
  const size_t body_at = 2 + i;
  res.remaining_length = rl;
  if (rl == 0) {
    set_error(res, DecodeErrc::zero_length, 1,
              std::string(frame_type_name(type)) + " with remaining length 0");
    return res;
  }
  if (rl > limits.max_remaining_length) {
    set_error(res, DecodeErrc::length_over_limit, 1,
              "remaining length " + std::to_string(rl) + " exceeds the limit " +
                  std::to_string(limits.max_remaining_length));
    return res;
  }
  const size_t total = body_at + rl;
  if (in.size() < total) return res;  // incomplete
  const int v = effective_version(version);
  switch (type) {
    case FrameType::connect: decode_body<Connect>(res, b, body_at, total, h, v); break;
    case FrameType::connack: decode_body<Connack>(res, b, body_at, total, h, v); break;
    case FrameType::send: decode_body<Send>(res, b, body_at, total, h, v); break;
    case FrameType::sendack: decode_body<Sendack>(res, b, body_at, total, h, v); break;
    case FrameType::recv: decode_body<Recv>(res, b, body_at, total, h, v); break;
    case FrameType::recvack: decode_body<Recvack>(res, b, body_at, total, h, v); break;
    case FrameType::disconnect: decode_body<Disconnect>(res, b, body_at, total, h, v); break;
    case FrameType::sub: decode_body<Sub>(res, b, body_at, total, h, v); break;
    case FrameType::suback: decode_body<Suback>(res, b, body_at, total, h, v); break;
    case FrameType::event: decode_body<Event>(res, b, body_at, total, h, v); break;
    default: break;  // PING/PONG handled above
  }
  return res;
}

Result<size_t> encoded_size(const Frame& f, int version, const Limits& limits) {
  return std::visit([&](const auto& x) { return encoded_size_of(x, version, limits); }, f);
}

Status encode_frame(const Frame& f, int version, std::string& out, const Limits& limits) {
  return std::visit([&](const auto& x) { return encode_typed(x, version, out, limits); }, f);
}

template <FrameStruct T>
Status encode_frame(const T& f, int version, std::string& out, const Limits& limits) {
  return encode_typed(f, version, out, limits);
}
template <FrameStruct T>
Result<size_t> encoded_size(const T& f, int version, const Limits& limits) {
  return encoded_size_of(f, version, limits);
}

#define WKIT_INSTANTIATE(T)                                                          \
  template Status encode_frame<T>(const T&, int, std::string&, const Limits&); \
  template Result<size_t> encoded_size<T>(const T&, int, const Limits&);
WKIT_INSTANTIATE(Connect)
WKIT_INSTANTIATE(Connack)
WKIT_INSTANTIATE(Send)
WKIT_INSTANTIATE(Sendack)
WKIT_INSTANTIATE(Recv)
WKIT_INSTANTIATE(Recvack)
WKIT_INSTANTIATE(Ping)
WKIT_INSTANTIATE(Pong)
WKIT_INSTANTIATE(Disconnect)
WKIT_INSTANTIATE(Sub)
WKIT_INSTANTIATE(Suback)
WKIT_INSTANTIATE(Event)
#undef WKIT_INSTANTIATE

bool field_on_wire(const Frame& f, std::string_view name, int version) {
  const int v = effective_version(version);
  if (const auto* x = std::get_if<Connack>(&f)) {
    if (name == "server_version") return x->has_server_version;
    if (name == "node_id") return v >= kNodeIdVersion;
    return true;
  }
  if (const auto* x = std::get_if<Send>(&f)) {
    if (name == "stream_no") return has_stream_fields(v, x->setting);
    if (name == "expire") return v >= kExpireVersion;
    if (name == "topic") return x->setting.topic();
    return true;
  }
  if (const auto* x = std::get_if<Sendack>(&f)) {
    if (name == "client_msg_no") return !x->client_msg_no.empty();
    return true;
  }
  if (const auto* x = std::get_if<Recv>(&f)) {
    if (name == "stream_flag" || name == "stream_no" || name == "stream_id")
      return has_stream_fields(v, x->setting);
    if (name == "expire") return v >= kExpireVersion;
    if (name == "topic") return x->setting.topic();
    return true;
  }
  return true;
}

std::string_view decode_errc_name(DecodeErrc e) {
  switch (e) {
    case DecodeErrc::none: return "none";
    case DecodeErrc::invalid_type: return "invalid_type";
    case DecodeErrc::varint_too_long: return "varint_too_long";
    case DecodeErrc::length_over_limit: return "length_over_limit";
    case DecodeErrc::zero_length: return "zero_length";
    case DecodeErrc::truncated_body: return "truncated_body";
    case DecodeErrc::negative_string_length: return "negative_string_length";
    case DecodeErrc::value_out_of_range: return "value_out_of_range";
  }
  return "unknown";
}

std::string_view decode_layout_name(DecodeLayout l) {
  switch (l) {
    case DecodeLayout::standard: return "standard";
    case DecodeLayout::sendack_client_msg_no_first: return "sendack_client_msg_no_first";
  }
  return "unknown";
}

}  // namespace wkit::proto
