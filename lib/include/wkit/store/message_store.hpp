#pragma once
// The `wkit serve` message store. Writes go through a thread of its own that
// group-commits: every op queued while the previous batch was being applied
// goes into the next one, so the network threads never wait on the store and
// (on disk) one fsync covers many SENDs. Ops run in queue order; a read sees
// every write queued before it. Completed ops come back in batches (one
// callback per batch) on the store thread; the caller hands them to its own
// executor.
//
// Two backends behind the same contract: the SQLite file of schema.hpp (WAL,
// the documented input of `wkit audit`), and for `--in-memory` a plain
// in-process store (memory_store.cpp) that keeps nothing after exit.
#include <array>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "wkit/util/error.hpp"

namespace wkit::store {

// One row of the `message` table (schema.hpp). channel_id is canonical.
struct Message {
  std::string channel_id;
  uint8_t channel_type = 0;
  uint64_t message_seq = 0;
  int64_t message_id = 0;
  uint8_t framer_flags = 0;
  uint8_t setting = 0;
  std::string msg_key;
  uint32_t expire = 0;
  uint32_t client_seq = 0;
  std::string client_msg_no;
  std::string stream_no;
  int32_t timestamp = 0;  // seconds
  std::string topic;
  std::string from_uid;
  std::array<uint8_t, 32> payload_hash{};  // SHA-256 of the plaintext
  std::string payload;                     // plaintext
  int64_t server_timestamp_ms = 0;
};

std::array<uint8_t, 32> sha256(std::string_view bytes);
std::string hex32(const std::array<uint8_t, 32>& h);

struct Op {
  enum class Kind : uint8_t {
    append,        // insert `message` + a pending_delivery row per recipient
    ack,           // delete pending_delivery (uid, message_id)
    load_pending,  // read the messages pending for `uid` with message_id > `message_id`
                   // (up to `limit`, 0 = all) into `loaded`, in message_id order
    load_range,    // read the messages of channel (message.channel_type, message.channel_id)
                   // with seq_from <= message_seq <= seq_to into `loaded`, ascending:
                   // the first `limit` (0 = all), or the last `limit` when `newest`.
                   // Needs Options::channel_index (else fails).
    set_group,     // keep group message.channel_id with the members `recipients` (the
                   // HTTP API's POST /channel and subscriber changes): replaces what
                   // the store held for it. The in-memory store keeps nothing.
  };
  Kind kind = Kind::append;
  Message message;                   // append
  std::vector<std::string> recipients;  // append: uids that must ack; set_group: the members
  std::string uid;                   // ack, load_pending
  int64_t message_id = 0;            // ack; load_pending: the cursor (0 = from the start)
  uint32_t limit = 0;                // load_pending, load_range: at most this many (0 = all)
  uint64_t seq_from = 0, seq_to = 0;  // load_range, inclusive
  bool newest = false;               // load_range
  std::vector<Message> loaded;       // load_pending result (message_id order)
  // append: the message's idempotency key (channel, from_uid, client_msg_no)
  // must be new: the in-memory store refuses a repeat. false for sends that
  // are never de-duplicated (the HTTP API in 2.x shapes), stored again.
  bool idempotent = false;
  uint64_t tag = 0;                  // caller's, untouched
  uint64_t ref = 0;                  // caller's, untouched
  bool failed = false;
  std::string error;                 // when failed
};

struct Options {
  std::string dir;          // directory holding wkit.db (created if missing)
  bool in_memory = false;   // the in-process store instead of a file (nothing kept)
  bool dedup = true;        // keep the on-disk idempotency index (DIR/wkit.keys)
  bool durable = true;      // synchronous=FULL (fsync per commit) vs NORMAL
  // An index of messages by (channel, message_seq) for load_range (the HTTP
  // API's messagesync). Off, appends skip its upkeep; on, it is built at
  // open if missing.
  bool channel_index = false;
  std::string created_by;   // written to wkit_meta
};

inline constexpr const char* kDbFileName = "wkit.db";
inline constexpr const char* kKeysDirName = "wkit.keys";  // the idempotency index (key_index.hpp)

// What the store holds at startup, for the in-memory indexes in front of it.
struct ChannelHead {
  std::string channel_id;
  uint8_t channel_type = 0;
  uint64_t last_seq = 0;
};
struct DedupRow {
  std::string channel_id;
  uint8_t channel_type = 0;
  std::string from_uid, client_msg_no;
  int64_t message_id = 0;
  uint64_t message_seq = 0;
  std::array<uint8_t, 32> payload_hash{};
};

// How long the store thread took to apply and commit each transaction
// (every submitted vector since the last one), counted per bucket: the
// histogram of GET /metrics. Updated by the store thread, read by any.
class CommitLatency {
 public:
  // Upper bounds in seconds (Prometheus `le`); one more bucket is +Inf.
  static constexpr std::array<double, 14> kBounds = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
                                                     0.025,  0.05,    0.1,    0.25,  0.5,    1,     2.5};
  struct Snapshot {
    std::array<uint64_t, kBounds.size() + 1> buckets{};  // not cumulative
    uint64_t count = 0;
    double sum_seconds = 0;
  };
  void add(double seconds) {
    size_t i = 0;
    while (i < kBounds.size() && seconds > kBounds[i]) ++i;
    buckets_[i].fetch_add(1, std::memory_order_relaxed);
    sum_ns_.fetch_add(static_cast<uint64_t>(seconds * 1e9), std::memory_order_relaxed);
  }
  Snapshot snapshot() const {
    Snapshot s;
    for (size_t i = 0; i < buckets_.size(); ++i) {
      s.buckets[i] = buckets_[i].load(std::memory_order_relaxed);
      s.count += s.buckets[i];
    }
    s.sum_seconds = static_cast<double>(sum_ns_.load(std::memory_order_relaxed)) / 1e9;
    return s;
  }

