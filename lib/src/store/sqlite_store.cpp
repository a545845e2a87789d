#include "sqlite_store.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <filesystem>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "sqlite_util.hpp"
#include "store_file_check.hpp"
#include "wal_checkpointer.hpp"
#include "wkit/store/idempotency_key.hpp"
#include "wkit/store/schema.hpp"

namespace wkit::store {

namespace {

using sqlite::bind_text;
using sqlite::env_error;

sqlite3* DB(void* p) { return static_cast<sqlite3*>(p); }
sqlite3_stmt* ST(void* p) { return static_cast<sqlite3_stmt*>(p); }

std::string column_text(sqlite3_stmt* s, int i) { return std::string(sqlite::column_view(s, i)); }

bool unhex32(std::string_view hex, std::array<uint8_t, 32>& out) {
  if (hex.size() != 64) return false;
  auto nib = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (size_t i = 0; i < 32; ++i) {
    int hi = nib(hex[2 * i]), lo = nib(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    out[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return true;
}

constexpr const char* kInsertMessage =
    "INSERT INTO message (channel_id, channel_type, message_seq, message_id, framer_flags, setting, "
    "msg_key, expire, client_seq, client_msg_no, stream_no, timestamp, topic, from_uid, payload_hash, "
    "payload_size, payload, server_timestamp_ms) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)";
constexpr const char* kSelectColumns =
    "m.channel_id, m.channel_type, m.message_seq, m.message_id, m.framer_flags, m.setting, m.msg_key, "
    "m.expire, m.client_seq, m.client_msg_no, m.stream_no, m.timestamp, m.topic, m.from_uid, "
    "m.payload_hash, m.payload, m.server_timestamp_ms";

// Binds the 18 columns of `m` at parameters base+1..base+18. `hash_buf`
// (64 chars) must live until the statement has run.
void bind_message(sqlite3_stmt* s, int base, const Message& m, char* hash_buf) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (size_t i = 0; i < 32; ++i) {
    hash_buf[2 * i] = kHex[m.payload_hash[i] >> 4];
    hash_buf[2 * i + 1] = kHex[m.payload_hash[i] & 15];
  }
  bind_text(s, base + 1, m.channel_id);
  sqlite3_bind_int(s, base + 2, m.channel_type);
  sqlite3_bind_int64(s, base + 3, static_cast<int64_t>(m.message_seq));
  sqlite3_bind_int64(s, base + 4, m.message_id);
  sqlite3_bind_int(s, base + 5, m.framer_flags);
  sqlite3_bind_int(s, base + 6, m.setting);
  bind_text(s, base + 7, m.msg_key);
  sqlite3_bind_int64(s, base + 8, m.expire);
  sqlite3_bind_int64(s, base + 9, m.client_seq);
  bind_text(s, base + 10, m.client_msg_no);
  bind_text(s, base + 11, m.stream_no);
  sqlite3_bind_int64(s, base + 12, m.timestamp);
  bind_text(s, base + 13, m.topic);
  bind_text(s, base + 14, m.from_uid);
  bind_text(s, base + 15, std::string_view(hash_buf, 64));
  sqlite3_bind_int64(s, base + 16, static_cast<int64_t>(m.payload.size()));
  sqlite3_bind_blob(s, base + 17, m.payload.data(), static_cast<int>(m.payload.size()), SQLITE_STATIC);
  sqlite3_bind_int64(s, base + 18, m.server_timestamp_ms);
}

Message read_message(sqlite3_stmt* s) {
  Message m;
  m.channel_id = column_text(s, 0);
  m.channel_type = static_cast<uint8_t>(sqlite3_column_int(s, 1));
  m.message_seq = static_cast<uint64_t>(sqlite3_column_int64(s, 2));
  m.message_id = sqlite3_column_int64(s, 3);
  m.framer_flags = static_cast<uint8_t>(sqlite3_column_int(s, 4));
  m.setting = static_cast<uint8_t>(sqlite3_column_int(s, 5));
  m.msg_key = column_text(s, 6);
  m.expire = static_cast<uint32_t>(sqlite3_column_int64(s, 7));
  m.client_seq = static_cast<uint32_t>(sqlite3_column_int64(s, 8));
  m.client_msg_no = column_text(s, 9);
  m.stream_no = column_text(s, 10);
  m.timestamp = static_cast<int32_t>(sqlite3_column_int64(s, 11));
  m.topic = column_text(s, 12);
  m.from_uid = column_text(s, 13);
  unhex32(column_text(s, 14), m.payload_hash);
  auto* blob = static_cast<const char*>(sqlite3_column_blob(s, 15));
  m.payload.assign(blob ? blob : "", sqlite3_column_bytes(s, 15));
  m.server_timestamp_ms = sqlite3_column_int64(s, 16);
  return m;
}

}  // namespace

Status SqliteStore::exec(const char* sql) { return sqlite::exec(DB(db_), sql); }

Result<std::unique_ptr<SqliteStore>> SqliteStore::open(const Options& opts) {
  std::unique_ptr<SqliteStore> s(new SqliteStore());
  {
    std::error_code ec;
    std::filesystem::create_directories(opts.dir, ec);
    if (ec) return env_error("cannot create data directory '" + opts.dir + "': " + ec.message());
    s->path_ = (std::filesystem::path(opts.dir) / kDbFileName).string();
  }
  // Before the first write (the WAL switch alone rewrites the header).
  if (auto e = check_store_file(s->path_)) return *e;
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(s->path_.c_str(), &db,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  s->db_ = db;
  if (rc != SQLITE_OK)
    return env_error("cannot open store '" + s->path_ + "': " + (db ? sqlite3_errmsg(db) : "out of memory"));
  sqlite3_busy_timeout(db, 5000);

  // Is it ours? A file that is not SQLite fails here with "file is not a database".
  {
    sqlite3_stmt* st = nullptr;
    rc = sqlite3_prepare_v2(db, "SELECT count(*) FROM sqlite_master", -1, &st, nullptr);
    if (rc == SQLITE_OK) rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW) {
      std::string msg = sqlite3_errmsg(db);
      return Error{rc == SQLITE_NOTADB ? ErrorKind::bad_input : ErrorKind::internal,
                   "cannot read store '" + s->path_ + "': " + msg, std::nullopt};
    }
  }
  // New files get 16 KiB pages (existing ones keep theirs): the message
  // table is appended and the idempotency index merged in key order, so
  // bigger pages mean fewer WAL frames, syscalls and checkpoint copies for
  // the same bytes (1x4096 random keys: +15-28 % SENDs/s against 4 KiB, and
  // 32/64 KiB were no better; docs/benchmarks.md). Ignored once the file
  // has content.
  if (auto e = s->exec("PRAGMA page_size=16384")) return *e;
  if (auto e = s->exec("PRAGMA journal_mode=WAL"))
    return env_error("store '" + s->path_ + "': cannot enable WAL: " + e->message);
  if (auto e = s->exec(opts.durable ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL")) return *e;
  // The indexes of a growing message table are hot: keep them in cache
  // (64 MiB) instead of re-reading pages on every insert. 256 MiB helped
  // while the idempotency index was merged in one transaction; with slices
  // it makes no difference (1M messages stored, 3 pairs) and cost ~190 MB
  // of RSS.
  if (auto e = s->exec("PRAGMA cache_size=-65536")) return *e;
  // Until the checkpoint thread runs (wal_checkpointer.hpp, started once
  // the schema is in place), a large WAL: the open may write a lot.
  if (auto e = s->exec("PRAGMA wal_autocheckpoint=16000")) return *e;
  // Schema, stamp, migration and the catch-up of the idempotency index
  // happen in one transaction: a file that cannot be served is left as it
  // was, and a new file is never left with tables but without its stamp.
  if (auto e = s->exec("BEGIN IMMEDIATE")) return env_error("store '" + s->path_ + "' is busy: " + e->message);
  Status schema = s->exec(kSchemaSql);
  if (!schema) schema = s->exec(kPendingSql);
  if (!schema) schema = s->exec(kGroupSql);
  if (schema) {
    s->exec("ROLLBACK");
    return env_error("store '" + s->path_ + "': cannot create schema: " + schema->message);
  }
  if (auto e = s->stamp(opts)) {
    s->exec("ROLLBACK");
    return *e;
  }
  if (auto e = s->exec("COMMIT")) return env_error("store '" + s->path_ + "': " + e->message);
  if (auto e = s->open_index(opts)) return *e;
  // Every 4,000 frames (64 MiB), off the commit path: against 16,000 frames
  // checkpointed by the committing thread, 122k vs 84-90k SENDs/s (empty
  // store, 1 x 1024) and the 400-500 ms stalls gone (docs/benchmarks.md).
  auto checkpointer = WalCheckpointer::start(db, s->path_, opts.durable, 4000);
  if (!checkpointer) return checkpointer.error();
  s->checkpointer_ = std::move(*checkpointer);

  auto prep = [&](const char* sql, void*& out) -> Status {
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db, sql, -1, &st, nullptr) != SQLITE_OK)
      return env_error(std::string("store: cannot prepare statement: ") + sqlite3_errmsg(db));
    out = st;
    return std::nullopt;
  };
  if (auto e = prep(kInsertMessage, s->insert_msg_)) return *e;
  {
    // Multi-row forms: one statement (cursor setup, VDBE dispatch) per
    // kMultiRows SENDs instead of per SEND.
    std::string many = kInsertMessage, pend = "INSERT OR IGNORE INTO pending_delivery(uid, message_id) VALUES (?, ?)";
    for (int i = 1; i < kMultiRows; ++i) {
      many += ",(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)";
      pend += ",(?, ?)";
    }
    if (auto e = prep(many.c_str(), s->insert_msg_many_)) return *e;
    if (auto e = prep(pend.c_str(), s->insert_pending_many_)) return *e;
  }
  if (auto e = prep("INSERT OR IGNORE INTO pending_delivery(uid, message_id) VALUES (?, ?)", s->insert_pending_)) return *e;
  if (auto e = prep("DELETE FROM pending_delivery WHERE uid = ? AND message_id = ?", s->delete_pending_)) return *e;
  if (auto e = prep("INSERT OR REPLACE INTO wkit_group(group_id, members) VALUES (?, ?)", s->upsert_group_)) return *e;
  std::string sel = std::string("SELECT ") + kSelectColumns +
                    " FROM pending_delivery p JOIN message m ON m.message_id = p.message_id "
                    "WHERE p.uid = ? AND p.message_id > ? ORDER BY p.message_id LIMIT ?";
  if (auto e = prep(sel.c_str(), s->select_pending_)) return *e;
  if (opts.channel_index) {
    // Built once for a store that has none (an open of a large store takes a
    // while then); kept by SQLite on every append from then on.
    if (auto e = s->exec("CREATE INDEX IF NOT EXISTS message_channel_seq ON message(channel_type, channel_id, message_seq)"))
      return env_error("store '" + s->path_ + "': cannot create the channel index: " + e->message);
    std::string range = std::string("SELECT ") + kSelectColumns +
                        " FROM message m WHERE m.channel_type = ? AND m.channel_id = ? AND m.message_seq BETWEEN ? AND ? "
                        "ORDER BY m.message_seq ";
    if (auto e = prep((range + "ASC LIMIT ?").c_str(), s->select_range_asc_)) return *e;
    if (auto e = prep((range + "DESC LIMIT ?").c_str(), s->select_range_desc_)) return *e;
  }
  return s;
}

SqliteStore::~SqliteStore() {
  stop();
  checkpointer_.reset();  // before the writer closes: it checkpoints and removes the WAL last
  keys_.reset();
  for (void* st : {insert_msg_, insert_pending_, delete_pending_, select_pending_, insert_msg_many_,
                   insert_pending_many_, read_message_key_, upsert_group_, select_range_asc_, select_range_desc_})
    sqlite3_finalize(ST(st));
  if (reader_) sqlite3_close(DB(reader_));
  if (db_) sqlite3_close(DB(db_));
}

Status SqliteStore::load_heads(const std::function<void(const ChannelHead&)>& each) {
  // One scan of `message` gives the heads and the message count. Grouped in
  // a hash map here: SQLite's GROUP BY (no index on channel, on purpose)
  // sorts every row first (25 s with 22M messages stored), and a COUNT(*)
  // would be another scan.
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(DB(db_), "SELECT channel_type, channel_id, message_seq FROM message", -1, &st, nullptr);
  std::unordered_map<std::string, uint64_t> heads;  // type byte + channel_id -> last seq
  std::string key;
  int rc;
  uint64_t count = 0;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    ++count;
    key.assign(1, static_cast<char>(sqlite3_column_int(st, 0)));
    key.append(sqlite::column_view(st, 1));
    const auto seq = static_cast<uint64_t>(sqlite3_column_int64(st, 2));
    auto [it, added] = heads.try_emplace(key, seq);
    if (!added && seq > it->second) it->second = seq;
  }
  sqlite3_finalize(st);
  if (rc != SQLITE_DONE) return env_error(std::string("store: reading channels: ") + sqlite3_errmsg(DB(db_)));
  for (const auto& [k, seq] : heads) {
    ChannelHead h;
    h.channel_type = static_cast<uint8_t>(k[0]);
    h.channel_id = k.substr(1);
    h.last_seq = seq;
    each(h);
  }
  count_at_start_ = count;
  return std::nullopt;
}

Status SqliteStore::load_dedup(uint64_t limit, const std::function<void(const DedupRow&)>& each) {
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(DB(db_),
                     "SELECT * FROM (SELECT channel_id, channel_type, from_uid, client_msg_no, message_id, message_seq, "
                     "payload_hash FROM message WHERE client_msg_no <> '' ORDER BY message_id DESC LIMIT ?) "
                     "ORDER BY message_id",
                     -1, &st, nullptr);
  sqlite3_bind_int64(st, 1, static_cast<int64_t>(std::min<uint64_t>(limit, INT64_MAX)));
  int rc;
  DedupRow r;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    r.channel_id = column_text(st, 0);
    r.channel_type = static_cast<uint8_t>(sqlite3_column_int(st, 1));
    r.from_uid = column_text(st, 2);
    r.client_msg_no = column_text(st, 3);
    r.message_id = sqlite3_column_int64(st, 4);
    r.message_seq = static_cast<uint64_t>(sqlite3_column_int64(st, 5));
    unhex32(column_text(st, 6), r.payload_hash);
    each(r);
  }
  sqlite3_finalize(st);
  if (rc != SQLITE_DONE) return env_error(std::string("store: reading idempotency keys: ") + sqlite3_errmsg(DB(db_)));
  return std::nullopt;
}

Status SqliteStore::for_each_dedup_hash(const std::function<void(uint64_t)>& each) {
  if (!keys_) return std::nullopt;
  return keys_->for_each_hash(each);
}

Result<std::optional<DedupRow>> SqliteStore::find_dedup(std::string_view key, uint64_t hash) {
  if (!keys_) return std::optional<DedupRow>();
  if (index_failed_.load(std::memory_order_acquire))
    return env_error("store: the idempotency index missed a write (" + index_error_ + "); restart to rebuild it");
  if (auto e = keys_->candidates(hash, candidates_)) return *e;
  sqlite3_stmt* st = ST(read_message_key_);
  for (int64_t id : candidates_) {
    sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
      idempotency_key(candidate_key_, static_cast<uint8_t>(sqlite3_column_int(st, 0)), sqlite::column_view(st, 1),
                      sqlite::column_view(st, 2), sqlite::column_view(st, 3));
      if (candidate_key_ == key) {
        DedupRow r;
        r.channel_type = static_cast<uint8_t>(sqlite3_column_int(st, 0));
        r.channel_id = column_text(st, 1);
        r.from_uid = column_text(st, 2);
        r.client_msg_no = column_text(st, 3);
        r.message_id = id;
        r.message_seq = static_cast<uint64_t>(sqlite3_column_int64(st, 4));
        unhex32(column_text(st, 5), r.payload_hash);
        sqlite3_reset(st);
        return std::optional<DedupRow>(std::move(r));
      }
    }
    sqlite3_reset(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
      return env_error(std::string("store: reading message ") + std::to_string(id) + ": " + sqlite3_errmsg(DB(reader_)));
  }
  return std::optional<DedupRow>();
}

Result<int64_t> SqliteStore::max_message_id() {
  return sqlite::query_int64(DB(db_), "SELECT COALESCE(MAX(message_id), 0) FROM message");
}

Result<uint64_t> SqliteStore::message_count() {
  if (count_at_start_) return *count_at_start_;  // before start(): nothing appended since
  auto n = sqlite::query_int64(DB(db_), "SELECT COUNT(*) FROM message");
  if (!n) return n.error();
  return static_cast<uint64_t>(*n);
}

Status SqliteStore::load_groups(const std::function<void(const std::string&, std::vector<std::string>&&)>& each) {
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(DB(db_), "SELECT group_id, members FROM wkit_group ORDER BY group_id", -1, &st, nullptr);
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    const std::string id = column_text(st, 0);
    auto members = nlohmann::json::parse(sqlite::column_view(st, 1), nullptr, false);
    std::vector<std::string> uids;
    if (members.is_array())
      for (const auto& m : members)
        if (m.is_string()) uids.push_back(m.get<std::string>());
    if (!members.is_array() || uids.size() != members.size()) {
      sqlite3_finalize(st);
      return Error::input("store '" + path_ + "': wkit_group row '" + id + "': members is not a JSON array of uids");
    }
    each(id, std::move(uids));
  }
  sqlite3_finalize(st);
  if (rc != SQLITE_DONE) return env_error(std::string("store: reading groups: ") + sqlite3_errmsg(DB(db_)));
  return std::nullopt;
}

