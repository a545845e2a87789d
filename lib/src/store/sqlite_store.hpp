#pragma once
// The on-disk backend of MessageStore: one SQLite file (schema.hpp) in WAL
// mode; each batch is one transaction (group commit: one fsync per batch with
// `durable`).
#include <atomic>
#include <memory>
#include <optional>

#include "key_index.hpp"
#include "wal_checkpointer.hpp"
#include "wkit/store/message_store.hpp"

namespace wkit::store {

class SqliteStore final : public MessageStore {
 public:
  static Result<std::unique_ptr<SqliteStore>> open(const Options& opts);
  ~SqliteStore() override;

  Status load_heads(const std::function<void(const ChannelHead&)>& each) override;
  Status load_dedup(uint64_t limit, const std::function<void(const DedupRow&)>& each) override;
  bool dedup_on_disk() const override { return keys_ != nullptr; }
  Status for_each_dedup_hash(const std::function<void(uint64_t)>& each) override;
  Result<std::optional<DedupRow>> find_dedup(std::string_view key, uint64_t hash) override;
  Result<int64_t> max_message_id() override;
  Result<uint64_t> message_count() override;
  Status load_groups(const std::function<void(const std::string&, std::vector<std::string>&&)>& each) override;

 private:
  SqliteStore() = default;
  void apply(std::vector<std::vector<Op>>& batches) override;
  Status exec(const char* sql);
  // Stamps wkit_meta and drops the idempotency tables of older versions.
  // Inside a transaction.
  Status stamp(const Options& opts);
  // Opens the idempotency index (or removes it with dedup off) and the
  // connection find_dedup() reads with.
  Status open_index(const Options& opts);
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
  void* upsert_group_ = nullptr;
  void* select_range_asc_ = nullptr;   // Options::channel_index only
  void* select_range_desc_ = nullptr;
  std::unique_ptr<KeyIndex> keys_;  // dedup on
  std::unique_ptr<WalCheckpointer> checkpointer_;
  // find_dedup()'s own read-only connection (WAL: reads what is committed
  // without waiting for the store thread) and its statement.
  void* reader_ = nullptr;
  void* read_message_key_ = nullptr;
  std::vector<int64_t> candidates_;  // find_dedup()'s, reused
  // A commit whose keys the index could not take: lookups fail from then on
  // (the next open indexes them again).
  std::atomic<bool> index_failed_{false};
  std::string index_error_;
  std::string candidate_key_;
  std::vector<Op*> ops_;  // apply()'s flat list, reused
  std::optional<uint64_t> count_at_start_;  // counted by load_heads(), before start()
};

}  // namespace wkit::store
