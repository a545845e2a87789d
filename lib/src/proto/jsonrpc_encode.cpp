// Frame (+ id) -> one JSON-RPC text message, with a small writer (no DOM:
// nothing allocates once `out` has grown). Key order follows the servers'
// messages; optional members are left out when zero/empty, as Go's
// omitempty does.
#include <charconv>
#include <limits>

#include "jsonrpc_scan.hpp"
#include "wkit/crypto/crypto.hpp"
#include "wkit/proto/jsonrpc.hpp"

namespace wkit::proto::jsonrpc {
namespace {

class Writer {
 public:
  explicit Writer(std::string& out) : out_(out) {}

  void open() {
    out_.push_back('{');
    first_[depth_++] = true;
  }
  void close() {
    out_.push_back('}');
    --depth_;
  }
  void key(std::string_view k) {
    if (!first_[depth_ - 1]) out_.push_back(',');
    first_[depth_ - 1] = false;
    out_.push_back('"');
    out_.append(k);
    out_.append("\":");
  }
  // False (and nothing sensible written) if `s` is not UTF-8.
  bool str(std::string_view s) {
    out_.push_back('"');
    size_t run = 0;  // start of the pending run of bytes that need no escape
    for (size_t i = 0; i < s.size();) {
      const auto c = static_cast<unsigned char>(s[i]);
      if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
        ++i;
        continue;
      }
      if (c >= 0x80) {
        const size_t n = detail::utf8_len(s, i);
        if (n == 0) return false;
        i += n;
        continue;
      }
      out_.append(s.data() + run, i - run);
      switch (c) {
        case '"': out_.append("\\\""); break;
        case '\\': out_.append("\\\\"); break;
        case '\n': out_.append("\\n"); break;
        case '\r': out_.append("\\r"); break;
        case '\t': out_.append("\\t"); break;
        case '\b': out_.append("\\b"); break;
        case '\f': out_.append("\\f"); break;
        default: {
          static constexpr char d[] = "0123456789abcdef";
          const char u[6] = {'\\', 'u', '0', '0', d[c >> 4], d[c & 15]};
          out_.append(u, 6);
        }
      }
      run = ++i;
    }
    out_.append(s.data() + run, s.size() - run);
    out_.push_back('"');
    return true;
  }
  template <class T>
  void num(T v) {
    char buf[24];
    auto r = std::to_chars(buf, buf + sizeof buf, v);
    out_.append(buf, static_cast<size_t>(r.ptr - buf));
  }
  void boolean(bool v) { out_.append(v ? "true" : "false"); }
  void raw(std::string_view json) { out_.append(json); }
  void base64(std::string_view bytes) {
    out_.push_back('"');
    crypto::base64_encode_to(bytes, out_);
    out_.push_back('"');
  }

 private:
  std::string& out_;
  bool first_[8] = {};
  int depth_ = 0;
};

class Encoder {
 public:
  Encoder(std::string& out, const EncodeOptions& o) : w_(out), o_(o) {}

  Status frame(const Connect& f, std::string_view id);
  Status frame(const Connack& f, std::string_view id);
  Status frame(const Send& f, std::string_view id);
  Status frame(const Sendack& f, std::string_view id);
  Status frame(const Recv& f, std::string_view id);
  Status frame(const Recvack& f, std::string_view id);
  Status frame(const Ping& f, std::string_view id);
  Status frame(const Pong& f, std::string_view id);
  Status frame(const Disconnect& f, std::string_view id);
  Status frame(const Sub& f, std::string_view id);
  Status frame(const Suback& f, std::string_view id);
  Status frame(const Event& f, std::string_view id);

 private:
  static Error bad(std::string msg) { return Error::input(std::move(msg)); }

