#include "wkit/session/client_session.hpp"

#include "wkit/proto/codec.hpp"

namespace wkit::session {

namespace {
constexpr uint8_t kReasonSuccess = 1;
}

std::string_view recv_check_name(RecvCheck c) {
  switch (c) {
    case RecvCheck::ok: return "ok";
    case RecvCheck::not_encrypted: return "not_encrypted";
    case RecvCheck::msg_key_mismatch: return "msg_key_mismatch";
    case RecvCheck::decrypt_failed: return "decrypt_failed";
  }
  return "?";
}

ClientSession::ClientSession(ClientConfig cfg)
    : cfg_(std::move(cfg)),
      keypair_(cfg_.keypair ? *cfg_.keypair : crypto::generate_keypair()),
      client_key_b64_(keypair_.public_base64()),
      version_(proto::effective_version(cfg_.proto_version)),
      decoder_(version_) {}

proto::Connect ClientSession::connect_frame(int64_t now_ms) const {
  proto::Connect c;
  c.version = static_cast<uint8_t>(cfg_.proto_version);
  c.device_flag = cfg_.device_flag;
  c.device_id = cfg_.device_id;
  c.uid = cfg_.uid;
  c.token = cfg_.token;
  c.client_timestamp = now_ms;
  return c;
}

void ClientSession::encode_connect(int64_t now_ms, std::string& out) {
  if (cfg_.jsonrpc) return rpc_connect(now_ms, out);
  proto::Connect c = connect_frame(now_ms);
  c.client_key = client_key_b64_;
  if (auto err = proto::encode_frame(c, version_, out)) {
    // Only over-long identity strings can fail; surface it as a failed CONNACK.
    state_ = State::failed;
    return;
  }
  state_ = State::awaiting_connack;
}

void ClientSession::feed(std::string_view bytes) {
  if (cfg_.jsonrpc) {
    rpc_in_.erase(0, rpc_pos_);
    rpc_pos_ = 0;
    rpc_in_.append(bytes);
    return;
  }
  if (state_ == State::awaiting_connack || state_ == State::idle) pre_.append(bytes);
  else decoder_.feed(bytes);
}

std::optional<ClientEvent> ClientSession::poll_connack() {
  // The CONNACK layout depends on the version it announces, so read it at
  // version 0 first (no node_id; a trailing node_id is just extra bytes),
  // then again at the agreed version.
  auto first = proto::decode_frame(pre_, 0);
  if (first.status == proto::DecodeStatus::incomplete) return std::nullopt;
  if (first.status == proto::DecodeStatus::error) {
    state_ = State::failed;
    return ProtocolErrorEvent{first.error};
  }
  const auto* ca = std::get_if<proto::Connack>(&first.frame);
  if (!ca) {
    state_ = State::failed;
    return ProtocolErrorEvent{Error::input(
        "expected CONNACK, got " + std::string(proto::frame_type_name(proto::type_of(first.frame))), 0)};
  }
  ConnackEvent ev;
  ev.server_sent_version = ca->has_server_version;
  ev.version = ca->has_server_version ? proto::effective_version(ca->server_version) : version_;
  proto::Connack full = *ca;
  auto again = proto::decode_frame(pre_, ev.version);
  if (again.status == proto::DecodeStatus::ok && std::holds_alternative<proto::Connack>(again.frame))
    full = std::get<proto::Connack>(again.frame);
  ev.reason_code = full.reason_code;
  ev.time_diff = full.time_diff;
  ev.node_id = full.node_id;
  ev.success = full.reason_code == kReasonSuccess;
  if (ev.success) {
    auto secret = crypto::shared_secret(keypair_, full.server_key);
    Result<crypto::SessionKeys> keys = secret.ok() ? crypto::SessionKeys::derive(secret.value(), full.salt)
                                                   : Result<crypto::SessionKeys>(secret.error());
    if (keys.ok()) {
      cipher_ = std::make_unique<crypto::Cipher>(keys.value());
    } else if (cfg_.encrypt) {
      ev.success = false;
      ev.error = "key agreement failed: " + keys.error().message;
    }
  }
  version_ = ev.version;
  state_ = ev.success ? State::connected : State::failed;
  if (ev.success) {
    decoder_.set_version(version_);
    decoder_.feed(std::string_view(pre_).substr(first.consumed));
  }
  pre_.clear();
  pre_.shrink_to_fit();
  return ev;
}

std::optional<ClientEvent> ClientSession::poll() {
  if (cfg_.jsonrpc) return rpc_poll();
  if (state_ == State::awaiting_connack) return poll_connack();
  if (state_ != State::connected) return std::nullopt;
  auto r = decoder_.next();
  if (r.status == proto::DecodeStatus::incomplete) return std::nullopt;
  if (r.status == proto::DecodeStatus::error) {
    state_ = State::failed;
    return ProtocolErrorEvent{r.error};
  }
  return std::visit(
      [&](auto& f) -> ClientEvent {
        using T = std::decay_t<decltype(f)>;
        if constexpr (std::is_same_v<T, proto::Sendack>) {
          SendackEvent ev;
          ev.frame = f;
          return ev;
        } else if constexpr (std::is_same_v<T, proto::Recv>) {
          return on_recv(f);
        } else if constexpr (std::is_same_v<T, proto::Ping>) {
          return PingEvent{};
        } else if constexpr (std::is_same_v<T, proto::Pong>) {
          return PongEvent{};
        } else if constexpr (std::is_same_v<T, proto::Disconnect>) {
          return DisconnectEvent{f.reason_code, f.reason};
        } else {
          return OtherFrameEvent{r.frame};
        }
      },
      r.frame);
}

ClientEvent ClientSession::on_recv(const proto::Recv& f) {
  RecvEvent ev{f, RecvCheck::ok, {}};
  if (f.setting.no_encrypt()) {
    ev.check = RecvCheck::not_encrypted;
    ev.plaintext = f.payload.data;
    return ev;
  }
  if (!cipher_) {
    ev.check = RecvCheck::decrypt_failed;
    return ev;
  }
  cipher_->recv_msg_key(f.message_id, f.message_seq, f.client_msg_no, f.timestamp, f.from_uid,
                        f.channel_id, f.channel_type, f.payload.data, check_key_);
  if (check_key_ != f.msg_key) {
    ev.check = RecvCheck::msg_key_mismatch;
    return ev;
  }
  plain_.clear();
  if (cipher_->open(f.payload.data, plain_)) {
    ev.check = RecvCheck::decrypt_failed;
    return ev;
  }
  ev.plaintext = plain_;
  return ev;
}

Result<uint32_t> ClientSession::encode_send(const SendSpec& spec, std::string& out) {
  if (state_ != State::connected) return Error::internal_error("SEND before a successful CONNACK");
  const uint32_t seq = spec.client_seq ? spec.client_seq : next_seq_++;
  proto::Send s;
  s.header.dup = spec.dup;
  s.header.red_dot = spec.red_dot;
  s.setting.bits = spec.setting;
  s.client_seq = seq;
  s.client_msg_no = spec.client_msg_no;
  s.channel_id = spec.channel_id;
  s.channel_type = spec.channel_type;
  s.expire = spec.expire;
  if (cfg_.jsonrpc) {  // no encryption in this dialect (and no setting bit for it)
    s.payload.data = spec.payload;
    return rpc_send(s, out);
  }
  if (cfg_.encrypt) {
    wire_payload_.clear();
    cipher_->seal(spec.payload, wire_payload_);
    cipher_->send_msg_key(seq, spec.client_msg_no, spec.channel_id, spec.channel_type,
                          wire_payload_, msg_key_);
    s.payload.data = wire_payload_;
    s.msg_key = msg_key_;
  } else {
    s.setting.bits |= proto::Setting::kNoEncrypt;
    s.payload.data = spec.payload;
  }
  if (auto err = proto::encode_frame(s, version_, out)) return *err;
  return seq;
}

void ClientSession::encode_recvack(int64_t message_id, uint64_t message_seq, std::string& out) {
  proto::Recvack a;
  a.message_id = message_id;
  a.message_seq = message_seq;
  if (cfg_.jsonrpc) return rpc_encode(a, 'a', out);
  (void)proto::encode_frame(a, version_, out);
}

void ClientSession::encode_ping(std::string& out) {
  if (cfg_.jsonrpc) return rpc_encode(proto::Ping{}, 'p', out);
  (void)proto::encode_frame(proto::Ping{}, version_, out);
}
void ClientSession::encode_pong(std::string& out) {
  if (cfg_.jsonrpc) return rpc_encode(proto::Pong{}, 0, out);
  (void)proto::encode_frame(proto::Pong{}, version_, out);
}

void ClientSession::encode_disconnect(uint8_t reason_code, std::string_view reason, std::string& out) {
  proto::Disconnect d;
  d.reason_code = reason_code;
  d.reason = reason;
  if (cfg_.jsonrpc) return rpc_encode(d, 0, out);
  (void)proto::encode_frame(d, version_, out);
}

}  // namespace wkit::session
