#pragma once
// Sans-I/O client side of a WKProto session (docs/protocol.md sections 2-3):
// bytes in -> events out; frames to send are encoded into caller buffers,
// exactly one frame per encode_*() call (so a WebSocket transport can send
// one frame per message). No sockets and no clocks: time is passed in.
//
//   ClientSession s(cfg);
//   s.encode_connect(now_ms, out);            // first frame
//   s.feed(bytes);
//   while (auto ev = s.poll()) { ... }        // ConnackEvent, SendackEvent, RecvEvent, ...
//   s.encode_send(spec, out);                 // after a successful CONNACK
//   s.encode_recvack(id, seq, out);
//
// Views inside events stay valid until the next feed() or poll().
//
// With ClientConfig::jsonrpc the same calls speak WuKongIM's JSON-RPC dialect
// (docs/protocol.md section 10; client_session_jsonrpc.cpp): each encode_*()
// appends one JSON object (one WebSocket text message), requests get ids
// ("c-1", "s-<n>", "p-<n>", "a-<n>"), a send result is mapped back to the
// client_seq of its request (JSON-RPC has none), and there is no key exchange
// or encryption: RECV payloads arrive in clear (RecvCheck::not_encrypted).
// A JSON-RPC error answering a send becomes a SendackEvent with rpc_error set;
// any other error object ends the session (ProtocolErrorEvent), or the
// handshake (a failed ConnackEvent).
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "wkit/crypto/crypto.hpp"
#include "wkit/proto/frame.hpp"
#include "wkit/proto/jsonrpc.hpp"
#include "wkit/proto/stream_decoder.hpp"
#include "wkit/util/error.hpp"

namespace wkit::session {

struct ClientConfig {
  std::string uid, token, device_id;
  uint8_t device_flag = 0;
  int proto_version = proto::kMaxProtoVersion;  // requested; the CONNACK decides
  // false: SENDs carry the NoEncrypt setting bit, plaintext payload and an
  // empty msg_key. The key exchange still happens (servers require a key).
  bool encrypt = true;
  std::optional<crypto::KeyPair> keypair;  // fixed key for tests; random otherwise
  // Speak the JSON-RPC dialect instead of WKProto (then `encrypt`, the key
  // and proto_version's framing do not apply).
  bool jsonrpc = false;
  proto::jsonrpc::Compat jsonrpc_compat = proto::jsonrpc::Compat::v2_2_3;
};

struct ConnackEvent {
  bool success = false;
  uint8_t reason_code = 0;
  int version = 0;                // the protocol version both sides now use
  bool server_sent_version = false;
  int64_t time_diff = 0;
  uint64_t node_id = 0;
  std::string error;              // key agreement failure (success is then false)
};
struct SendackEvent {
  proto::Sendack frame;
  // JSON-RPC: the server answered the send with an error object. frame has
  // the client_seq and reason_code (the error code when it is a reason code
  // 2..255, as the 3.x gateway reports refusals, else 0).
  bool rpc_error = false;
  int64_t error_code = 0;
  std::string_view error_message;
};
enum class RecvCheck : uint8_t {
  ok,               // msg_key matched and the payload decrypted
  not_encrypted,    // NoEncrypt setting: payload is plaintext, no msg_key
  msg_key_mismatch, // do not RECVACK (what the JS SDK does)
  decrypt_failed,
};
std::string_view recv_check_name(RecvCheck c);
struct RecvEvent {
  proto::Recv frame;
  RecvCheck check = RecvCheck::ok;
  std::string_view plaintext;  // decrypted payload (empty unless ok/not_encrypted)
};
struct PingEvent {};
struct PongEvent {};
struct DisconnectEvent {
  uint8_t reason_code = 0;
  std::string_view reason;
};
struct OtherFrameEvent {  // SUBACK, EVENT, or a frame a client should not get
  proto::Frame frame;
};
struct ProtocolErrorEvent {  // the byte stream is broken: close the connection
  Error error;
};
using ClientEvent = std::variant<ConnackEvent, SendackEvent, RecvEvent, PingEvent, PongEvent,
                                 DisconnectEvent, OtherFrameEvent, ProtocolErrorEvent>;

struct SendSpec {
  std::string_view channel_id;
  uint8_t channel_type = 1;
  std::string_view client_msg_no;
  std::string_view payload;     // plaintext
  uint32_t client_seq = 0;      // 0: take the next one of this connection
  bool dup = false;             // header DUP bit (a resend)
  uint8_t setting = 0;          // extra setting bits; NoEncrypt is added when !encrypt
  uint32_t expire = 0;
  bool red_dot = true;
};

class ClientSession {
 public:
  explicit ClientSession(ClientConfig cfg);

