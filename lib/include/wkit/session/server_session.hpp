#pragma once
// The server side of one WKProto connection, sans I/O (docs/architecture.md): bytes in
// -> frames -> calls on ServerHooks; frames out -> a FrameSink. No sockets,
// no clocks: the owner passes the time to feed()/tick() and asks
// next_deadline() when to call tick() again.
//
// It does the per-connection work: handshake and version negotiation
// (docs/protocol.md sections 2-3), session keys, msg_key check and decryption of SEND, PONG,
// RECV encryption with this connection's keys, the redelivery of unacked
// RECVs, the inflight window (flow control of RECVs, paging the store),
// the idle timeout, and fault injection on this connection's frames.
// Routing, sequence numbers, de-duplication and storage belong to the owner
// (ServerHooks), which answers through sendack(), deliver() and kick().
#include <array>
#include <climits>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "wkit/crypto/crypto.hpp"
#include "wkit/fault/fault.hpp"
#include "wkit/proto/frame.hpp"
#include "wkit/proto/jsonrpc.hpp"
#include "wkit/proto/owned_frame.hpp"
#include "wkit/proto/stream_decoder.hpp"

namespace wkit::session {

// Time as the owner sees it: monotonic ms for timers, wall-clock ms for
// CONNACK time_diff and message timestamps.
struct Now {
  int64_t mono_ms = 0;
  int64_t wall_ms = 0;
};

// Where encoded frames go: append exactly one frame to buffer(), then commit().
// (net::FrameWriter has this shape; tests collect frames.)
class FrameSink {
 public:
  virtual ~FrameSink() = default;
  virtual std::string& buffer() = 0;
  virtual void commit() = 0;
  // Transport progress, so that a RECV still waiting in an outbound queue is
  // not queued a second time by redelivery: frames committed so far, and how
  // many of them have been written out. A sink that writes at once reports
  // nothing held (the defaults).
  virtual uint64_t frames_committed() const { return 0; }
  virtual uint64_t frames_written() const { return frames_committed(); }
  // The session speaks JSON-RPC: each committed frame is one JSON object, to
  // go out as one WebSocket text message. Called before the first commit.
  virtual void use_text_messages() {}
};

struct ServerSessionConfig {
  int max_version = proto::kMaxProtoVersion;
  uint64_t node_id = 1;
  int64_t idle_timeout_ms = 180'000;       // 0 = never
  // The whole CONNECT must have arrived this long after the session began
  // (the `now` given to the constructor: the server passes the accept time),
  // however the bytes trickle in; else the connection is closed. 0 = never.
  int64_t handshake_timeout_ms = 0;
  int64_t redeliver_interval_ms = 5'000;
  int redeliver_max = 5;                   // resends per RECV (0 = none)
  // At most this many RECVs unacked per connection. Messages beyond it are
  // not held here: they stay in the store and are read back in pages
  // (ServerHooks::on_page_wanted) as RECVACKs free the window. 0: no window
  // and no paging, every deliver() is sent (an owner without a store: the proxy).
  uint32_t inflight_window = 0;
  std::span<const fault::Rule> faults;     // must outlive the session
  uint64_t fault_seed = 0;
  // WuKongIM's JSON-RPC dialect (docs/protocol.md section 10): a connection
  // whose first non-blank byte is '{' or '[' speaks it for its whole life.
  // false: every connection is WKProto (the proxy).
  bool jsonrpc = false;
  // The generation written to JSON-RPC clients (how RECV payloads look);
  // input is read leniently (every generation's forms).
  proto::jsonrpc::Compat jsonrpc_compat = proto::jsonrpc::Compat::v2_2_3;
};

// What a connection speaks, decided by its first non-blank byte.
enum class Dialect : uint8_t { undecided, wkproto, jsonrpc };
std::string_view dialect_name(Dialect d);  // "undecided", "wkproto", "jsonrpc"

struct ConnectInfo {
  std::string_view uid, token, device_id, client_key;
  uint8_t device_flag = 0;
  uint8_t client_version = 0;
};

// A SEND that passed msg_key and decryption. Views are valid during the call.
struct SendRequest {
  const proto::Send* frame = nullptr;
  uint8_t header_bits = 0;        // header bits 3..0 (framer_flags)
  std::string_view plaintext;     // decrypted payload (or the payload with NoEncrypt)
};

// One message to hand to this connection as a RECV.
struct Delivery {
  int64_t message_id = 0;
  uint64_t message_seq = 0;
  std::string_view from_uid, channel_id, client_msg_no, topic, payload;  // payload: plaintext
  uint8_t channel_type = 0;
  uint8_t setting = 0;
  uint32_t expire = 0;
  int32_t timestamp = 0;
  proto::Header header;
  // Pending in the store for this connection's uid until acked, so it can be
  // read back later (false: a copy to the sender's other devices, which is
  // not stored for them and is dropped when the window is full).
  bool stored = true;
};

enum class DeliverResult : uint8_t {
  sent,         // a RECV was queued
  outstanding,  // already unacked on this connection: nothing sent
  deferred,     // window full or the connection is catching up: left in the store
  dropped,      // window full and not stored for this uid
  not_open,
};

class ServerSession;

class ServerHooks {
 public:
  virtual ~ServerHooks() = default;
  // Reason code for a CONNECT: 1 accepts; anything else is sent in the CONNACK.
  virtual uint8_t authenticate(const ConnectInfo& c) = 0;
  // The success CONNACK has been written; the connection is open.
  virtual void on_open(ServerSession& s) = 0;
  virtual void on_send(ServerSession& s, const SendRequest& r) = 0;
  // A RECVACK for a RECV this connection had outstanding.
  virtual void on_recvack(ServerSession& s, int64_t message_id, uint64_t message_seq) = 0;
  // Notes for the event log (default: ignored).
  virtual void on_connect(ServerSession&, const ConnectInfo&) {}
  virtual void on_connack(ServerSession&, uint8_t reason, int version) {}
  virtual void on_sendack(ServerSession&, const proto::Sendack&) {}
  virtual void on_deliver(ServerSession&, const Delivery&) {}
  virtual void on_redeliver(ServerSession&, int64_t message_id, uint64_t message_seq, int attempt) {}
  virtual void on_fault(ServerSession&, const fault::Decision&, proto::FrameType, fault::Direction) {}
  virtual void on_reject(ServerSession&, const proto::Send&, uint8_t reason, std::string_view why) {}
  virtual void on_close(ServerSession&, std::string_view why) {}
  // A JSON-RPC message that could not be used; it was answered with an
  // error object (`code`) and the connection goes on (closed before CONNECT).
  virtual void on_jsonrpc_error(ServerSession&, int64_t code, std::string_view why) {}
  // No whole CONNECT within handshake_timeout_ms; on_close follows.
  virtual void on_handshake_timeout(ServerSession&, uint64_t bytes_received) {}
  // The connection has room in its window and messages may be waiting in the
  // store (the offline backlog after on_open, or live messages deferred
  // while the window was full): read up to `limit` messages pending for uid()
  // with message_id > `after_id`, in message_id order, hand each to
  // deliver(d, now, Origin::page), then call page_done(). At most one page is
  // asked for at a time.
  virtual void on_page_wanted(ServerSession&, int64_t after_id, uint32_t limit) {}
};

class ServerSession {
 public:
  enum class State : uint8_t { handshake, open, closed };

