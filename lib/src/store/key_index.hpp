#pragma once
// The on-disk idempotency index of a `wkit serve` store (--dedup on): for
// every message with a client_msg_no, the 64-bit hash of its idempotency key
// (idempotency_key.hpp) and its message_id, in RocksDB next to the SQLite
// file (DIR/wkit.keys). The server keeps only a bounded window of recent keys
// in memory and asks this index about older resends, so its memory does not
// grow with the store.
//
// Why an LSM and not a SQLite index: random client_msg_nos put each key on a
// random B-tree page, so once the index outgrows the cache every SEND costs
// about one page write (with 5M messages stored, SEND/s fell to 0.48x of an
// empty store; docs/benchmarks.md). RocksDB writes keys sequentially and
// merges them in the background.
//
// The index is derived: entries are (hash, message_id) -> nothing, so a
// lookup yields candidate message_ids whose rows the caller compares with the
// key (a hash collision is then only a wasted read). It is written without a
// WAL after each SQLite commit; a mark ("through" = the highest message_id
// indexed) is written in the same batch, so what a crash leaves is a prefix
// of the writes, and open() indexes the messages after the mark again.
#include <sqlite3.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "wkit/store/message_store.hpp"
#include "wkit/util/error.hpp"

namespace rocksdb {
class DB;
}

namespace wkit::store {

class KeyIndex {
 public:
  // Opens (creating) the index in `dir` and indexes the keyed messages of
  // `db` after its mark. Errors: bad_input when `db` holds one key under two
  // message_ids (a store written with --dedup off); internal for I/O.
  static Result<std::unique_ptr<KeyIndex>> open(const std::string& dir, sqlite3* db);
  // Removes the index (--dedup off: 2.x stores resends again).
  static Status remove(const std::string& dir);
  ~KeyIndex();  // flushes what is in memory

  // After the commit of `ops`: indexes the keys of the appends that did not fail.
  Status add(const std::vector<Op*>& ops);
  // The message_ids indexed under `hash` (usually none or one). Safe to call
  // from another thread than add()'s.
  Status candidates(uint64_t hash, std::vector<int64_t>& out) const;
  // Every indexed hash, in no particular order.
  Status for_each_hash(const std::function<void(uint64_t)>& each) const;

 private:
  KeyIndex() = default;
  Status catch_up(sqlite3* db, int64_t through);
  rocksdb::DB* db_ = nullptr;
  std::string dir_;
  std::string key_;  // reused by add()
};

}  // namespace wkit::store