 private:
  std::array<std::atomic<uint64_t>, kBounds.size() + 1> buckets_{};
  std::atomic<uint64_t> sum_ns_{0};
};

class MessageStore {
 public:
  using BatchDone = std::function<void(std::vector<Op>&&)>;

  // Opens the backend `opts` asks for (creating the directory, file and
  // schema as needed). Errors: kind internal for a directory or file that
  // cannot be created/written, kind bad_input for a file that is not a wkit
  // store or is from a newer wkit.
  static Result<std::unique_ptr<MessageStore>> open(const Options& opts);
  virtual ~MessageStore();
  MessageStore(const MessageStore&) = delete;
  MessageStore& operator=(const MessageStore&) = delete;

  // Synchronous reads for startup; call before start().
  virtual Status load_heads(const std::function<void(const ChannelHead&)>& each) = 0;
  // The latest `limit` messages with a client_msg_no, in message_id order.
  virtual Status load_dedup(uint64_t limit, const std::function<void(const DedupRow&)>& each) = 0;
  // Whether older keys can be looked up (find_dedup) instead of kept in memory.
  virtual bool dedup_on_disk() const = 0;
  // The hash (idempotency_key.hpp) of every key the on-disk index holds.
  virtual Status for_each_dedup_hash(const std::function<void(uint64_t)>& each) = 0;
  // The stored message holding the idempotency key `key` (bytes and hash as
  // idempotency_key.hpp makes them), if any. Reads what is committed; may
  // be called from one other thread while the store thread runs.
  virtual Result<std::optional<DedupRow>> find_dedup(std::string_view key, uint64_t hash) = 0;
  virtual Result<int64_t> max_message_id() = 0;
  virtual Result<uint64_t> message_count() = 0;
  // The groups set_group kept (sorted by id; members in the order given).
  // Synchronous, before start().
  virtual Status load_groups(const std::function<void(const std::string& group_id,
                                                      std::vector<std::string>&& members)>& each) = 0;

  // Starts the store thread; `done` receives each submitted vector once it is
  // applied (committed), in submit order.
  void start(BatchDone done);
  // Queues one op (thread-safe). Ignored after stop().
  void submit(Op op);
  // Queues many ops at once (one lock, no op moved); `ops` is left empty. The
  // vector comes back whole in a `done` callback.
  void submit(std::vector<Op>& ops);
  // Applies everything queued, delivers the last batch, joins the thread.
  void stop();

  const std::string& path() const { return path_; }
  uint64_t transactions() const { return transactions_; }
  const CommitLatency& commit_latency() const { return commit_latency_; }

 protected:
  MessageStore() = default;
  // Applies everything queued since the last call, vector by vector in
  // queue order, setting `failed`/`error` on the ops that could not be
  // applied (the SQLite backend: one transaction for all of them). Runs on
  // the store thread. A backend's destructor must call stop() first.
  virtual void apply(std::vector<std::vector<Op>>& batches) = 0;
  // Runs on the store thread after the callbacks of each apply(), so
  // housekeeping never delays the acks of the batch just committed.
  virtual void after_batches() {}
  std::string path_;

 private:
  void run();
  BatchDone done_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::vector<Op>> queue_;  // as submitted: ops never move between vectors
  bool stopping_ = false;
  std::thread thread_;
  uint64_t transactions_ = 0;
  CommitLatency commit_latency_;
};

}  // namespace wkit::store