  ServerSession(uint64_t id, const ServerSessionConfig& cfg, ServerHooks& hooks, FrameSink& out, Now now);
  ServerSession(const ServerSession&) = delete;
  ServerSession& operator=(const ServerSession&) = delete;

  // Inbound bytes (any chunking).
  void feed(std::string_view bytes, Now now);
  // Timers: handshake deadline, redelivery, delayed frames, idle timeout.
  void tick(Now now);
  // Earliest mono_ms at which tick() has something to do (INT64_MAX: nothing).
  int64_t next_deadline() const;

  // From the owner.
  void sendack(int64_t message_id, uint32_t client_seq, uint64_t message_seq, uint8_t reason,
               std::string_view client_msg_no, Now now);
  enum class Origin : uint8_t { live, page };
  // Live deliveries wait while the connection is behind (a page is due or
  // being read), so the store's message_id order is kept.
  DeliverResult deliver(const Delivery& d, Now now, Origin origin = Origin::live);
  // The page asked for by on_page_wanted has been handed over: `loaded`
  // messages (fewer than the limit: the store had no more). `failed`: the
  // store could not read it; nothing more is read until the next connection.
  void page_done(size_t loaded, bool failed, Now now);
  // DISCONNECT(reason) and close (e.g. 12 when kicked).
  void kick(uint8_t reason, std::string_view text, Now now);
  // The transport ended (peer closed or I/O error).
  void transport_closed(std::string_view why);

