#pragma once
// The shared state of `wkit serve` behind every connection's ServerSession:
// who is online, channel sequence numbers, Snowflake ids, the in-memory
// idempotency index in front of the store, routing and delivery.
// Single-threaded: everything runs on the server's I/O thread; the store
// thread's committed batches are handed back to it (on_committed()).
#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "wkit/app/dedup_window.hpp"
#include "wkit/app/server_events.hpp"
#include "wkit/app/server_options.hpp"
#include "wkit/app/server_trouble.hpp"
#include "wkit/session/server_session.hpp"
#include "wkit/store/message_store.hpp"
#include "wkit/util/ids.hpp"

namespace wkit::app {

// What the hub needs from a connection besides its session.
class Peer {
 public:
  virtual ~Peer() = default;
  virtual session::ServerSession& session() = 0;
  // Called after the hub changed the session from outside its own input
  // (delivery, SENDACK after commit, kick): re-arm timers, close if closed.
  virtual void poke() = 0;
  virtual const std::string& remote() const = 0;
};

struct HubStats {
  uint64_t sends = 0, stored = 0, dedup_hits = 0, dedup_conflicts = 0, delivered = 0, redelivered = 0,
           recvacks = 0, connections = 0, store_failures = 0, pages = 0, slow_consumers = 0,
           dedup_disk_lookups = 0, dedup_disk_hits = 0;  // keys older than the window
};

// A message sent through the HTTP API (POST /message/send), as the hub takes it.
struct ApiSend {
  std::string from_uid, channel_id, client_msg_no;
  uint8_t channel_type = 1;
  std::string payload;  // plaintext
  uint8_t setting = 0;
  uint32_t expire = 0;
  bool dedup = true;  // idempotent on (channel, from_uid, client_msg_no) like a SEND (3.x); false: 2.x
  // from_uid must be a member of a group (3.x); 2.x sends as the system
  // device and skips the check whatever from_uid is.
  bool check_membership = true;
};
struct ApiSendResult {
  int64_t message_id = 0;
  uint64_t message_seq = 0;
  uint8_t reason = 0;  // WKProto reason code: 1 = stored (or the earlier copy of a resend)
  std::string why;     // for a refusal
};

// One of a uid's channels with messages (POST /conversation/sync, /conversation/list).
struct Conversation {
  uint8_t channel_type = 0;
  std::string channel_id;  // canonical (person: a@b)
  uint64_t last_seq = 0;
};

// The HTTP API's group changes (docs/serve.md "HTTP API").
enum class GroupEdit {
  create,  // POST /channel: add the uids (replace the members with `reset`)
  add,     // POST /channel/subscriber_add: add the uids (replace with `reset`)
  remove,  // POST /channel/subscriber_remove
};

class ServerHub final : public session::ServerHooks {
 public:
  using Clock = std::function<session::Now()>;
  // `trouble_out`: where trouble lines go (stderr; nullptr: nowhere).
  ServerHub(const ServerOptions& opts, store::MessageStore& store, EventLog* events, Clock clock,
            std::function<void()> schedule_flush, std::FILE* trouble_out = stderr);

  // Loads channel heads, idempotency keys and the last message id from the store.
  Status load();
  void attach(Peer& p);
  void detach(Peer& p);
  // Hands queued store ops to the store thread (call once per I/O turn).
  void flush();
  void on_committed(std::vector<store::Op>&& batch);
  uint64_t inflight() const { return inflight_; }
  size_t online() const { return peers_.size(); }
  const HubStats& stats() const { return stats_; }
  void note(std::string_view event, nlohmann::json fields);
  // An event and a rate-limited stderr line (TroubleLog) for trouble an
  // operator must see without --events.
  void trouble(std::string_view event, nlohmann::json fields, std::string_view line);
  TroubleLog& trouble_log() { return trouble_; }
  // The connection is cut as a slow consumer (`why`: over --max-outbound or
  // --write-timeout); its messages stay pending in the store.
  void slow_consumer(Peer& p, std::string_view why, uint64_t queued_bytes);