void SqliteStore::execute(Op& op) {
  sqlite3* db = DB(db_);
  auto fail = [&](const char* what) {
    op.failed = true;
    op.error = std::string(what) + ": " + sqlite3_errmsg(db);
  };
  switch (op.kind) {
    case Op::Kind::append: {
      const Message& m = op.message;
      sqlite3_stmt* s = ST(insert_msg_);
      char hash[64];
      bind_message(s, 0, m, hash);
      int rc = sqlite3_step(s);
      sqlite3_reset(s);
      if (rc != SQLITE_DONE) return fail("insert message");
      sqlite3_stmt* p = ST(insert_pending_);
      for (const auto& uid : op.recipients) {
        bind_text(p, 1, uid);
        sqlite3_bind_int64(p, 2, m.message_id);
        rc = sqlite3_step(p);
        sqlite3_reset(p);
        if (rc != SQLITE_DONE) return fail("insert pending delivery");
      }
      return;
    }
    case Op::Kind::ack: {
      sqlite3_stmt* s = ST(delete_pending_);
      bind_text(s, 1, op.uid);
      sqlite3_bind_int64(s, 2, op.message_id);
      int rc = sqlite3_step(s);
      sqlite3_reset(s);
      if (rc != SQLITE_DONE) fail("delete pending delivery");
      return;
    }
    case Op::Kind::load_pending: {
      sqlite3_stmt* s = ST(select_pending_);
      bind_text(s, 1, op.uid);
      sqlite3_bind_int64(s, 2, op.message_id);
      sqlite3_bind_int64(s, 3, op.limit == 0 ? -1 : static_cast<int64_t>(op.limit));  // -1: no limit
      int rc;
      while ((rc = sqlite3_step(s)) == SQLITE_ROW) op.loaded.push_back(read_message(s));
      sqlite3_reset(s);
      if (rc != SQLITE_DONE) fail("load pending deliveries");
      return;
    }
    case Op::Kind::load_range: {
      if (!select_range_asc_) {
        op.failed = true;
        op.error = "load a channel range: the store was opened without the channel index";
        return;
      }
      sqlite3_stmt* s = ST(op.newest ? select_range_desc_ : select_range_asc_);
      sqlite3_bind_int(s, 1, op.message.channel_type);
      bind_text(s, 2, op.message.channel_id);
      sqlite3_bind_int64(s, 3, static_cast<int64_t>(std::min<uint64_t>(op.seq_from, INT64_MAX)));
      sqlite3_bind_int64(s, 4, static_cast<int64_t>(std::min<uint64_t>(op.seq_to, INT64_MAX)));
      sqlite3_bind_int64(s, 5, op.limit == 0 ? -1 : static_cast<int64_t>(op.limit));
      int rc;
      while ((rc = sqlite3_step(s)) == SQLITE_ROW) op.loaded.push_back(read_message(s));
      sqlite3_reset(s);
      if (rc != SQLITE_DONE) return fail("load a channel range");
      if (op.newest) std::reverse(op.loaded.begin(), op.loaded.end());
      return;
    }
    case Op::Kind::set_group: {
      const std::string members = nlohmann::json(op.recipients).dump();
      sqlite3_stmt* s = ST(upsert_group_);
      bind_text(s, 1, op.message.channel_id);
      bind_text(s, 2, members);
      int rc = sqlite3_step(s);
      sqlite3_reset(s);
      if (rc != SQLITE_DONE) fail("keep a group");
      return;
    }
  }
}

