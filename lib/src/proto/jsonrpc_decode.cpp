// JSON-RPC text -> Message (docs/protocol.md "JSON-RPC dialect").
// Two passes over the envelope: the members may come in any order, so the
// top-level object is scanned first (values validated and located), then
// params/result/error are read knowing the method.
#include <limits>

#include "jsonrpc_scan.hpp"
#include "wkit/crypto/crypto.hpp"
#include "wkit/proto/jsonrpc.hpp"

namespace wkit::proto::jsonrpc {
namespace {

using detail::key_is;
using detail::Scanner;
using detail::ValueKind;

struct Member {
  bool present = false;
  ValueKind kind = ValueKind::invalid;
  size_t off = 0;
};

// One decode: the scanner, the output, and the first error.
class Reader {
 public:
  Reader(std::string_view text, Message& out, std::string& scratch, const DecodeOptions& o)
      : sc_(text, o.max_depth), out_(out), scratch_(scratch), opts_(o) {}

  Status run();

 private:
  // --- errors ---
  Status fail(size_t off, Problem p, std::string msg) {
    out_.problem = p;
    return Error::input(std::move(msg), off);
  }
  bool field_fail(size_t off, std::string_view parent, std::string_view name, std::string msg) {
    if (!err_) {
      std::string path(parent);
      if (!name.empty()) path += (path.empty() ? "" : ".") + std::string(name);
      err_ = Error::input(path + ": " + msg, off);
      err_problem_ = Problem::invalid_params;
    }
    return false;
  }
  // A scanner failure inside a value already validated cannot happen; keep it safe anyway.
  bool scan_fail(std::string_view parent) {
    return field_fail(sc_.error_offset(), parent, "", sc_.error());
  }

  // --- values at sc_.pos() ---
  std::string_view key_text(std::string_view raw, bool escaped);
  bool str(std::string_view parent, std::string_view name, std::string_view& v);
  bool bytes_str(std::string_view parent, std::string_view name, Bytes& v);
  template <class T>
  bool uint(std::string_view parent, std::string_view name, T& v, uint64_t max = std::numeric_limits<T>::max());
  template <class T>
  bool sint(std::string_view parent, std::string_view name, T& v);
  bool boolean(std::string_view parent, std::string_view name, bool& v);
  bool id64(std::string_view parent, std::string_view name, int64_t& v);
  bool stream_id(std::string_view parent, std::string_view name, uint64_t& v);
  bool seq(std::string_view parent, std::string_view name, uint64_t& v);
  bool header(std::string_view parent, std::string_view name, Header& h);
  bool setting(std::string_view parent, std::string_view name, Setting& s);
  bool payload(std::string_view parent, std::string_view name, Bytes& b);
  bool raw_or_string(std::string_view parent, std::string_view name, std::string_view& v);
  bool skip() { return sc_.skip_value() || scan_fail(""); }
  bool number_token(std::string_view parent, std::string_view name, bool& neg, uint64_t& mag);
  bool wrong_kind(std::string_view parent, std::string_view name, const char* want, ValueKind got) {
    return field_fail(sc_.pos(), parent, name,
                      std::string("expected ") + want + ", got " + std::string(detail::value_kind_name(got)));
  }

  // Walks the object at `m` (absent/null: no members) calling member(key).
  template <class F>
  bool object(const Member& m, std::string_view parent, F&& member);
  bool params(const Member& m);
  bool result(const Member& m);
  bool error_object(const Member& m);
  Method infer_answer(const Member& result);

