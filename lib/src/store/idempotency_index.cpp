#include "idempotency_index.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <string>

#include "sqlite_util.hpp"
#include "wkit/store/schema.hpp"

namespace wkit::store {

namespace {

using sqlite::bind_text;
using sqlite::column_view;

Error sql_error(sqlite3* db, const std::string& what) {
  return Error{ErrorKind::internal, what + ": " + sqlite3_errmsg(db), std::nullopt};
}

// The index's order: client_msg_no, from_uid, channel_id, channel_type.
bool index_less(const auto& a, const auto& b) {
  if (int c = a.client_msg_no.compare(b.client_msg_no)) return c < 0;
  if (int c = a.from_uid.compare(b.from_uid)) return c < 0;
  if (int c = a.channel_id.compare(b.channel_id)) return c < 0;
  return a.channel_type < b.channel_type;
}

}  // namespace

Status IdempotencyIndex::exec(const char* sql) { return sqlite::exec(db_, sql); }

Status IdempotencyIndex::drop(sqlite3* db) {
  return sqlite::exec(db, "DROP TABLE IF EXISTS message_idempotency; "
                          "DELETE FROM wkit_meta WHERE key = 'idempotency_through'");
}

Result<std::unique_ptr<IdempotencyIndex>> IdempotencyIndex::open(sqlite3* db, uint64_t merge_rows,
                                                                 uint64_t slice_keys) {
  std::unique_ptr<IdempotencyIndex> x(
      new IdempotencyIndex(db, std::max<uint64_t>(1, merge_rows), std::max<uint64_t>(1, slice_keys)));
  auto existed =
      sqlite::query_int64(db, "SELECT COUNT(*) FROM sqlite_master WHERE name = 'message_idempotency'");
  if (!existed) return existed.error();
  if (!*existed) {
    // A new file, a version 1 file or one served with --dedup off: every
    // message is indexed below.
    if (auto e = x->exec(kIdempotencySql)) return *e;
  } else {
    auto through = sqlite::query_int64(
        db, "SELECT COALESCE((SELECT CAST(value AS INTEGER) FROM wkit_meta WHERE key = 'idempotency_through'), 0)");
    if (!through) return through.error();
    x->merged_through_ = *through;
  }
  auto prep = [&](const char* sql, sqlite3_stmt*& out) -> Status {
    if (sqlite3_prepare_v2(db, sql, -1, &out, nullptr) != SQLITE_OK)
      return sql_error(db, "store: cannot prepare statement");
    return std::nullopt;
  };
  // Indexes the keyed messages after the mark that the index does not hold
  // under their own message_id (a merge may have done part of them); a
  // repeated key still fails on the primary key.
  if (auto e = prep("INSERT INTO message_idempotency (client_msg_no, from_uid, channel_id, channel_type, message_id) "
                    "SELECT client_msg_no, from_uid, channel_id, channel_type, message_id FROM message m "
                    "WHERE message_id > ?1 AND client_msg_no <> '' AND NOT EXISTS (SELECT 1 FROM message_idempotency i "
                    "WHERE i.client_msg_no = m.client_msg_no AND i.from_uid = m.from_uid AND "
                    "i.channel_id = m.channel_id AND i.channel_type = m.channel_type AND i.message_id = m.message_id) "
                    "ORDER BY 1, 2, 3, 4",
                    x->catch_up_))
    return *e;
  if (auto e = prep("INSERT INTO message_idempotency (client_msg_no, from_uid, channel_id, channel_type, message_id) "
                    "VALUES (?, ?, ?, ?, ?)",
                    x->insert_))
    return *e;
  if (auto e = prep("SELECT message_id FROM message_idempotency "
                    "WHERE client_msg_no = ?1 AND from_uid = ?2 AND channel_id = ?3 AND channel_type = ?4",
                    x->probe_))
    return *e;
  if (auto e = prep("INSERT OR REPLACE INTO wkit_meta(key, value) VALUES ('idempotency_through', ?)", x->set_through_))
    return *e;
  if (auto e = x->catch_up()) return *e;
  if (auto e = x->refill_filter()) return *e;
  x->next_merge_at_ = x->merge_threshold();
  return x;
}

IdempotencyIndex::~IdempotencyIndex() {
  for (sqlite3_stmt* st : {catch_up_, insert_, probe_, set_through_}) sqlite3_finalize(st);
}

Status IdempotencyIndex::catch_up() {
  sqlite3_bind_int64(catch_up_, 1, merged_through_);
  int rc = sqlite3_step(catch_up_);
  sqlite3_reset(catch_up_);
  if (rc != SQLITE_DONE) {
    // A repeated key is the file's content (bad input); anything else is
    // the environment's.
    Error e = sql_error(db_, "indexing idempotency keys");
    if (sqlite3_extended_errcode(db_) == SQLITE_CONSTRAINT_PRIMARYKEY) e.kind = ErrorKind::bad_input;
    return e;
  }
  auto through = sqlite::query_int64(db_, "SELECT COALESCE(MAX(message_id), 0) FROM message");
  if (!through) return through.error();
  if (auto e = set_through(*through)) return e;
  merged_through_ = merging_through_ = std::max(merged_through_, *through);
  tail_.clear();
  frozen_.clear();
  return std::nullopt;
}

Status IdempotencyIndex::set_through(int64_t id) {
  const std::string v = std::to_string(id);
  bind_text(set_through_, 1, v);
  int rc = sqlite3_step(set_through_);
  sqlite3_reset(set_through_);
  if (rc != SQLITE_DONE) return sql_error(db_, "recording the indexed messages");
  return std::nullopt;
}

Status IdempotencyIndex::finish() {
  if (tail_.size() == 0 && !merging()) return std::nullopt;
  if (auto e = exec("BEGIN IMMEDIATE")) return e;
  Status e = catch_up();
  if (!e) e = exec("COMMIT");
  if (e) exec("ROLLBACK");
  return e;
}

int64_t IdempotencyIndex::holder(const Message& m) {
  if (int64_t id = tail_.stage(m)) return id;
  const uint64_t hash = tail_.staged_hash();
  if (merging())
    if (int64_t id = frozen_.find_id(tail_.staged_key(), hash)) {
      tail_.drop_staged();
      return id;
    }
  if (!indexed_.may_contain(hash)) return 0;
  bind_text(probe_, 1, m.client_msg_no);
  bind_text(probe_, 2, m.from_uid);
  bind_text(probe_, 3, m.channel_id);
  sqlite3_bind_int(probe_, 4, m.channel_type);
  int64_t id = sqlite3_step(probe_) == SQLITE_ROW ? sqlite3_column_int64(probe_, 0) : 0;
  sqlite3_reset(probe_);
  if (id) tail_.drop_staged();
  return id;
}

void IdempotencyIndex::reload_tail() {
  tail_.clear();
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(db_,
                     "SELECT channel_id, channel_type, from_uid, client_msg_no, message_id FROM message "
                     "WHERE message_id > ? AND client_msg_no <> ''",
                     -1, &st, nullptr);
  sqlite3_bind_int64(st, 1, merging_through_);
  Message m;
  while (sqlite3_step(st) == SQLITE_ROW) {
    m.channel_id = column_view(st, 0);
    m.channel_type = static_cast<uint8_t>(sqlite3_column_int(st, 1));
    m.from_uid = column_view(st, 2);
    m.client_msg_no = column_view(st, 3);
    m.message_id = sqlite3_column_int64(st, 4);
    tail_.stage(m);
    tail_.keep_staged();
  }
  sqlite3_finalize(st);
}

uint64_t IdempotencyIndex::merge_threshold() const {
  // A merge dirties about min(keys merged, index pages) pages, so merging
  // a quarter of the index's size at once keeps the pages written per
  // message low as the store grows (with 1M messages stored: 80-90k ->
  // 120-135k SENDs/s); the cap bounds the memory the tail takes.
  return std::clamp<uint64_t>(indexed_.count() / 4, merge_rows_, 4 * merge_rows_);
}

void IdempotencyIndex::step() {
  if (failed_) return;
  if (!merging()) {
    if (tail_.size() < next_merge_at_) return;
    start_merge();
  }
  if (auto e = insert_slice(next_slice_)) {
    // The merge stays open (merging()), so the keys stay in frozen_ and
    // are checked there; finish() and the next open retry them.
    failed_ = true;
    return;
  }
  if (++next_slice_ + 1 < slice_begin_.size()) return;
  // Every slice is in: the frozen keys are indexed.
  frozen_.for_each_hash([&](uint64_t h) { indexed_.add(h); });
  frozen_.clear();
  merged_through_ = merging_through_;
  next_merge_at_ = merge_threshold();
}

void IdempotencyIndex::start_merge() {
  std::swap(tail_, frozen_);  // frozen_ was empty
  merging_through_ = frozen_.max_id();
  decoded_.clear();
  frozen_.for_each_key([&](std::string_view key, int64_t id) {
    const TailKeys::Parts p = TailKeys::parts(key);
    decoded_.push_back(Entry{p.client_msg_no, p.from_uid, p.channel_id, p.channel_type, id});
  });
  const size_t n = decoded_.size();
  const size_t slices = std::max<size_t>(1, (n + slice_keys_ - 1) / slice_keys_);
  // Slice bounds: quantiles of a sample of the client_msg_nos. Keys with
  // the same client_msg_no share a slice.
  sample_.clear();
  for (size_t i = 0; i < n; i += std::max<size_t>(1, n / 4096)) sample_.push_back(decoded_[i].client_msg_no);
  std::sort(sample_.begin(), sample_.end());
  std::vector<std::string_view> bounds;  // slice k holds keys < bounds[k]
  for (size_t k = 1; k < slices; ++k) bounds.push_back(sample_[k * sample_.size() / slices]);
  // Counting sort of the keys into their slices.
  slice_of_.resize(n);
  slice_begin_.assign(slices + 1, 0);
  for (size_t i = 0; i < n; ++i) {
    slice_of_[i] = static_cast<uint32_t>(std::upper_bound(bounds.begin(), bounds.end(), decoded_[i].client_msg_no) -
                                         bounds.begin());
    ++slice_begin_[slice_of_[i] + 1];
  }
  for (size_t k = 1; k <= slices; ++k) slice_begin_[k] += slice_begin_[k - 1];
  entries_.resize(n);
  std::vector<size_t> fill(slice_begin_.begin(), slice_begin_.end() - 1);
  for (size_t i = 0; i < n; ++i) entries_[fill[slice_of_[i]]++] = decoded_[i];
  next_slice_ = 0;
}

Status IdempotencyIndex::insert_slice(size_t slice) {
  auto first = entries_.begin() + static_cast<ptrdiff_t>(slice_begin_[slice]);
  auto last = entries_.begin() + static_cast<ptrdiff_t>(slice_begin_[slice + 1]);
  // Key order: each index page is visited once, while it is in cache.
  std::sort(first, last, [](const Entry& a, const Entry& b) { return index_less(a, b); });
  if (auto e = exec("BEGIN IMMEDIATE")) return e;
  Status e;
  for (auto it = first; it != last && !e; ++it) {
    bind_text(insert_, 1, it->client_msg_no);
    bind_text(insert_, 2, it->from_uid);
    bind_text(insert_, 3, it->channel_id);
    sqlite3_bind_int(insert_, 4, it->channel_type);
    sqlite3_bind_int64(insert_, 5, it->message_id);
    if (sqlite3_step(insert_) != SQLITE_DONE) e = sql_error(db_, "indexing idempotency keys");
    sqlite3_reset(insert_);
  }
  if (!e && slice + 2 == slice_begin_.size()) e = set_through(merging_through_);
  if (!e) e = exec("COMMIT");
  if (e) exec("ROLLBACK");
  return e;
}

Status IdempotencyIndex::refill_filter() {
  auto n = sqlite::query_int64(db_, "SELECT COUNT(*) FROM message_idempotency");
  if (!n) return n.error();
  indexed_.reset(std::max<uint64_t>(2 * static_cast<uint64_t>(*n), 2 * merge_rows_));
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(db_, "SELECT channel_type, channel_id, from_uid, client_msg_no FROM message_idempotency", -1,
                     &st, nullptr);
  std::string scratch;
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW)
    indexed_.add(TailKeys::hash_of(static_cast<uint8_t>(sqlite3_column_int(st, 0)), column_view(st, 1),
                                   column_view(st, 2), column_view(st, 3), scratch));
  sqlite3_finalize(st);
  if (rc != SQLITE_DONE) return sql_error(db_, "store: reading idempotency keys");
  return std::nullopt;
}

}  // namespace wkit::store