  enum class State : uint8_t { idle, awaiting_connack, connected, failed };
  State state() const { return state_; }
  int version() const { return version_; }
  const ClientConfig& config() const { return cfg_; }
  const crypto::KeyPair& keypair() const { return keypair_; }
  // Session keys after a successful CONNACK (for decode --aes-key, logs).
  const crypto::Cipher* cipher() const { return cipher_.get(); }

  void encode_connect(int64_t now_ms, std::string& out);
  // Returns the client_seq used. Error if not connected or the frame cannot be
  // encoded (e.g. channel id over 32767 bytes); nothing is appended then.
  Result<uint32_t> encode_send(const SendSpec& spec, std::string& out);
  void encode_recvack(int64_t message_id, uint64_t message_seq, std::string& out);
  void encode_ping(std::string& out);
  void encode_pong(std::string& out);
  void encode_disconnect(uint8_t reason_code, std::string_view reason, std::string& out);
  uint32_t next_client_seq() const { return next_seq_; }
  // JSON-RPC: sends whose answer has not come yet (request id -> client_seq).
  size_t pending_rpc_sends() const { return rpc_pending_count_; }

  void feed(std::string_view bytes);
  std::optional<ClientEvent> poll();

 private:
  std::optional<ClientEvent> poll_connack();
  ClientEvent on_recv(const proto::Recv& r);

  // JSON-RPC dialect (client_session_jsonrpc.cpp).
  proto::Connect connect_frame(int64_t now_ms) const;  // identity and version, either dialect
  void rpc_connect(int64_t now_ms, std::string& out);
  Result<uint32_t> rpc_send(const proto::Send& s, std::string& out);
  void rpc_encode(const proto::Frame& f, char prefix, std::string& out);
  std::string_view rpc_next_id(char prefix);
  std::optional<ClientEvent> rpc_poll();
  std::optional<ClientEvent> rpc_event(std::string_view text);
  std::optional<ClientEvent> rpc_response(std::string_view text);
  ClientEvent rpc_fail(std::string why);
  void rpc_remember(uint64_t n, uint32_t seq);
  uint32_t rpc_take(uint64_t n);

  ClientConfig cfg_;
  crypto::KeyPair keypair_;
  std::string client_key_b64_;
  State state_ = State::idle;
  int version_;
  std::string pre_;  // bytes before the CONNACK is decoded (its layout depends on it)
  proto::StreamDecoder decoder_;
  std::unique_ptr<crypto::Cipher> cipher_;
  uint32_t next_seq_ = 1;
  std::string wire_payload_, msg_key_, plain_, check_key_;

  struct RpcPending {
    uint64_t n = 0;  // the request number of "s-<n>"; 0 = free slot
    uint32_t seq = 0;
  };
  std::string rpc_in_;          // inbound text; objects before rpc_pos_ are consumed
  size_t rpc_pos_ = 0;
  proto::jsonrpc::Message rpc_msg_;
  std::string rpc_scratch_, rpc_id_, rpc_ping_id_, rpc_error_;
  uint64_t rpc_next_ = 1;
  std::vector<RpcPending> rpc_pending_;  // ring indexed by n (power-of-two size)
  size_t rpc_pending_count_ = 0;
};

}  // namespace wkit::session
