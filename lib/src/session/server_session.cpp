#include "wkit/session/server_session.hpp"

#include <algorithm>
#include <climits>

#include "wkit/proto/codec.hpp"

namespace wkit::session {

using proto::FrameType;

ServerSession::ServerSession(uint64_t id, const ServerSessionConfig& cfg, ServerHooks& hooks, FrameSink& out,
                             Now now)
    : id_(id), cfg_(cfg), hooks_(hooks), out_(out), faults_(cfg.faults, cfg.fault_seed, id),
      decoder_(proto::kMaxProtoVersion), last_inbound_(now.mono_ms),
      handshake_deadline_(cfg.handshake_timeout_ms > 0 ? now.mono_ms + cfg.handshake_timeout_ms : INT64_MAX),
      behind_(cfg.inflight_window > 0) {}

std::string_view dialect_name(Dialect d) {
  switch (d) {
    case Dialect::undecided: return "undecided";
    case Dialect::wkproto: return "wkproto";
    case Dialect::jsonrpc: return "jsonrpc";
  }
  return "?";
}

void ServerSession::feed(std::string_view bytes, Now now) {
  if (closed()) return;
  last_inbound_ = now.mono_ms;
  bytes_in_ += bytes.size();
  if (dialect_ == Dialect::undecided) {
    if (!cfg_.jsonrpc) {
      dialect_ = Dialect::wkproto;
    } else {
      // Blank bytes before the first real one are held until it shows the dialect.
      json_in_.append(bytes);
      const size_t first = json_in_.find_first_not_of(" \t\r\n");
      if (first == std::string::npos && json_in_.size() < 4096) return;
      if (first != std::string::npos && (json_in_[first] == '{' || json_in_[first] == '[')) {
        dialect_ = Dialect::jsonrpc;
        out_.use_text_messages();
        feed_jsonrpc(now);
        return;
      }
      dialect_ = Dialect::wkproto;
      decoder_.feed(json_in_);
      std::string().swap(json_in_);
      bytes = {};
    }
  } else if (dialect_ == Dialect::jsonrpc) {
    json_in_.append(bytes);
    feed_jsonrpc(now);
    return;
  }
  decoder_.feed(bytes);
  while (!closed()) {
    uint64_t offset = 0;
    proto::DecodeResult r = decoder_.next(&offset);
    if (r.status == proto::DecodeStatus::incomplete) break;
    if (r.status == proto::DecodeStatus::error) {
      protocol_error("malformed frame: " + r.error.describe(), now);
      break;
    }
    handle(r.frame, r.header_byte, false, now);
  }
}

void ServerSession::handle(const proto::Frame& f, uint8_t header_byte, bool faulted, Now now,
                           std::string_view rpc_id) {
  const FrameType t = proto::type_of(f);
  if (state_ == State::handshake) {
    if (t != FrameType::connect) {
      close("first frame was " + std::string(proto::frame_type_name(t)) + ", not CONNECT");
      return;
    }
    handle_connect(std::get<proto::Connect>(f), now, rpc_id);
    return;
  }
  if (!faulted && !faults_.empty() &&
      (t == FrameType::send || t == FrameType::recvack || t == FrameType::ping)) {
    fault::Decision d = faults_.decide(t, fault::Direction::in);
    if (d.action != fault::Action::pass) {
      hooks_.on_fault(*this, d, t, fault::Direction::in);
      switch (d.action) {
        case fault::Action::drop: return;
        case fault::Action::reset: close("fault: " + d.rule->text); return;
        case fault::Action::dup: handle(f, header_byte, true, now, rpc_id); break;
        case fault::Action::delay: {
          Delayed del{now.mono_ms + d.delay_ms, true, {}, std::string(rpc_id)};
          if (proto::encode_frame(f, version_, del.bytes)) return;
          auto at = std::upper_bound(delayed_.begin(), delayed_.end(), del.due,
                                     [](int64_t due, const Delayed& x) { return due < x.due; });
          delayed_.insert(at, std::move(del));
          return;
        }
        case fault::Action::pass: break;
      }
      if (closed()) return;
    }
  }
  switch (t) {
    case FrameType::send: handle_send(std::get<proto::Send>(f), header_byte, now, rpc_id); return;
    case FrameType::recvack: handle_recvack(std::get<proto::Recvack>(f), now); return;
    case FrameType::ping: emit_frame(proto::Pong{}, version_, now, rpc_id); return;
    case FrameType::pong: return;
    case FrameType::disconnect: {
      const auto& d = std::get<proto::Disconnect>(f);
      close("client sent DISCONNECT reason " + std::to_string(d.reason_code));
      return;
    }
    case FrameType::sub: {
      // Subscriptions are not served: answer so that a client does not wait.
      const auto& s = std::get<proto::Sub>(f);
      proto::Suback a;
      a.sub_no = s.sub_no;
      a.channel_id = s.channel_id;
      a.channel_type = s.channel_type;
      a.action = s.action;
      a.reason_code = 5;  // channel not exist
      emit_frame(a, version_, now, rpc_id);
      return;
    }
    case FrameType::connect:
      protocol_error("second CONNECT on an open connection", now);
      return;
    default:
      protocol_error("unexpected " + std::string(proto::frame_type_name(t)) + " from a client", now);
      return;
  }
}

void ServerSession::handle_connect(const proto::Connect& c, Now now, std::string_view rpc_id) {
  ConnectInfo ci;
  ci.uid = c.uid;
  ci.token = c.token;
  ci.device_id = c.device_id;
  ci.client_key = c.client_key;
  ci.device_flag = c.device_flag;
  ci.client_version = c.version;
  uid_.assign(c.uid);
  device_id_.assign(c.device_id);
  device_flag_ = c.device_flag;
  hooks_.on_connect(*this, ci);

  // The 3.x server reads version 0 as its current version.
  int cv = c.version == 0 ? proto::kMaxProtoVersion : c.version;
  const bool has_version = cv > 3;
  const int v = has_version ? std::min(cv, cfg_.max_version) : cv;

  auto refuse = [&](uint8_t reason, std::string why) {
    // Before a version is agreed, failures go out in v5 layout without the
    // version byte, as the 3.x server does.
    proto::Connack a;
    a.time_diff = now.wall_ms - c.client_timestamp;
    a.reason_code = reason;
    a.node_id = cfg_.node_id;
    version_ = 5;
    emit_frame(a, 5, now, rpc_id);
    hooks_.on_connack(*this, reason, 5);
    close(std::move(why));
  };

  // JSON-RPC has no session crypto: no key exchange, payloads in clear.
  const bool json = dialect_ == Dialect::jsonrpc;
  if (c.client_key.empty() && !json) return refuse(21, "CONNECT with an empty client_key");
  uint8_t reason = hooks_.authenticate(ci);
  if (reason != 1) return refuse(reason, "authentication refused (reason " + std::to_string(reason) + ")");
  if (json) {
    proto::Connack a;
    a.has_server_version = has_version;
    a.server_version = static_cast<uint8_t>(v);
    a.time_diff = now.wall_ms - c.client_timestamp;
    a.reason_code = 1;
    a.node_id = cfg_.node_id;
    version_ = v;
    state_ = State::open;
    emit_frame(a, v, now, rpc_id);
    hooks_.on_connack(*this, 1, v);
    if (!closed()) hooks_.on_open(*this);
    want_page();
    return;
  }
  crypto::KeyPair kp = crypto::generate_keypair();
  auto secret = crypto::shared_secret(kp, c.client_key);
  if (!secret) return refuse(2, "bad client_key: " + secret.error().message);
  std::string salt = crypto::random_salt(16);
  auto keys = crypto::SessionKeys::derive(*secret, salt);
  if (!keys) return refuse(15, "key derivation: " + keys.error().message);
  cipher_.emplace(*keys);

  std::string server_key = kp.public_base64();
  proto::Connack a;
  a.has_server_version = has_version;
  a.server_version = static_cast<uint8_t>(v);
  a.time_diff = now.wall_ms - c.client_timestamp;
  a.reason_code = 1;
  a.server_key = server_key;
  a.salt = salt;
  a.node_id = cfg_.node_id;
  version_ = v;
  decoder_.set_version(v);
  state_ = State::open;
  emit_frame(a, v, now);
  hooks_.on_connack(*this, 1, v);
  if (!closed()) hooks_.on_open(*this);
  want_page();  // the offline backlog
}

void ServerSession::handle_send(const proto::Send& s, uint8_t header_byte, Now now, std::string_view rpc_id) {
  if (dialect_ == Dialect::jsonrpc) {
    // No client_seq in JSON-RPC: number this connection's sends, so that the
    // SENDACK (sendack() gets the client_seq back) finds its request id.
    proto::Send numbered = s;
    numbered.client_seq = ++json_sends_;
    if (!rpc_id.empty()) json_send_ids_[numbered.client_seq] = std::string(rpc_id);
    SendRequest r;
    r.frame = &numbered;
    r.header_bits = header_byte & 0x0f;
    r.plaintext = s.payload.data;
    hooks_.on_send(*this, r);
    return;
  }
  std::string_view plaintext = s.payload.data;
  if (!s.setting.no_encrypt()) {
    cipher_->send_msg_key(s.client_seq, s.client_msg_no, s.channel_id, s.channel_type, s.payload.data, msg_key_);
    if (msg_key_ != s.msg_key) {
      hooks_.on_reject(*this, s, 8, "msg_key mismatch");
      sendack(0, s.client_seq, 0, 8, s.client_msg_no, now);
      return;
    }
    plain_.clear();
    if (auto err = cipher_->open(s.payload.data, plain_)) {
      hooks_.on_reject(*this, s, 9, err->message);
      sendack(0, s.client_seq, 0, 9, s.client_msg_no, now);
      return;
    }
    plaintext = plain_;
  }
  SendRequest r;
  r.frame = &s;
  r.header_bits = header_byte & 0x0f;
  r.plaintext = plaintext;
  hooks_.on_send(*this, r);
}

void ServerSession::handle_recvack(const proto::Recvack& a, Now) {
  const bool freed = unacked_.erase(a.message_id) > 0;
  hooks_.on_recvack(*this, a.message_id, a.message_seq);
  if (freed) want_page();
}

void ServerSession::want_page() {
  if (state_ != State::open || !behind_ || paging_ || cfg_.inflight_window == 0) return;
  const size_t window = cfg_.inflight_window;
  const size_t room = window > unacked_.size() ? window - unacked_.size() : 0;
  // Half a window at least: pages stay large and the acks of one page
  // overlap with the reading of the next.
  if (room == 0 || room < (window + 1) / 2) return;
  paging_ = true;
  page_deferred_ = false;
  page_limit_ = static_cast<uint32_t>(room);
  hooks_.on_page_wanted(*this, cursor_, page_limit_);
}

void ServerSession::page_done(size_t loaded, bool failed, Now) {
  if (!paging_) return;
  paging_ = false;
  // A short page: nothing pending after cursor_ was committed before the
  // read, and everything committed after it arrives live, in order.
  if (failed || (loaded < page_limit_ && !page_deferred_)) behind_ = false;
  want_page();
}

void ServerSession::sendack(int64_t message_id, uint32_t client_seq, uint64_t message_seq, uint8_t reason,
                            std::string_view client_msg_no, Now now) {
  if (state_ != State::open) return;
  proto::Sendack a;
  a.message_id = message_id;
  a.client_seq = client_seq;
  a.message_seq = message_seq;
  a.reason_code = reason;
  a.client_msg_no = client_msg_no;
  hooks_.on_sendack(*this, a);
  if (dialect_ != Dialect::jsonrpc) {
    emit_frame(a, version_, now);
    return;
  }
  // A send notification (no id) gets no answer.
  auto it = json_send_ids_.find(client_seq);
  if (it == json_send_ids_.end()) return;
  const std::string id = std::move(it->second);
  json_send_ids_.erase(it);
  emit_frame(a, version_, now, id);
}

DeliverResult ServerSession::deliver(const Delivery& d, Now now, Origin origin) {
  if (state_ != State::open) return DeliverResult::not_open;
  if (unacked_.count(d.message_id)) {  // already outstanding on this connection
    if (d.stored) cursor_ = std::max(cursor_, d.message_id);
    return DeliverResult::outstanding;
  }
  const bool full = cfg_.inflight_window > 0 && unacked_.size() >= cfg_.inflight_window;
  if (origin == Origin::page) {
    if (full) {
      page_deferred_ = true;  // read again from cursor_ by a later page
      return DeliverResult::deferred;
    }
  } else if (!d.stored) {
    if (full) return DeliverResult::dropped;
  } else if (behind_ || full) {
    // Stays in the store; a page reads it once the window has room. Only
    // message ids above cursor_ are read, and live messages come in id order.
    behind_ = true;
    return DeliverResult::deferred;
  }
  if (d.stored) cursor_ = std::max(cursor_, d.message_id);
  proto::Recv r;
  r.header = d.header;
  r.setting.bits = d.setting;
  r.from_uid = d.from_uid;
  r.channel_id = d.channel_id;
  r.channel_type = d.channel_type;
  r.expire = d.expire;
  r.client_msg_no = d.client_msg_no;
  r.message_id = d.message_id;
  r.message_seq = d.message_seq;
  r.timestamp = d.timestamp;
  r.topic = d.topic;
  if (dialect_ == Dialect::jsonrpc) {
    r.payload.data = d.payload;  // in clear, no msg_key
  } else if (!r.setting.no_encrypt()) {
    wire_.clear();
    cipher_->seal(d.payload, wire_);
    cipher_->recv_msg_key(d.message_id, d.message_seq, d.client_msg_no, d.timestamp, d.from_uid, d.channel_id,
                          d.channel_type, wire_, msg_key_);
    r.payload.data = wire_;
    r.msg_key = msg_key_;
  } else {
    r.payload.data = d.payload;
  }
  hooks_.on_deliver(*this, d);
  Unacked u;
  u.message_seq = d.message_seq;
  if (cfg_.redeliver_max <= 0) {
    // Nothing to resend: only the window counts it.
    emit_frame(r, version_, now);
    if (closed() || cfg_.inflight_window == 0) return DeliverResult::sent;
    u.frame_no = out_.frames_committed();
    unacked_.emplace(d.message_id, std::move(u));
    return DeliverResult::sent;
  }
  if (auto err = encode_out(r, version_, {}, u.bytes)) {
    protocol_error("cannot encode RECV: " + err->message, now);
    return DeliverResult::not_open;
  }
  auto [it, inserted] = unacked_.emplace(d.message_id, std::move(u));
  redeliver_queue_.emplace_back(now.mono_ms + cfg_.redeliver_interval_ms, d.message_id);
  emit(FrameType::recv, it->second.bytes, now);
  if (!closed()) it->second.frame_no = out_.frames_committed();
  return DeliverResult::sent;
}

void ServerSession::kick(uint8_t reason, std::string_view text, Now now) {
  if (closed()) return;
  proto::Disconnect d;
  d.reason_code = reason;
  d.reason = text;
  emit_frame(d, version_, now);
  close("DISCONNECT reason " + std::to_string(reason) + ": " + std::string(text));
}

void ServerSession::transport_closed(std::string_view why) {
  if (!closed()) close(std::string(why));
}

void ServerSession::protocol_error(std::string why, Now now) {
  if (state_ == State::open) {
    proto::Disconnect d;
    d.reason_code = 0;
    d.reason = why;
    emit_frame(d, version_, now);
  }
  close(std::move(why));
}

void ServerSession::close(std::string why) {
  if (closed()) return;
  state_ = State::closed;
  close_reason_ = std::move(why);
  unacked_.clear();
  redeliver_queue_.clear();
  json_send_ids_.clear();
  hooks_.on_close(*this, close_reason_);
}

void ServerSession::emit_frame(const proto::Frame& f, int version, Now now, std::string_view rpc_id) {
  if (faults_.empty()) {
    std::string& buf = out_.buffer();
    size_t before = buf.size();
    if (auto err = encode_out(f, version, rpc_id, buf)) {
      buf.resize(before);
      return;
    }
    out_.commit();
    return;
  }
  scratch_.clear();
  if (encode_out(f, version, rpc_id, scratch_)) return;
  emit(proto::type_of(f), scratch_, now);
}

void ServerSession::emit(FrameType t, std::string_view bytes, Now now) {
  fault::Decision d;
  if (!faults_.empty()) d = faults_.decide(t, fault::Direction::out);
  if (d.action != fault::Action::pass) hooks_.on_fault(*this, d, t, fault::Direction::out);
  switch (d.action) {
    case fault::Action::pass:
      out_.buffer().append(bytes);
      out_.commit();
      return;
    case fault::Action::drop:
      return;
    case fault::Action::dup:
      for (int i = 0; i < 2; ++i) {
        out_.buffer().append(bytes);
        out_.commit();
      }
      return;
    case fault::Action::delay: {
      Delayed del{now.mono_ms + d.delay_ms, false, std::string(bytes)};
      auto at = std::upper_bound(delayed_.begin(), delayed_.end(), del.due,
                                 [](int64_t due, const Delayed& x) { return due < x.due; });
      delayed_.insert(at, std::move(del));
      return;
    }
    case fault::Action::reset:
      close("fault: " + d.rule->text);
      return;
  }
}

void ServerSession::tick(Now now) {
  if (closed()) return;
  if (state_ == State::handshake && now.mono_ms >= handshake_deadline_) {
    hooks_.on_handshake_timeout(*this, bytes_in_);
    close("handshake timeout: no complete CONNECT within " + std::to_string(cfg_.handshake_timeout_ms) + " ms (" +
          std::to_string(bytes_in_) + " bytes received)");
    return;
  }
  if (cfg_.idle_timeout_ms > 0 && now.mono_ms - last_inbound_ >= cfg_.idle_timeout_ms) {
    close("idle timeout: no data for " + std::to_string(now.mono_ms - last_inbound_) + " ms");
    return;
  }
  while (!closed() && !delayed_.empty() && delayed_.front().due <= now.mono_ms) {
    Delayed d = std::move(delayed_.front());
    delayed_.pop_front();
    if (!d.inbound) {
      out_.buffer().append(d.bytes);
      out_.commit();
      continue;
    }
    auto owned = proto::OwnedFrame::from_bytes(d.bytes, version_);
    if (owned) handle(owned->frame(), static_cast<uint8_t>(d.bytes[0]), true, now, d.rpc_id);
  }
  bool freed = false;
  while (!closed() && !redeliver_queue_.empty() && redeliver_queue_.front().first <= now.mono_ms) {
    int64_t id = redeliver_queue_.front().second;
    redeliver_queue_.pop_front();
    auto it = unacked_.find(id);
    if (it == unacked_.end()) continue;
    if (out_.frames_written() < it->second.frame_no) {
      // The last copy has not even left the outbound queue: the peer cannot
      // have acked it. Look again an interval later; no attempt is used up.
      redeliver_queue_.emplace_back(now.mono_ms + cfg_.redeliver_interval_ms, id);
      continue;
    }
    if (it->second.resends >= cfg_.redeliver_max) {
      unacked_.erase(it);  // given up on this connection; it stays pending in the store
      freed = true;
      continue;
    }
    int attempt = ++it->second.resends;
    redeliver_queue_.emplace_back(now.mono_ms + cfg_.redeliver_interval_ms, id);
    hooks_.on_redeliver(*this, id, it->second.message_seq, attempt);
    emit(FrameType::recv, it->second.bytes, now);
    if (!closed()) it->second.frame_no = out_.frames_committed();
  }
  if (freed) want_page();
}

int64_t ServerSession::next_deadline() const {
  if (closed()) return INT64_MAX;
  int64_t t = cfg_.idle_timeout_ms > 0 ? last_inbound_ + cfg_.idle_timeout_ms : INT64_MAX;
  if (state_ == State::handshake) t = std::min(t, handshake_deadline_);
  if (!delayed_.empty()) t = std::min(t, delayed_.front().due);
  if (!redeliver_queue_.empty()) t = std::min(t, redeliver_queue_.front().first);
  return t;
}

}  // namespace wkit::session
