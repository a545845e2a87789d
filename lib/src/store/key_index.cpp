#include "key_index.hpp"

#include <rocksdb/cache.h>
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/memtablerep.h>
#include <rocksdb/options.h>
#include <rocksdb/slice_transform.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>

#include <cstring>
#include <filesystem>
#include <unordered_map>

#include "sqlite_util.hpp"
#include "wkit/store/idempotency_key.hpp"

namespace wkit::store {

namespace {

// Entry keys: 8 bytes of hash then 8 of message_id, big-endian, so the
// entries of one hash are adjacent. The mark's key has 9 bytes (the prefix
// extractor needs at least 8), so no entry is ever mistaken for it.
constexpr size_t kEntrySize = 16;
const std::string kThroughKey = std::string(8, '\0') + "t";

void put_be64(char* p, uint64_t v) {
  for (int i = 7; i >= 0; --i, v >>= 8) p[i] = static_cast<char>(v & 0xff);
}
uint64_t get_be64(const char* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}

Error rocks_error(const std::string& what, const rocksdb::Status& s) {
  return Error{ErrorKind::internal, "store: idempotency index: " + what + ": " + s.ToString(), std::nullopt};
}

rocksdb::Options index_options() {
  rocksdb::Options o;
  o.create_if_missing = true;
  // The key's hash leads every entry: bloom filters over that prefix let a
  // lookup of a key never indexed skip reading blocks.
  o.prefix_extractor.reset(rocksdb::NewFixedPrefixTransform(8));
  rocksdb::BlockBasedTableOptions t;
  t.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  t.whole_key_filtering = false;
  // Bounded memory whatever the index's size: blocks, indexes and filters
  // all live in one 32 MiB cache. They are partitioned (4 KiB pieces under
  // a small pinned top level), so a lookup reads a few small blocks; a full
  // filter per file meant reading and checksumming megabytes per lookup
  // once the index outgrew the cache (42% of the server's CPU with 8M keys).
  t.block_cache = rocksdb::NewLRUCache(32 << 20);
  t.cache_index_and_filter_blocks = true;
  t.cache_index_and_filter_blocks_with_high_priority = true;
  t.pin_top_level_index_and_filter = true;
  t.index_type = rocksdb::BlockBasedTableOptions::IndexType::kTwoLevelIndexSearch;
  t.partition_filters = true;
  t.metadata_block_size = 4096;
  o.table_factory.reset(rocksdb::NewBlockBasedTableFactory(t));
  // Tiered ("universal") compaction: keys are written once and never
  // changed, and lookups are rare (the server's filter answers most), so
  // fewer rewrites matter more than fewer files per lookup. Leveled
  // compaction took about one of the two cores with 20M keys stored.
  o.compaction_style = rocksdb::kCompactionStyleUniversal;
  o.write_buffer_size = 32 << 20;
  o.max_write_buffer_number = 2;
  // Entries are random hashes: a skip list insert chased pointers through
  // the whole memtable (30% of the store thread with 20M keys). A hash
  // table of linked lists keyed by the 8-byte prefix inserts in O(1); the
  // background flush sorts it.
  o.memtable_factory.reset(rocksdb::NewHashLinkListRepFactory(1 << 20));
  o.allow_concurrent_memtable_write = false;
  // Hashes and ids do not compress.
  o.compression = rocksdb::kNoCompression;
  o.max_background_jobs = 2;
  o.max_open_files = 512;
  o.keep_log_file_num = 2;
  return o;
}

}  // namespace

Status KeyIndex::remove(const std::string& dir) {
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  if (ec) return Error{ErrorKind::internal, "store: cannot remove " + dir + ": " + ec.message(), std::nullopt};
  return std::nullopt;
}

Result<std::unique_ptr<KeyIndex>> KeyIndex::open(const std::string& dir, sqlite3* db) {
  std::unique_ptr<KeyIndex> x(new KeyIndex());
  x->dir_ = dir;
  rocksdb::Status s = rocksdb::DB::Open(index_options(), dir, &x->db_);
  if (!s.ok()) return rocks_error("cannot open " + dir, s);
  std::string v;
  int64_t through = 0;
  s = x->db_->Get(rocksdb::ReadOptions(), kThroughKey, &v);
  if (s.ok() && v.size() == 8) through = static_cast<int64_t>(get_be64(v.data()));
  else if (!s.IsNotFound()) return rocks_error("reading its mark", s);
  if (auto e = x->catch_up(db, through)) return *e;
  return x;
}

KeyIndex::~KeyIndex() {
  if (!db_) return;
  // Without a WAL, what is only in memory would be indexed again at the
  // next open; flushing here makes a clean shutdown cheap to reopen.
  db_->Flush(rocksdb::FlushOptions());
  db_->Close();
  delete db_;
}

Status KeyIndex::add(const std::vector<Op*>& ops) {
  rocksdb::WriteBatch batch;
  int64_t through = 0;
  char entry[kEntrySize];
  for (const Op* op : ops) {
    if (op->kind != Op::Kind::append || op->failed) continue;
    const Message& m = op->message;
    through = std::max(through, m.message_id);
    if (m.client_msg_no.empty()) continue;
    idempotency_key(key_, m.channel_type, m.channel_id, m.from_uid, m.client_msg_no);
    put_be64(entry, idempotency_hash(key_));
    put_be64(entry + 8, static_cast<uint64_t>(m.message_id));
    batch.Put(rocksdb::Slice(entry, kEntrySize), rocksdb::Slice());
  }
  if (through == 0) return std::nullopt;
  char mark[8];
  put_be64(mark, static_cast<uint64_t>(through));
  batch.Put(kThroughKey, rocksdb::Slice(mark, 8));
  rocksdb::WriteOptions wo;
  wo.disableWAL = true;  // derived: open() rebuilds what a crash lost
  rocksdb::Status s = db_->Write(wo, &batch);
  if (!s.ok()) return rocks_error("write", s);
  return std::nullopt;
}

Status KeyIndex::candidates(uint64_t hash, std::vector<int64_t>& out) const {
  out.clear();
  char prefix[8];
  put_be64(prefix, hash);
  rocksdb::ReadOptions ro;
  ro.prefix_same_as_start = true;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro));
  for (it->Seek(rocksdb::Slice(prefix, 8)); it->Valid(); it->Next()) {
    rocksdb::Slice k = it->key();
    if (std::memcmp(k.data(), prefix, 8) != 0) break;
    if (k.size() != kEntrySize) continue;  // the mark
    out.push_back(static_cast<int64_t>(get_be64(k.data() + 8)));
  }
  if (!it->status().ok()) return rocks_error("lookup", it->status());
  return std::nullopt;
}