  Scanner sc_;
  Message& out_;
  std::string& scratch_;
  const DecodeOptions& opts_;
  std::optional<Error> err_;
  Problem err_problem_ = Problem::none;
};

std::string_view Reader::key_text(std::string_view raw, bool escaped) {
  if (!escaped) return raw;
  thread_local std::string buf;  // keys with escapes are rare; reused
  buf.clear();
  detail::unescape_to(raw, buf);
  return buf;
}

bool Reader::str(std::string_view parent, std::string_view name, std::string_view& v) {
  const ValueKind k = sc_.peek();
  if (k == ValueKind::null) return sc_.read_null() || scan_fail(parent);  // Go leaves the field zero
  if (k != ValueKind::string) return wrong_kind(parent, name, "a string", k);
  std::string_view raw;
  bool esc;
  if (!sc_.read_string(raw, esc)) return scan_fail(parent);
  if (!esc) {
    v = raw;
    return true;
  }
  const size_t at = scratch_.size();
  detail::unescape_to(raw, scratch_);
  v = std::string_view(scratch_).substr(at);
  return true;
}

bool Reader::bytes_str(std::string_view parent, std::string_view name, Bytes& v) {
  return str(parent, name, v.data);
}

bool Reader::raw_or_string(std::string_view parent, std::string_view name, std::string_view& v) {
  if (sc_.peek() == ValueKind::string) return str(parent, name, v);
  if (sc_.peek() == ValueKind::null) return sc_.read_null() || scan_fail(parent);
  return sc_.skip_value(&v) || scan_fail(parent);
}

bool Reader::number_token(std::string_view parent, std::string_view name, bool& neg, uint64_t& mag) {
  const size_t off = sc_.pos();
  std::string_view tok;
  if (!sc_.read_number(tok)) return scan_fail(parent);
  neg = tok[0] == '-';
  mag = 0;
  for (size_t i = neg ? 1 : 0; i < tok.size(); ++i) {
    const char c = tok[i];
    if (c < '0' || c > '9')
      return field_fail(off, parent, name, "expected an integer, got " + std::string(tok));
    const uint64_t d = static_cast<uint64_t>(c - '0');
    if (mag > (std::numeric_limits<uint64_t>::max() - d) / 10)
      return field_fail(off, parent, name, std::string(tok) + " is out of range");
    mag = mag * 10 + d;
  }
  return true;
}

template <class T>
bool Reader::uint(std::string_view parent, std::string_view name, T& v, uint64_t max) {
  const ValueKind k = sc_.peek();
  if (k == ValueKind::null) return sc_.read_null() || scan_fail(parent);
  if (k != ValueKind::number) return wrong_kind(parent, name, "an integer", k);
  const size_t off = sc_.pos();
  bool neg;
  uint64_t mag;
  if (!number_token(parent, name, neg, mag)) return false;
  if ((neg && mag != 0) || mag > max)
    return field_fail(off, parent, name,
                      std::string(sc_.text().substr(off, sc_.pos() - off)) + " is out of range 0.." +
                          std::to_string(max));
  v = static_cast<T>(mag);
  return true;
}

template <class T>
bool Reader::sint(std::string_view parent, std::string_view name, T& v) {
  const ValueKind k = sc_.peek();
  if (k == ValueKind::null) return sc_.read_null() || scan_fail(parent);
  if (k != ValueKind::number) return wrong_kind(parent, name, "an integer", k);
  const size_t off = sc_.pos();
  bool neg;
  uint64_t mag;
  if (!number_token(parent, name, neg, mag)) return false;
  const uint64_t lim = neg ? uint64_t(std::numeric_limits<T>::max()) + 1 : uint64_t(std::numeric_limits<T>::max());
  if (mag > lim)
    return field_fail(off, parent, name,
                      std::string(sc_.text().substr(off, sc_.pos() - off)) + " is out of range for a " +
                          std::to_string(sizeof(T) * 8) + "-bit signed integer");
  v = neg ? static_cast<T>(-static_cast<int64_t>(mag - 1) - 1) : static_cast<T>(mag);
  return true;
}

bool Reader::boolean(std::string_view parent, std::string_view name, bool& v) {
  const ValueKind k = sc_.peek();
  if (k == ValueKind::null) return sc_.read_null() || scan_fail(parent);
  if (k != ValueKind::boolean) return wrong_kind(parent, name, "a boolean", k);
  return sc_.read_bool(v) || scan_fail(parent);
}

bool Reader::id64(std::string_view parent, std::string_view name, int64_t& v) {
  const ValueKind k = sc_.peek();
  const size_t off = sc_.pos();
  if (k == ValueKind::number)
    return field_fail(off, parent, name,
                      "expected a decimal string (64-bit ids are strings in JSON-RPC), got a number");
  std::string_view s;
  if (!str(parent, name, s)) return false;
  bool neg = !s.empty() && s[0] == '-';
  uint64_t mag = 0;
  bool ok = s.size() > (neg ? 1u : 0u);
  for (size_t i = neg ? 1 : 0; ok && i < s.size(); ++i) {
    const char c = s[i];
    ok = c >= '0' && c <= '9' && mag <= (uint64_t(1) << 63) / 10;
    if (ok) mag = mag * 10 + static_cast<uint64_t>(c - '0');
  }
  if (!ok || mag > (neg ? uint64_t(1) << 63 : (uint64_t(1) << 63) - 1))
    return field_fail(off, parent, name, "\"" + std::string(s) + "\" is not a decimal 64-bit integer");
  v = neg ? static_cast<int64_t>(-static_cast<int64_t>(mag - 1) - 1) : static_cast<int64_t>(mag);
  return true;
}

bool Reader::stream_id(std::string_view parent, std::string_view name, uint64_t& v) {
  if (sc_.peek() == ValueKind::number) return uint(parent, name, v);
  // 3.x writes the numeric id as a decimal string; 2.x fills it with the
  // stream_no text by mistake, which has no number to keep.
  std::string_view s;
  if (!str(parent, name, s)) return false;
  uint64_t mag = 0;
  for (char c : s) {
    if (c < '0' || c > '9' || mag > (std::numeric_limits<uint64_t>::max() - 9) / 10) return true;
    mag = mag * 10 + static_cast<uint64_t>(c - '0');
  }
  v = mag;
  return true;
}

bool Reader::seq(std::string_view parent, std::string_view name, uint64_t& v) {
  // u32 in 2.1-2.2.2 servers; u64 from 3.x on (2.2.3 covers both).
  const bool wide = opts_.lenient || opts_.compat == Compat::v2_2_3;
  return uint(parent, name, v, wide ? std::numeric_limits<uint64_t>::max() : 0xFFFFFFFFu);
}

template <class F>
bool Reader::object(const Member& m, std::string_view parent, F&& member) {
  if (!m.present || m.kind == ValueKind::null) return true;
  sc_.set_pos(m.off);
  if (m.kind != ValueKind::object) return wrong_kind("", parent, "an object", m.kind);
  if (!sc_.begin_object()) return scan_fail(parent);
  std::string_view raw;
  bool esc, first = true;
  while (sc_.next_key(first, raw, esc))
    if (!member(key_text(raw, esc))) return false;
  return !sc_.failed() || scan_fail(parent);
}

bool Reader::header(std::string_view parent, std::string_view name, Header& h) {
  const ValueKind k = sc_.peek();
  if (k == ValueKind::null) return sc_.read_null() || scan_fail(parent);
  if (k != ValueKind::object) return wrong_kind(parent, name, "an object", k);
  const std::string path = std::string(parent) + "." + std::string(name);
  return object(Member{true, k, sc_.pos()}, path, [&](std::string_view key) {
    if (key_is(key, "noPersist")) return boolean(path, "noPersist", h.no_persist);
    if (key_is(key, "redDot")) return boolean(path, "redDot", h.red_dot);
    if (key_is(key, "syncOnce")) return boolean(path, "syncOnce", h.sync_once);
    if (key_is(key, "dup")) return boolean(path, "dup", h.dup);
    if (key_is(key, "end")) return boolean(path, "end", out_.header_end);
    return skip();
  });
}

bool Reader::setting(std::string_view parent, std::string_view name, Setting& s) {
  const ValueKind k = sc_.peek();
  if (k == ValueKind::null) return sc_.read_null() || scan_fail(parent);
  if (k != ValueKind::object) return wrong_kind(parent, name, "an object", k);
  const std::string path = std::string(parent) + "." + std::string(name);
  auto flag = [&](std::string_view n, uint8_t bit) {
    bool on = false;
    if (!boolean(path, n, on)) return false;
    s.bits = static_cast<uint8_t>(on ? s.bits | bit : s.bits & ~bit);
    return true;
  };
  return object(Member{true, k, sc_.pos()}, path, [&](std::string_view key) {
    if (key_is(key, "receipt")) return flag("receipt", Setting::kReceipt);
    if (key_is(key, "signal")) return flag("signal", Setting::kSignal);
    if (key_is(key, "stream")) return flag("stream", Setting::kStream);
    if (key_is(key, "topic")) return flag("topic", Setting::kTopic);
    return skip();
  });
}

bool Reader::payload(std::string_view parent, std::string_view name, Bytes& b) {
  const ValueKind k = sc_.peek();
  const size_t off = sc_.pos();
  if (opts_.compat != Compat::v2_2_3) {
    // Any JSON value, kept as its exact text (Go's json.RawMessage): a string
    // keeps its quotes, null is the 4 bytes "null".
    out_.payload_form = PayloadForm::json;
    return sc_.skip_value(&b.data) || scan_fail(parent);
  }
  if (k == ValueKind::null) {  // Go leaves a []byte nil
    out_.payload_form = PayloadForm::null;
    b.data = {};
    return sc_.read_null() || scan_fail(parent);
  }
  if (k == ValueKind::object && opts_.lenient) {
    out_.payload_form = PayloadForm::json;
    return sc_.skip_value(&b.data) || scan_fail(parent);
  }
  if (k != ValueKind::string)
    return field_fail(off, parent, name,
                      "expected a base64 string, got " + std::string(detail::value_kind_name(k)) +
                          (k == ValueKind::object ? " (an embedded JSON payload is the 2.1-2.2.2 form)" : ""));
  std::string_view text;
  if (!str(parent, name, text)) return false;
  if (opts_.lenient && detail::is_json_text(text, opts_.max_depth)) {
    out_.payload_form = PayloadForm::json_text;
    b.data = text;
    return true;
  }
  const size_t at = scratch_.size();
  if (auto e = crypto::base64_decode_to(text, scratch_)) {
    // An offset inside the string is exact only when it had no escapes.
    const bool exact = text.data() >= sc_.text().data() && text.data() < sc_.text().data() + sc_.text().size();
    return field_fail(exact ? off + 1 + e->offset.value_or(0) : off, parent, name,
                      std::string("not valid base64") + (opts_.lenient ? " nor JSON text" : "") + ": " + e->message);
  }
  out_.payload_form = PayloadForm::base64;
  b.data = std::string_view(scratch_).substr(at);
  return true;
}

bool Reader::params(const Member& m) {
  const Method method = out_.method;
  if (method == Method::ping || method == Method::pong) {  // any params
    out_.frame = method == Method::ping ? Frame{Ping{}} : Frame{Pong{}};
    return true;
  }
  constexpr std::string_view P = "params";
  auto run = [&](auto& f, auto&& member) {
    return object(m, P, [&](std::string_view k) { return member(k, f); });
  };
  switch (method) {
    case Method::connect: {
      Connect f;
      const bool ok = run(f, [&](std::string_view k, Connect& x) {
        if (key_is(k, "uid")) return str(P, "uid", x.uid);
        if (key_is(k, "token")) return str(P, "token", x.token);
        if (key_is(k, "deviceFlag")) return uint(P, "deviceFlag", x.device_flag);
        if (key_is(k, "deviceId")) return str(P, "deviceId", x.device_id);
        if (key_is(k, "clientTimestamp")) return sint(P, "clientTimestamp", x.client_timestamp);
        if (key_is(k, "version")) return uint(P, "version", x.version);
        if (key_is(k, "clientKey")) return str(P, "clientKey", x.client_key);
        if (key_is(k, "header")) return header(P, "header", x.header);
        return skip();
      });
      out_.frame = f;
      return ok;
    }
    case Method::send: {
      Send f;
      const bool ok = run(f, [&](std::string_view k, Send& x) {
        if (key_is(k, "channelId")) return str(P, "channelId", x.channel_id);
        if (key_is(k, "channelType")) return uint(P, "channelType", x.channel_type);
        if (key_is(k, "payload")) return payload(P, "payload", x.payload);
        if (key_is(k, "clientMsgNo")) return str(P, "clientMsgNo", x.client_msg_no);
        if (key_is(k, "header")) return header(P, "header", x.header);
        if (key_is(k, "setting")) return setting(P, "setting", x.setting);
        if (key_is(k, "expire")) return uint(P, "expire", x.expire);
        if (key_is(k, "topic")) return str(P, "topic", x.topic);
        if (key_is(k, "streamNo")) return str(P, "streamNo", x.stream_no);
        if (key_is(k, "msgKey")) return str(P, "msgKey", x.msg_key);
        return skip();
      });
      out_.frame = f;
      return ok;
    }
    case Method::recv: {
      Recv f;
      const bool ok = run(f, [&](std::string_view k, Recv& x) {
        if (key_is(k, "messageId")) return id64(P, "messageId", x.message_id);
        if (key_is(k, "messageSeq")) return seq(P, "messageSeq", x.message_seq);
        if (key_is(k, "timestamp")) return sint(P, "timestamp", x.timestamp);
        if (key_is(k, "channelId")) return str(P, "channelId", x.channel_id);
        if (key_is(k, "channelType")) return uint(P, "channelType", x.channel_type);
        if (key_is(k, "fromUid")) return str(P, "fromUid", x.from_uid);
        if (key_is(k, "payload")) return payload(P, "payload", x.payload);
        if (key_is(k, "clientMsgNo")) return str(P, "clientMsgNo", x.client_msg_no);
        if (key_is(k, "header")) return header(P, "header", x.header);
        if (key_is(k, "setting")) return setting(P, "setting", x.setting);
        if (key_is(k, "expire")) return uint(P, "expire", x.expire);
        if (key_is(k, "topic")) return str(P, "topic", x.topic);
        if (key_is(k, "streamNo")) return str(P, "streamNo", x.stream_no);
        if (key_is(k, "streamId")) return stream_id(P, "streamId", x.stream_id);
        if (key_is(k, "streamFlag")) return uint(P, "streamFlag", x.stream_flag);
        if (key_is(k, "msgKey")) return str(P, "msgKey", x.msg_key);
        return skip();
      });
      out_.frame = f;
      return ok;
    }
    case Method::recvack: {
      Recvack f;
      const bool ok = run(f, [&](std::string_view k, Recvack& x) {
        if (key_is(k, "messageId")) return id64(P, "messageId", x.message_id);
        if (key_is(k, "messageSeq")) return seq(P, "messageSeq", x.message_seq);
        if (key_is(k, "header")) return header(P, "header", x.header);
        return skip();
      });
      out_.frame = f;
      return ok;
    }
    case Method::disconnect: {
      Disconnect f;
      const bool ok = run(f, [&](std::string_view k, Disconnect& x) {
        if (key_is(k, "reasonCode")) return uint(P, "reasonCode", x.reason_code);
        if (key_is(k, "reason")) return str(P, "reason", x.reason);
        if (key_is(k, "header")) return header(P, "header", x.header);
        return skip();
      });
      out_.frame = f;
      return ok;
    }
    case Method::event: {
      Event f;
      const bool ok = run(f, [&](std::string_view k, Event& x) {
        if (key_is(k, "id")) return str(P, "id", x.id);
        if (key_is(k, "type")) return str(P, "type", x.type);
        if (key_is(k, "timestamp")) return sint(P, "timestamp", x.timestamp);
        if (key_is(k, "data")) return bytes_str(P, "data", x.data);
        if (key_is(k, "header")) return header(P, "header", x.header);
        return skip();
      });
      out_.frame = f;
      return ok;
    }
    case Method::subscribe:
    case Method::unsubscribe: {
      Sub f;
      f.action = method == Method::subscribe ? 0 : 1;
      const bool ok = run(f, [&](std::string_view k, Sub& x) {
        if (key_is(k, "subNo")) return str(P, "subNo", x.sub_no);
        if (key_is(k, "channelId")) return str(P, "channelId", x.channel_id);
        if (key_is(k, "channelType")) return uint(P, "channelType", x.channel_type);
        if (key_is(k, "param")) return raw_or_string(P, "param", x.param);
        return skip();
      });
      out_.frame = f;
      return ok;
    }
    default: return true;
  }
}

Method Reader::infer_answer(const Member& result) {
  if (opts_.answers != Method::none) return opts_.answers;
  if (!result.present || result.kind != ValueKind::object) return Method::ping;
  Method m = Method::connect;
  sc_.set_pos(result.off);
  sc_.begin_object();
  std::string_view raw;
  bool esc, first = true;
  while (sc_.next_key(first, raw, esc)) {
    const std::string_view k = key_text(raw, esc);
    if (key_is(k, "messageId") || key_is(k, "messageSeq")) m = Method::send;
    else if (key_is(k, "subNo")) m = Method::subscribe;
    sc_.skip_value();
  }
  return m;
}

bool Reader::result(const Member& m) {
  constexpr std::string_view R = "result";
  const Method answers = infer_answer(m);
  if (answers == Method::ping || answers == Method::pong) {
    out_.frame = Pong{};
    return true;  // any result
  }
  if (m.present && m.kind != ValueKind::object && m.kind != ValueKind::null) {
    sc_.set_pos(m.off);
    return wrong_kind("", R, "an object", m.kind);
  }
  if (answers == Method::connect) {
    Connack f;
    const bool ok = object(m, R, [&](std::string_view k) {
      if (key_is(k, "serverVersion")) {
        f.has_server_version = sc_.peek() != ValueKind::null;
        return uint(R, "serverVersion", f.server_version);
      }
      if (key_is(k, "timeDiff")) return sint(R, "timeDiff", f.time_diff);
      if (key_is(k, "reasonCode")) return uint(R, "reasonCode", f.reason_code);
      if (key_is(k, "nodeId")) return uint(R, "nodeId", f.node_id);
      if (key_is(k, "serverKey")) return str(R, "serverKey", f.server_key);
      if (key_is(k, "salt")) return str(R, "salt", f.salt);
      if (key_is(k, "header")) return header(R, "header", f.header);
      return skip();
    });
    f.header.no_persist = f.has_server_version;  // the binary CONNACK's meaning of bit 0
    out_.frame = f;
    return ok;
  }
  if (answers == Method::send) {
    Sendack f;
    const bool ok = object(m, R, [&](std::string_view k) {
      if (key_is(k, "messageId")) return id64(R, "messageId", f.message_id);
      if (key_is(k, "messageSeq")) return seq(R, "messageSeq", f.message_seq);
      if (key_is(k, "reasonCode")) return uint(R, "reasonCode", f.reason_code);
      if (key_is(k, "clientMsgNo")) return str(R, "clientMsgNo", f.client_msg_no);
      if (key_is(k, "header")) return header(R, "header", f.header);
      return skip();
    });
    out_.frame = f;
    return ok;
  }
  Suback f;
  const bool ok = object(m, R, [&](std::string_view k) {
    if (key_is(k, "subNo")) return str(R, "subNo", f.sub_no);
    if (key_is(k, "channelId")) return str(R, "channelId", f.channel_id);
    if (key_is(k, "channelType")) return uint(R, "channelType", f.channel_type);
    if (key_is(k, "action")) return uint(R, "action", f.action);
    if (key_is(k, "reasonCode")) return uint(R, "reasonCode", f.reason_code);
    return skip();
  });
  out_.frame = f;
  return ok;
}

bool Reader::error_object(const Member& m) {
  constexpr std::string_view E = "error";
  if (m.kind != ValueKind::object) {
    sc_.set_pos(m.off);
    return wrong_kind("", E, "an object", m.kind);
  }
  ErrorObject& e = out_.error;
  return object(m, E, [&](std::string_view k) {
    if (key_is(k, "code")) return sint(E, "code", e.code);
    if (key_is(k, "message")) return str(E, "message", e.message);
    if (key_is(k, "data")) return sc_.skip_value(&e.data) || scan_fail(E);
    return skip();
  });
}

Status Reader::run() {
  const std::string_view text = sc_.text();
  const ValueKind top = sc_.peek();
  if (top == ValueKind::invalid && sc_.at_end()) return fail(sc_.pos(), Problem::parse_error, "empty message");
  if (top == ValueKind::array)
    return fail(sc_.pos(), Problem::invalid_request,
                "a batch (JSON array) is not supported: one object per message");
  if (top != ValueKind::object) {
    if (!sc_.skip_value()) return fail(sc_.error_offset(), Problem::parse_error, sc_.error());
    return fail(0, Problem::invalid_request,
                "expected a JSON-RPC object, got " + std::string(detail::value_kind_name(top)));
  }
  const size_t obj_start = sc_.pos();
  Member jsonrpc, method, id, params, result, error;
  sc_.begin_object();
  std::string_view raw;
  bool esc, first = true;
  while (sc_.next_key(first, raw, esc)) {
    const std::string_view k = key_text(raw, esc);
    Member* slot = key_is(k, "jsonrpc") ? &jsonrpc
                   : key_is(k, "method") ? &method
                   : key_is(k, "id")     ? &id
                   : key_is(k, "params") ? &params
                   : key_is(k, "result") ? &result
                   : key_is(k, "error")  ? &error
                                         : nullptr;
    const ValueKind kind = sc_.peek();
    const size_t off = sc_.pos();
    if (!sc_.skip_value()) break;
    if (slot) *slot = Member{true, kind, off};  // a repeated member: the last wins, as in Go
  }
  if (sc_.failed()) return fail(sc_.error_offset(), Problem::parse_error, sc_.error());
  sc_.skip_ws();
  out_.consumed = sc_.pos();
  if (opts_.single_object && !sc_.at_end())
    return fail(sc_.pos(), Problem::parse_error, "unexpected data after the JSON object");

  // The id first, so that every later error can be answered with it.
  if (id.present && id.kind != ValueKind::null) {
    sc_.set_pos(id.off);
    if (id.kind != ValueKind::string)
      return fail(id.off, Problem::invalid_request,
                  "id: must be a string, got " + std::string(detail::value_kind_name(id.kind)));
    str("", "id", out_.id);
  }
  if (jsonrpc.present) {
    sc_.set_pos(jsonrpc.off);
    std::string_view v;
    if (jsonrpc.kind != ValueKind::string || !str("", "jsonrpc", v) || v != "2.0")
      return fail(jsonrpc.off, Problem::invalid_request,
                  "jsonrpc: must be \"2.0\", got " +
                      std::string(text.substr(jsonrpc.off, std::min<size_t>(32, text.size() - jsonrpc.off))));
    out_.has_jsonrpc = true;
  }
  std::string_view method_text;
  if (method.present && method.kind != ValueKind::null) {
    sc_.set_pos(method.off);
    if (method.kind != ValueKind::string)
      return fail(method.off, Problem::invalid_request,
                  "method: must be a string, got " + std::string(detail::value_kind_name(method.kind)));
    str("", "method", method_text);
    if (!method_from_name(method_text, out_.method))
      return fail(method.off, Problem::method_not_found, "method: unknown method \"" + std::string(method_text) + "\"");
  }

  bool ok = true;
  if (out_.method != Method::none) {
    out_.kind = out_.id.empty() ? Kind::notification : Kind::request;
    const Method m = out_.method;
    const bool request_only = m == Method::connect || m == Method::send || m == Method::ping ||
                              m == Method::subscribe || m == Method::unsubscribe;
    const bool notification_only = m == Method::recv || m == Method::event;
    if (request_only && out_.kind == Kind::notification)
      return fail(method.off, Problem::invalid_request,
                  std::string(method_name(m)) + " is a request: it needs a non-empty string id");
    if (notification_only && out_.kind == Kind::request)
      return fail(id.off, Problem::invalid_request, std::string(method_name(m)) + " is a notification: it takes no id");
    if (m == Method::recvack && !opts_.lenient) {
      if (opts_.compat == Compat::v2_1 && out_.kind == Kind::notification)
        return fail(method.off, Problem::invalid_request,
                    "recvack is a request at 2.1 (needs an id); the notification form is 2.2 and later");
      if (opts_.compat != Compat::v2_1 && out_.kind == Kind::request)
        return fail(id.off, Problem::invalid_request,
                    "recvack is a notification since 2.2: an id is rejected (the request form is 2.1)");
    }
    ok = this->params(params);
    out_.has_frame = ok;
  } else if (!out_.id.empty()) {
    out_.kind = Kind::response;
    if (result.present && error.present)
      return fail(error.off, Problem::invalid_request, "a response has both result and error");
    if (error.present && error.kind != ValueKind::null) {
      out_.has_error = true;
      ok = error_object(error);
    } else {
      ok = this->result(result);
      out_.has_frame = ok;
    }
  } else if (error.present && error.kind != ValueKind::null && !result.present) {
    // An error the server could not tie to a request (it could not read the
    // id): JSON-RPC 2.0 writes "id": null, WuKongIM 2.x leaves the id out.
    out_.kind = Kind::response;
    out_.has_error = true;
    ok = error_object(error);
  } else {
    return fail(obj_start, Problem::invalid_request,
                id.present ? "a response needs a non-empty string id"
                           : "neither method nor id: not a request, notification or response");
  }
  if (!ok) {
    out_.has_frame = false;
    out_.problem = err_problem_ == Problem::none ? Problem::invalid_request : err_problem_;
    if (out_.has_error || out_.kind == Kind::response) out_.problem = Problem::invalid_request;
    return *err_;
  }
  return std::nullopt;
}

}  // namespace

Status decode(std::string_view text, Message& out, std::string& scratch, const DecodeOptions& opts) {
  out = Message{};
  scratch.clear();
  // Every unescaped string and decoded payload is shorter than its text, and
  // each is written once: 2x the message never reallocates, so views stay valid.
  if (scratch.capacity() < 2 * text.size() + 16) scratch.reserve(2 * text.size() + 16);
  Reader r(text, out, scratch, opts);
  return r.run();
}

}  // namespace wkit::proto::jsonrpc