  Status request(std::string_view method, std::string_view id) {
    if (id.empty()) return bad(std::string(method) + " is a request: it needs a non-empty id");
    w_.open();
    w_.key("jsonrpc");
    w_.raw("\"2.0\"");
    w_.key("method");
    w_.raw("\"");
    w_.raw(method);
    w_.raw("\"");
    w_.key("id");
    if (!w_.str(id)) return bad("id: not valid UTF-8");
    w_.key("params");
    w_.open();
    return std::nullopt;
  }
  Status notification(std::string_view method, std::string_view id) {
    if (!id.empty()) return bad(std::string(method) + " is a notification: it takes no id");
    w_.open();
    w_.key("jsonrpc");
    w_.raw("\"2.0\"");
    w_.key("method");
    w_.raw("\"");
    w_.raw(method);
    w_.raw("\"");
    w_.key("params");
    w_.open();
    return std::nullopt;
  }
  Status response(std::string_view what, std::string_view id) {
    if (id.empty()) return bad(std::string(what) + " is a response: it needs the request's id");
    w_.open();
    w_.key("jsonrpc");
    w_.raw("\"2.0\"");
    w_.key("id");
    if (!w_.str(id)) return bad("id: not valid UTF-8");
    w_.key("result");
    w_.open();
    return std::nullopt;
  }
  void end() {  // closes params/result and the envelope
    w_.close();
    w_.close();
  }

  Status str(std::string_view parent, std::string_view name, std::string_view v) {
    w_.key(name);
    if (!w_.str(v)) return bad(std::string(parent) + "." + std::string(name) + ": not valid UTF-8, cannot be a JSON string");
    return std::nullopt;
  }
  Status opt_str(std::string_view parent, std::string_view name, std::string_view v) {
    return v.empty() ? std::nullopt : str(parent, name, v);
  }
  template <class T>
  void num(std::string_view name, T v) {
    w_.key(name);
    w_.num(v);
  }
  template <class T>
  void opt_num(std::string_view name, T v) {
    if (v != 0) num(name, v);
  }
  void id64(std::string_view name, int64_t v) {
    w_.key(name);
    w_.raw("\"");
    w_.num(v);
    w_.raw("\"");
  }
  Status seq(std::string_view parent, uint64_t v) {
    if (o_.compat != Compat::v2_2_3 && v > 0xFFFFFFFFu)
      return bad(std::string(parent) + ".messageSeq: " + std::to_string(v) +
                 " does not fit the 32 bits of 2.1-2.2.2 (64-bit from 2.2.3/3.x)");
    num("messageSeq", v);
    return std::nullopt;
  }
  void header(const Header& h, bool with_no_persist = true) {
    const bool np = with_no_persist && h.no_persist;
    if (!(np || h.red_dot || h.sync_once || h.dup || o_.header_end)) return;
    w_.key("header");
    w_.open();
    if (np) flag("noPersist");
    if (h.red_dot) flag("redDot");
    if (h.sync_once) flag("syncOnce");
    if (h.dup) flag("dup");
    if (o_.header_end) flag("end");
    w_.close();
  }
  void flag(std::string_view name) {
    w_.key(name);
    w_.boolean(true);
  }
  void setting(Setting s) {
    if (!(s.receipt() || s.signal() || s.stream() || s.topic())) return;  // NoEncrypt has no JSON name
    w_.key("setting");
    w_.open();
    if (s.receipt()) flag("receipt");
    if (s.signal()) flag("signal");
    if (s.stream()) flag("stream");
    if (s.topic()) flag("topic");
    w_.close();
  }
  Status payload(std::string_view parent, Bytes b) {
    w_.key("payload");
    if (o_.compat == Compat::v2_2_3) {
      w_.base64(b.data);
      return std::nullopt;
    }
    if (b.data.empty()) {  // Go writes a nil json.RawMessage as null
      w_.raw("null");
      return std::nullopt;
    }
    if (!detail::is_json_text(b.data, 512))
      return bad(std::string(parent) + ".payload: not JSON text, which 2.1-2.2.2 embed as is "
                 "(those servers drop such a message; 2.2.3 sends base64)");
    w_.raw(b.data);
    return std::nullopt;
  }