  State state() const { return state_; }
  bool closed() const { return state_ == State::closed; }
  uint64_t id() const { return id_; }
  const std::string& uid() const { return uid_; }
  const std::string& device_id() const { return device_id_; }
  uint8_t device_flag() const { return device_flag_; }
  int version() const { return version_; }
  Dialect dialect() const { return dialect_; }
  const std::string& close_reason() const { return close_reason_; }
  size_t unacked() const { return unacked_.size(); }
  // Messages may be waiting in the store for this connection.
  bool behind() const { return behind_; }
  const crypto::SessionKeys* keys() const { return cipher_ ? &cipher_->keys() : nullptr; }

 private:
  struct Unacked {
    std::string bytes;  // the RECV as first sent: resends are identical
    uint64_t message_seq = 0;
    int resends = 0;
    uint64_t frame_no = 0;  // out_.frames_committed() after it was last queued
  };
  struct Delayed {
    int64_t due = 0;
    bool inbound = false;
    std::string bytes;
    std::string rpc_id;  // JSON-RPC request id of a delayed inbound request
  };

  // `rpc_id`: the JSON-RPC request id the answer must carry (empty for WKProto).
  void handle(const proto::Frame& f, uint8_t header_byte, bool faulted, Now now, std::string_view rpc_id = {});
  void handle_connect(const proto::Connect& c, Now now, std::string_view rpc_id);
  void handle_send(const proto::Send& s, uint8_t header_byte, Now now, std::string_view rpc_id);
  // JSON-RPC (server_session_jsonrpc.cpp): splits json_in_ into messages.
  void feed_jsonrpc(Now now);
  void handle_jsonrpc(std::string_view text, Now now);
  void jsonrpc_error(std::string_view id, int64_t code, std::string message, Now now);
  // Encodes `f` in this connection's dialect (WKProto at `version`, or one
  // JSON-RPC object answering `rpc_id`) onto `out`; nothing appended on error.
  Status encode_out(const proto::Frame& f, int version, std::string_view rpc_id, std::string& out);
  void handle_recvack(const proto::Recvack& a, Now now);
  // Asks the owner for the next page when behind and half the window is free.
  void want_page();
  void protocol_error(std::string why, Now now);
  void close(std::string why);
  // Writes an encoded frame through the fault injector.
  void emit(proto::FrameType t, std::string_view bytes, Now now);
  void emit_frame(const proto::Frame& f, int version, Now now, std::string_view rpc_id = {});

  uint64_t id_;
  const ServerSessionConfig& cfg_;
  ServerHooks& hooks_;
  FrameSink& out_;
  fault::Injector faults_;
  proto::StreamDecoder decoder_;
  Dialect dialect_ = Dialect::undecided;
  // JSON-RPC: inbound text not yet split into messages; the decoded message
  // and its scratch (reused); the request ids of SENDs awaiting their
  // SENDACK, by the client_seq the session gave them (JSON-RPC has none).
  std::string json_in_, json_scratch_, json_text_;
  proto::jsonrpc::Message json_msg_;
  uint32_t json_sends_ = 0;
  std::unordered_map<uint32_t, std::string> json_send_ids_;
  State state_ = State::handshake;
  int version_ = proto::kMaxProtoVersion;
  std::string uid_, device_id_;
  uint8_t device_flag_ = 0;
  std::optional<crypto::Cipher> cipher_;
  int64_t last_inbound_ = 0;
  int64_t handshake_deadline_ = INT64_MAX;  // mono_ms; only while state_ == handshake
  uint64_t bytes_in_ = 0;
  std::string close_reason_;
  std::string scratch_, plain_, wire_, msg_key_;  // reused per frame
  std::unordered_map<int64_t, Unacked> unacked_;
  std::deque<std::pair<int64_t, int64_t>> redeliver_queue_;  // (due mono_ms, message_id)
  std::deque<Delayed> delayed_;  // sorted by due
  // Flow control: behind_ from open until a short page shows the store has
  // nothing more after cursor_ (the highest stored message_id handed over).
  bool behind_ = true;
  bool paging_ = false;         // a page was asked for and is not done
  bool page_deferred_ = false;  // an item of that page did not fit
  uint32_t page_limit_ = 0;
  int64_t cursor_ = 0;
};

}  // namespace wkit::session
