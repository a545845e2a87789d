#pragma once
// The on-disk backend of MessageStore: one SQLite file (schema.hpp) in WAL
// mode; each batch is one transaction (group commit: one fsync per batch with
// `durable`).
#include <memory>

#include "idempotency_index.hpp"
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
  // Stamps wkit_meta, migrates a version 1 file and opens the idempotency
  // index (or drops it with dedup off). Inside a transaction.
  Status stamp_and_index(const Options& opts);
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
  std::unique_ptr<IdempotencyIndex> keys_;  // dedup on
  std::vector<Op*> ops_;  // apply()'s flat list, reused
};

}  // namespace wkit::store