Status KeyIndex::for_each_hash(const std::function<void(uint64_t)>& each) const {
  rocksdb::ReadOptions ro;
  ro.total_order_seek = true;
  ro.fill_cache = false;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro));
  for (it->SeekToFirst(); it->Valid(); it->Next())
    if (it->key().size() == kEntrySize) each(get_be64(it->key().data()));
  if (!it->status().ok()) return rocks_error("scan", it->status());
  return std::nullopt;
}

Status KeyIndex::catch_up(sqlite3* db, int64_t through) {
  // The keyed messages after the mark, in id order. A key already indexed
  // under another message_id means the file holds it twice.
  sqlite3_stmt* rows = nullptr;
  sqlite3_stmt* row_key = nullptr;
  sqlite3_prepare_v2(db,
                     "SELECT message_id, channel_type, channel_id, from_uid, client_msg_no FROM message "
                     "WHERE message_id > ? AND client_msg_no <> '' ORDER BY message_id",
                     -1, &rows, nullptr);
  sqlite3_prepare_v2(db, "SELECT channel_type, channel_id, from_uid, client_msg_no FROM message WHERE message_id = ?",
                     -1, &row_key, nullptr);
  sqlite3_bind_int64(rows, 1, through);
  std::string other;
  std::vector<int64_t> ids;
  std::unordered_multimap<uint64_t, int64_t> pending;  // this batch's, not yet written
  std::vector<Op> ops;
  std::vector<Op*> op_ptrs;
  auto flush = [&]() -> Status {
    op_ptrs.clear();
    for (Op& op : ops) op_ptrs.push_back(&op);
    Status e = add(op_ptrs);
    ops.clear();
    pending.clear();
    return e;
  };
  auto same_key_as = [&](int64_t id) {
    sqlite3_bind_int64(row_key, 1, id);
    bool same = false;
    if (sqlite3_step(row_key) == SQLITE_ROW) {
      idempotency_key(other, static_cast<uint8_t>(sqlite3_column_int(row_key, 0)), sqlite::column_view(row_key, 1),
                      sqlite::column_view(row_key, 2), sqlite::column_view(row_key, 3));
      same = other == key_;
    }
    sqlite3_reset(row_key);
    return same;
  };
  Status err;
  int rc;
  while (!err && (rc = sqlite3_step(rows)) == SQLITE_ROW) {
    const int64_t id = sqlite3_column_int64(rows, 0);
    idempotency_key(key_, static_cast<uint8_t>(sqlite3_column_int(rows, 1)), sqlite::column_view(rows, 2),
                    sqlite::column_view(rows, 3), sqlite::column_view(rows, 4));
    const uint64_t h = idempotency_hash(key_);
    if ((err = candidates(h, ids))) break;
    auto [lo, hi] = pending.equal_range(h);
    for (auto it = lo; it != hi; ++it) ids.push_back(it->second);
    bool indexed = false;
    for (int64_t other_id : ids) {
      if (other_id == id) {
        indexed = true;  // a crash came after this part was written
      } else if (same_key_as(other_id)) {
        err = Error::input("messages " + std::to_string(other_id) + " and " + std::to_string(id) +
                           " have the same (channel, from_uid, client_msg_no)");
        break;
      }
    }
    if (err) break;
    if (indexed) continue;
    Op& op = ops.emplace_back();
    op.message.message_id = id;
    op.message.channel_type = static_cast<uint8_t>(sqlite3_column_int(rows, 1));
    op.message.channel_id = sqlite::column_view(rows, 2);
    op.message.from_uid = sqlite::column_view(rows, 3);
    op.message.client_msg_no = sqlite::column_view(rows, 4);
    pending.emplace(h, id);
    if (ops.size() >= 65536) err = flush();
  }
  if (!err && rc != SQLITE_DONE)
    err = Error{ErrorKind::internal, std::string("store: reading idempotency keys: ") + sqlite3_errmsg(db), std::nullopt};
  sqlite3_finalize(rows);
  sqlite3_finalize(row_key);
  if (!err) err = flush();
  if (err) return err;
  // The mark covers the unkeyed messages after the last keyed one too.
  auto max_id = sqlite::query_int64(db, "SELECT COALESCE(MAX(message_id), 0) FROM message");
  if (!max_id) return max_id.error();
  if (*max_id > through) {
    Op op;
    op.message.message_id = *max_id;
    std::vector<Op*> one{&op};
    if (auto e = add(one)) return e;
  }
  return std::nullopt;
}

}  // namespace wkit::store