  // The HTTP API's send: the same checks, idempotency and delivery as a
  // SEND from a connection of `from_uid`; `done` runs once the message is
  // committed (or refused, or found to be a resend), maybe before api_send returns.
  void api_send(const ApiSend& a, std::function<void(const ApiSendResult&)> done);
  // POST /user/token: checked at CONNECT when tokens are required.
  void set_token(const std::string& uid, uint8_t device_flag, const std::string& token) {
    api_tokens_[uid + '\x1f' + char(device_flag)] = token;
  }
  // Messages of a channel (canonical id) with seq_from <= message_seq <=
  // seq_to, ascending: the first `limit` or, with `newest`, the last. Read by
  // the store thread (Options::channel_index); `done` gets them, or an error.
  using RangeDone = std::function<void(std::vector<store::Message>&& messages, const std::string& error)>;
  void load_range(uint8_t channel_type, std::string_view channel_id, uint64_t seq_from, uint64_t seq_to,
                  uint32_t limit, bool newest, RangeDone done);
  // The members of a group (--group, or made over the HTTP API), or nullptr.
  const std::vector<std::string>* group_members(std::string_view group) const {
    auto g = groups_.find(group);
    return g == groups_.end() ? nullptr : &g->second;
  }
  // Changes a group at once (the next SEND sees it) and keeps the new
  // member list in the store; `done` runs once that is committed, with ""
  // or the store's error. An add or create makes a missing group; removing
  // from a missing group is the error "no such group" (answered at once).
  void edit_group(GroupEdit edit, const std::string& group, const std::vector<std::string>& uids, bool reset,
                  std::function<void(const std::string& error)> done);
  // The channels of `uid` that have messages: its person channels and the
  // groups it is a member of, sorted by (channel_type, channel_id).
  // Person channels come from an index kept only with an HTTP listener.
  std::vector<Conversation> conversations(std::string_view uid) const;
  // The last message_seq of a channel (canonical id), 0 when it has none.
  uint64_t max_seq(uint8_t channel_type, std::string_view channel_id) const;

  // session::ServerHooks
  uint8_t authenticate(const session::ConnectInfo& c) override;
  void on_open(session::ServerSession& s) override;
  void on_send(session::ServerSession& s, const session::SendRequest& r) override;
  void on_recvack(session::ServerSession& s, int64_t message_id, uint64_t message_seq) override;
  void on_connect(session::ServerSession& s, const session::ConnectInfo& c) override;
  void on_connack(session::ServerSession& s, uint8_t reason, int version) override;
  void on_sendack(session::ServerSession& s, const proto::Sendack& a) override;
  void on_deliver(session::ServerSession& s, const session::Delivery& d) override;
  void on_redeliver(session::ServerSession& s, int64_t message_id, uint64_t message_seq, int attempt) override;
  void on_fault(session::ServerSession& s, const fault::Decision& d, proto::FrameType t,
                fault::Direction dir) override;
  void on_reject(session::ServerSession& s, const proto::Send& f, uint8_t reason, std::string_view why) override;
  void on_close(session::ServerSession& s, std::string_view why) override;
  void on_jsonrpc_error(session::ServerSession& s, int64_t code, std::string_view why) override;
  void on_handshake_timeout(session::ServerSession& s, uint64_t bytes_received) override;
  void on_page_wanted(session::ServerSession& s, int64_t after_id, uint32_t limit) override;

