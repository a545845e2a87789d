#pragma once
// The on-disk backend of MessageStore: one SQLite file (schema.hpp) in WAL
// mode; each batch is one transaction (group commit: one fsync per batch with
// `durable`).
#include "key_filter.hpp"
#include "tail_keys.hpp"
#include "wkit/store/message_store.hpp"

namespace wkit::store {

class SqliteStore final : public MessageStore {
 public:
  static Result<std::unique_ptr<SqliteStore>> open(const Options& opts);
  ~SqliteStore() override;

  Status load_heads(const std::function<void(const ChannelHead&)>& each) override;
  Status load_dedup(const std::function<void(const DedupRow&)>& each) override;
  Result<int64_t> max_message_id() override;
  Result<uint64_t> message_count() override;

 private:
  SqliteStore() = default;
  void apply(std::vector<std::vector<Op>>& batches) override;
  void after_batches() override;
  Status exec(const char* sql);
  // Stamps wkit_meta, migrates a version 1 file and brings the idempotency
  // index up to date (or drops it with dedup off). Inside a transaction.
  Status stamp_and_index(const Options& opts);
  // Indexes the keys of the messages after merged_through_ (in the caller's
  // transaction) and moves the mark; merge_in_transaction wraps it.
  Status merge_keys();
  Status merge_in_transaction();
  // How many unindexed keys trigger a merge (grows with the index).
  uint64_t merge_threshold() const;
  // With dedup on: the message_id that already holds m's idempotency key
  // (indexed or in tail_), or 0 with the key staged in tail_.
  int64_t key_holder(const Message& m);
  // Rebuilds tail_ from the file after a rolled-back transaction.
  void reload_tail();
  // Sizes indexed_ for twice the keys message_idempotency holds and fills it.
  Status refill_filter();
  void execute(Op& op);
  // Inserts ops[0..kMultiRows) (all appends with one recipient each) with
  // one multi-row statement each for message and pending_delivery; false if
  // SQLite refused (the caller then runs them one by one).
  bool append_many(Op* const* ops);
  static constexpr int kMultiRows = 16;
  void* db_ = nullptr;  // sqlite3*
  void* insert_msg_ = nullptr;
  void* insert_pending_ = nullptr;
  void* insert_msg_many_ = nullptr;
  void* insert_pending_many_ = nullptr;
  void* delete_pending_ = nullptr;
  void* select_pending_ = nullptr;
  void* merge_keys_ = nullptr;   // null with dedup off
  void* set_through_ = nullptr;
  void* probe_key_ = nullptr;
  int64_t merged_through_ = 0;   // every message up to this id is indexed
  TailKeys tail_;                // the keys of the messages after it
  KeyFilter indexed_;            // the keys up to it
  uint64_t merge_rows_ = 0;
  uint64_t next_merge_at_ = 0;   // tail_ size
  std::vector<Op*> ops_;  // apply()'s flat list, reused
};

}  // namespace wkit::store