bool SqliteStore::append_many(Op* const* ops) {
  sqlite3* db = DB(db_);
  sqlite3_stmt* s = ST(insert_msg_many_);
  sqlite3_stmt* p = ST(insert_pending_many_);
  // A failing multi-row INSERT (which changes nothing: SQLite rolls the
  // statement back) sends the caller to running the ops one by one, so only
  // the offender fails.
  char hashes[kMultiRows][64];
  for (int i = 0; i < kMultiRows; ++i) bind_message(s, i * 18, ops[i]->message, hashes[i]);
  int rc = sqlite3_step(s);
  sqlite3_reset(s);
  if (rc != SQLITE_DONE) return false;
  for (int i = 0; i < kMultiRows; ++i) {
    bind_text(p, 2 * i + 1, ops[i]->recipients[0]);
    sqlite3_bind_int64(p, 2 * i + 2, ops[i]->message.message_id);
  }
  rc = sqlite3_step(p);
  sqlite3_reset(p);
  if (rc != SQLITE_DONE) {
    for (int i = 0; i < kMultiRows; ++i) {
      ops[i]->failed = true;
      ops[i]->error = std::string("insert pending delivery: ") + sqlite3_errmsg(db);
    }
  }
  return true;
}

void SqliteStore::apply(std::vector<std::vector<Op>>& batches) {
  count_at_start_.reset();  // message_count() counts again from now on
  // One flat list across the submitted vectors, so runs for the multi-row
  // statements do not break where one vector ends (many connections mean
  // many small vectors).
  ops_.clear();
  for (auto& batch : batches)
    for (auto& op : batch) ops_.push_back(&op);
  bool in_tx = sqlite3_exec(DB(db_), "BEGIN", nullptr, nullptr, nullptr) == SQLITE_OK;
  for (size_t i = 0; i < ops_.size();) {
    // Runs of kMultiRows appends with one recipient each (the person-channel
    // hot path) go in multi-row statements.
    size_t run = 0;
    while (run < static_cast<size_t>(kMultiRows) && i + run < ops_.size() &&
           ops_[i + run]->kind == Op::Kind::append && ops_[i + run]->recipients.size() == 1)
      ++run;
    if (run == static_cast<size_t>(kMultiRows) && append_many(&ops_[i])) {
      i += run;
      continue;
    }
    execute(*ops_[i]);
    ++i;
  }
  if (in_tx && sqlite3_exec(DB(db_), "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK) {
    std::string err = sqlite3_errmsg(DB(db_));
    sqlite3_exec(DB(db_), "ROLLBACK", nullptr, nullptr, nullptr);
    for (Op* op : ops_) {
      op->failed = true;
      op->error = "commit: " + err;
    }
    return;
  }
  // After the commit and before anyone hears of it, so a key the server
  // forgets from memory is always found on disk.
  if (keys_ && !index_failed_.load(std::memory_order_relaxed))
    if (auto e = keys_->add(ops_)) {
      index_error_ = e->message;
      index_failed_.store(true, std::memory_order_release);
    }
}

Status SqliteStore::stamp(const Options& opts) {
  sqlite3* db = DB(db_);
  {
    sqlite3_stmt* st = nullptr;
    sqlite3_prepare_v2(db, "SELECT value FROM wkit_meta WHERE key='schema_version'", -1, &st, nullptr);
    if (sqlite3_step(st) == SQLITE_ROW) {
      int v = std::atoi(column_text(st, 0).c_str());
      sqlite3_finalize(st);
      if (v > kSchemaVersion)
        return Error::input("store '" + path_ + "' has schema_version " + std::to_string(v) +
                            "; this wkit reads up to " + std::to_string(kSchemaVersion));
    } else {
      sqlite3_finalize(st);
    }
    sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO wkit_meta(key, value) VALUES (?, ?)", -1, &st, nullptr);
    auto put = [&](std::string_view k, std::string_view v) {
      bind_text(st, 1, k);
      bind_text(st, 2, v);
      int r = sqlite3_step(st);
      sqlite3_reset(st);
      return r == SQLITE_DONE;
    };
    std::string ver = std::to_string(kSchemaVersion);
    bool ok = put("schema_version", ver) && put("format", "wkit-serve-store") &&
              put("dedup", opts.dedup ? "on" : "off") &&
              put("created_by", opts.created_by.empty() ? "wkit serve" : opts.created_by);
    std::string err = sqlite3_errmsg(db);
    sqlite3_finalize(st);
    if (!ok) return env_error("store '" + path_ + "' is not writable: " + err);
  }
  // Versions before the index moved to DIR/wkit.keys kept it in the file.
  if (auto e = exec((std::string("DROP INDEX IF EXISTS ") + kVersion1IndexName).c_str())) return e;
  return exec("DROP TABLE IF EXISTS message_idempotency; DELETE FROM wkit_meta WHERE key = 'idempotency_through'");
}

Status SqliteStore::open_index(const Options& opts) {
  const std::string dir = (std::filesystem::path(opts.dir) / kKeysDirName).string();
  // 2.x behaviour stores resends again: the index would refuse them.
  if (!opts.dedup) return KeyIndex::remove(dir);
  auto keys = KeyIndex::open(dir, DB(db_));
  if (!keys) {
    if (keys.error().kind != ErrorKind::bad_input) return keys.error();
    return Error::input("store '" + path_ + "' holds messages with the same (channel, from_uid, client_msg_no), "
                        "written with --dedup off; it cannot be served with --dedup on (" + keys.error().message + ")");
  }
  keys_ = std::move(*keys);
  sqlite3* reader = nullptr;
  int rc = sqlite3_open_v2(path_.c_str(), &reader, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nullptr);
  reader_ = reader;
  if (rc != SQLITE_OK) return env_error("cannot open store '" + path_ + "' for reading: " + sqlite3_errmsg(reader));
  sqlite3_busy_timeout(reader, 5000);
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(reader,
                         "SELECT channel_type, channel_id, from_uid, client_msg_no, message_seq, payload_hash "
                         "FROM message WHERE message_id = ?",
                         -1, &st, nullptr) != SQLITE_OK)
    return env_error(std::string("store: cannot prepare statement: ") + sqlite3_errmsg(reader));
  read_message_key_ = st;
  return std::nullopt;
}

}  // namespace wkit::store