 private:
  using DedupEntry = DedupIndex::Entry;
  // The entry of key_ (hash key_hash_): from the window or, for an older
  // key, from the store's index (then kept in the window). nullptr: a new
  // key. Sets lookup_failed_ when the store could not answer.
  DedupEntry* find_dedup(uint64_t conn);
  // Checks, dedups and queues one message from `uid` (connection `conn`, or
  // an HTTP API send); reply(message_id, message_seq, reason) at once for a
  // refusal or the copy of a committed resend, else at commit via answer().
  template <class Reply>
  void submit_send(uint64_t conn, std::string_view uid, const proto::Send& f, std::string_view plaintext,
                   uint8_t header_bits, bool dedup, bool check_membership, session::Now now, Reply&& reply);
  // Connection ids of HTTP API sends (no Peer): answered through api_waiting_.
  static constexpr uint64_t kApiConnBit = uint64_t{1} << 62;
  // Op::ref of an append that made an idempotency entry (a 2.x HTTP send
  // with the key of a pending SEND must not settle that SEND's entry).
  static constexpr uint64_t kIdempotentOp = 1;

  // A cleared op at the end of outbox_, flushed to the store soon. Ops
  // circulate in whole vectors (outbox_ -> store -> on_committed ->
  // returned_ -> outbox_) and keep their strings' and vectors' capacity, so
  // once warm a SEND neither allocates nor moves more than one op.
  store::Op& next_op(store::Op::Kind kind);
  void keep_for_reuse(std::vector<store::Op>&& batch);
  // Live delivery to the sender's other connections and the recipients the
  // SEND was stored for (never to uids parsed back out of the channel id).
  void deliver_stored(const store::Message& m, const std::vector<std::string>& recipients, uint64_t skip_conn);
  // `stored`: pending in the store for p's uid (see session::Delivery::stored).
  void deliver_to(Peer& p, const store::Message& m, bool stored,
                  session::ServerSession::Origin origin = session::ServerSession::Origin::live);
  void answer(uint64_t conn, int64_t id, uint32_t client_seq, uint64_t seq, uint8_t reason,
              std::string_view client_msg_no);
  Peer* peer(uint64_t conn);

  const ServerOptions& opts_;
  store::MessageStore& store_;
  EventLog* events_;
  Clock clock_;
  std::function<void()> schedule_flush_;
  util::SnowflakeGenerator ids_;
  int64_t id_floor_ms_ = 0;  // ids stay above the stored ones after a restart
  std::unordered_map<uint64_t, Peer*> peers_;                       // by connection id
  std::unordered_map<std::string, std::vector<uint64_t>> by_uid_;   // open connections per uid
  std::unordered_map<std::string, uint64_t> heads_;                 // type\x1fchannel -> last seq
  DedupWindow dedup_;
  std::vector<store::Op> outbox_;
  std::vector<std::vector<store::Op>> returned_;  // committed batches whose ops are reused
  size_t returned_capacity_ = 0;  // of the vectors in returned_, in ops
  std::vector<std::vector<store::Op>> buffers_;   // emptied vectors, reused as outbox_
  std::vector<std::string> recipients_;      // reused per SEND
  bool flush_scheduled_ = false;
  uint64_t inflight_ = 0;
  std::string key_, head_key_, channel_;  // reused per SEND
  uint64_t key_hash_ = 0;
  bool lookup_failed_ = false;
  HubStats stats_;
  TroubleLog trouble_;
  std::string refusal_why_;  // why authenticate() refused the CONNECT, or submit_send() the message
  uint64_t api_sends_ = 0;
  std::unordered_map<uint64_t, std::function<void(const ApiSendResult&)>> api_waiting_;
  std::unordered_map<std::string, std::string> api_tokens_;
  std::unordered_map<uint64_t, RangeDone> ranges_waiting_;  // by op tag
  std::unordered_map<uint64_t, std::function<void(const std::string&)>> groups_waiting_;  // by op tag
  // --group groups, then the store's (API-made ones win), then API edits.
  // The hub is single-threaded, so no lock guards them.
  std::map<std::string, std::vector<std::string>, std::less<>> groups_;
  // Canonical person channel ids per uid with messages (only with an HTTP
  // listener, for conversations()); a channel is added at its first message.
  bool index_person_channels_ = false;
  std::unordered_map<std::string, std::vector<std::string>> person_channels_;
  void index_person_channel(std::string_view channel);
};

}  // namespace wkit::app