  Writer w_;
  const EncodeOptions& o_;
};

#define WKIT_TRY(expr) \
  if (Status st_ = (expr)) return st_

Status Encoder::frame(const Connect& f, std::string_view id) {
  WKIT_TRY(request("connect", id));
  header(f.header);
  WKIT_TRY(str("params", "uid", f.uid));
  WKIT_TRY(opt_str("params", "token", f.token));
  WKIT_TRY(opt_str("params", "deviceId", f.device_id));
  opt_num("deviceFlag", f.device_flag);
  opt_num("clientTimestamp", f.client_timestamp);
  opt_num("version", f.version);
  WKIT_TRY(opt_str("params", "clientKey", f.client_key));
  end();
  return std::nullopt;
}

Status Encoder::frame(const Connack& f, std::string_view id) {
  WKIT_TRY(response("connack", id));
  header(f.header, false);  // bit 0 of a binary CONNACK is HasServerVersion
  WKIT_TRY(opt_str("result", "serverKey", f.server_key));
  WKIT_TRY(opt_str("result", "salt", f.salt));
  if (f.has_server_version) num("serverVersion", f.server_version);
  opt_num("timeDiff", f.time_diff);
  num("reasonCode", f.reason_code);
  num("nodeId", f.node_id);
  end();
  return std::nullopt;
}

Status Encoder::frame(const Send& f, std::string_view id) {
  WKIT_TRY(request("send", id));
  WKIT_TRY(str("params", "clientMsgNo", f.client_msg_no));
  WKIT_TRY(str("params", "channelId", f.channel_id));
  num("channelType", f.channel_type);
  WKIT_TRY(payload("params", f.payload));
  header(f.header);
  setting(f.setting);
  opt_num("expire", f.expire);
  WKIT_TRY(opt_str("params", "topic", f.topic));
  WKIT_TRY(opt_str("params", "streamNo", f.stream_no));
  WKIT_TRY(opt_str("params", "msgKey", f.msg_key));
  end();
  return std::nullopt;
}

Status Encoder::frame(const Sendack& f, std::string_view id) {
  WKIT_TRY(response("sendack", id));
  header(f.header);
  id64("messageId", f.message_id);
  WKIT_TRY(seq("result", f.message_seq));
  num("reasonCode", f.reason_code);
  WKIT_TRY(opt_str("result", "clientMsgNo", f.client_msg_no));  // 2.x never has one; a 3.x SENDACK may
  end();
  return std::nullopt;
}

Status Encoder::frame(const Recv& f, std::string_view id) {
  WKIT_TRY(notification("recv", id));
  header(f.header);
  setting(f.setting);
  id64("messageId", f.message_id);
  WKIT_TRY(seq("params", f.message_seq));
  WKIT_TRY(opt_str("params", "clientMsgNo", f.client_msg_no));
  WKIT_TRY(opt_str("params", "streamNo", f.stream_no));
  if (f.stream_id != 0) {
    w_.key("streamId");
    w_.raw("\"");
    w_.num(f.stream_id);
    w_.raw("\"");
  }
  opt_num("streamFlag", f.stream_flag);
  num("timestamp", f.timestamp);
  WKIT_TRY(str("params", "channelId", f.channel_id));
  num("channelType", f.channel_type);
  WKIT_TRY(opt_str("params", "topic", f.topic));
  WKIT_TRY(str("params", "fromUid", f.from_uid));
  opt_num("expire", f.expire);
  WKIT_TRY(opt_str("params", "msgKey", f.msg_key));
  WKIT_TRY(payload("params", f.payload));
  end();
  return std::nullopt;
}

Status Encoder::frame(const Recvack& f, std::string_view id) {
  if (o_.compat == Compat::v2_1) {
    WKIT_TRY(request("recvack", id));
  } else if (!id.empty()) {
    return bad("recvack is a notification since 2.2: it takes no id (the request form is 2.1)");
  } else {
    WKIT_TRY(notification("recvack", id));
  }
  header(f.header);
  id64("messageId", f.message_id);
  WKIT_TRY(seq("params", f.message_seq));
  end();
  return std::nullopt;
}

Status Encoder::frame(const Ping&, std::string_view id) {
  WKIT_TRY(request("ping", id));
  end();
  return std::nullopt;
}

Status Encoder::frame(const Pong&, std::string_view id) {
  if (id.empty()) return bad("pong is a response: it needs the ping's id");
  w_.open();
  w_.key("jsonrpc");
  w_.raw("\"2.0\"");
  w_.key("id");
  if (!w_.str(id)) return bad("id: not valid UTF-8");
  if (o_.pong_result_null) {
    w_.key("result");
    w_.raw("null");
  }
  w_.close();
  return std::nullopt;
}

Status Encoder::frame(const Disconnect& f, std::string_view id) {
  WKIT_TRY(id.empty() ? notification("disconnect", id) : request("disconnect", id));
  header(f.header);
  num("reasonCode", f.reason_code);
  WKIT_TRY(opt_str("params", "reason", f.reason));
  end();
  return std::nullopt;
}

Status Encoder::frame(const Sub& f, std::string_view id) {
  if (f.action > 1) return bad("sub: action " + std::to_string(f.action) + " is neither 0 (subscribe) nor 1 (unsubscribe)");
  WKIT_TRY(request(f.action == 0 ? "subscribe" : "unsubscribe", id));
  WKIT_TRY(str("params", "subNo", f.sub_no));
  WKIT_TRY(str("params", "channelId", f.channel_id));
  num("channelType", f.channel_type);
  WKIT_TRY(opt_str("params", "param", f.param));
  end();
  return std::nullopt;
}

Status Encoder::frame(const Suback& f, std::string_view id) {
  WKIT_TRY(response("suback", id));
  WKIT_TRY(str("result", "subNo", f.sub_no));
  WKIT_TRY(str("result", "channelId", f.channel_id));
  num("channelType", f.channel_type);
  num("action", f.action);
  num("reasonCode", f.reason_code);
  end();
  return std::nullopt;
}

Status Encoder::frame(const Event& f, std::string_view id) {
  WKIT_TRY(notification("event", id));
  header(f.header);
  WKIT_TRY(str("params", "id", f.id));
  WKIT_TRY(str("params", "type", f.type));
  num("timestamp", f.timestamp);
  WKIT_TRY(str("params", "data", f.data.data));  // EVENT data travels as a (UTF-8) string
  end();
  return std::nullopt;
}

#undef WKIT_TRY

}  // namespace

Status encode(const Frame& f, std::string_view id, std::string& out, const EncodeOptions& opts) {
  const size_t start = out.size();
  Encoder e(out, opts);
  Status st = std::visit([&](const auto& x) { return e.frame(x, id); }, f);
  if (st) out.resize(start);
  return st;
}

Status encode_error(std::string_view id, const ErrorObject& err, std::string& out) {
  const size_t start = out.size();
  Writer w(out);
  w.open();
  w.key("jsonrpc");
  w.raw("\"2.0\"");
  if (!id.empty()) {
    w.key("id");
    if (!w.str(id)) {
      out.resize(start);
      return Error::input("id: not valid UTF-8");
    }
  }
  w.key("error");
  w.open();
  w.key("code");
  w.num(err.code);
  w.key("message");
  if (!w.str(err.message)) {
    out.resize(start);
    return Error::input("error.message: not valid UTF-8");
  }
  if (!err.data.empty()) {
    if (!detail::is_json_text(err.data, 512)) {
      out.resize(start);
      return Error::input("error.data: not JSON text");
    }
    w.key("data");
    w.raw(err.data);
  }
  w.close();
  w.close();
  return std::nullopt;
}

}  // namespace wkit::proto::jsonrpc
