#pragma once
// The unique index of the idempotency key in the SQLite file
// (message_idempotency, schema.hpp) and the store's check of a key at
// append time, for --dedup on.
//
// The index covers the messages up to wkit_meta 'idempotency_through'. The
// keys of the messages after it (the tail) are in memory (TailKeys). Once
// the tail is large enough a merge starts: the tail is frozen, split by
// client_msg_no into slices of about Options::idempotency_slice_keys keys,
// and one slice is inserted, in key order, after each group commit, so no
// commit waits long.
// Within one slice the inserts land on a narrow band of index pages, each
// written once for many keys; inserting SEND by SEND wrote about one page
// per SEND (random client_msg_nos), which capped the durable store at a
// third of its speed (docs/benchmarks.md "wkit serve").
//
// At open and close, catch_up() indexes whatever is not (what a crash or a
// half-done merge left) straight from `message`.
#include <memory>
#include <string>
#include <vector>

#include "key_filter.hpp"
#include "tail_keys.hpp"
#include "wkit/util/error.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace wkit::store {

class IdempotencyIndex {
 public:
  // Creates the table if the file has none, prepares statements and catches
  // up; inside the caller's transaction. Errors: bad_input when the file
  // holds a repeated key.
  static Result<std::unique_ptr<IdempotencyIndex>> open(sqlite3* db, uint64_t merge_rows, uint64_t slice_keys);
  ~IdempotencyIndex();
  // For --dedup off: removes the table and its mark (2.x stores resends).
  static Status drop(sqlite3* db);

  // Stages m's key (client_msg_no non-empty). Returns the message_id that
  // already holds it (then nothing more is staged), or 0.
  int64_t holder(const Message& m);
  // After the rows of the staged keys were written / not written.
  void keep_staged() { tail_.keep_staged(); }
  void drop_staged() { tail_.drop_staged(); }
  // The transaction holding kept keys rolled back: rebuilds the tail.
  void reload_tail();
  // Between group commits: merges one slice, starting a merge if the tail
  // is large enough. A failed merge stops merging until the next open.
  void step();
  // Indexes everything still unindexed, in its own transaction (at close).
  Status finish();

  bool merging() const { return merging_through_ > merged_through_; }

 private:
  IdempotencyIndex(sqlite3* db, uint64_t merge_rows, uint64_t slice_keys)
      : db_(db), merge_rows_(merge_rows), slice_keys_(slice_keys) {}
  Status catch_up();
  Status set_through(int64_t id);
  Status refill_filter();
  uint64_t merge_threshold() const;
  void start_merge();
  Status insert_slice(size_t slice);
  Status exec(const char* sql);

  struct Entry {
    std::string_view client_msg_no, from_uid, channel_id;
    uint8_t channel_type;
    int64_t message_id;
  };

  sqlite3* db_;
  uint64_t merge_rows_;
  uint64_t slice_keys_;
  sqlite3_stmt* catch_up_ = nullptr;
  sqlite3_stmt* insert_ = nullptr;
  sqlite3_stmt* probe_ = nullptr;
  sqlite3_stmt* set_through_ = nullptr;

  int64_t merged_through_ = 0;   // wkit_meta 'idempotency_through'
  int64_t merging_through_ = 0;  // > merged_through_ while a merge runs
  TailKeys tail_;                // keys after merging_through_
  TailKeys frozen_;              // keys being merged
  KeyFilter indexed_;            // keys in message_idempotency
  uint64_t next_merge_at_ = 0;   // tail_ size
  bool failed_ = false;          // a slice failed: no more merging this run

  std::vector<Entry> entries_;          // frozen_ grouped by slice
  std::vector<Entry> decoded_;          // frozen_ in its order (reused)
  std::vector<uint32_t> slice_of_;      // decoded_[i]'s slice (reused)
  std::vector<size_t> slice_begin_;     // slice k: entries_[begin[k], begin[k+1])
  size_t next_slice_ = 0;
  std::vector<std::string_view> sample_;  // reused
};

}  // namespace wkit::store
