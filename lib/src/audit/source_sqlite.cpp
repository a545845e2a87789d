// SQLite message stores, recognised by schema (docs/protocol.md section 8): the Android/Flutter
// SDK and iOS SDK `message` tables, the WuKongIM 3.x server table and the
// `wkit serve` store (wkit_meta table, wkit/store/schema.hpp). Compressed or
// stdin databases are first copied to a temp file (SQLite needs a file).
#include <sqlite3.h>
#include <unistd.h>

#include <charconv>
#include <cstdlib>
#include <cstring>
#include <set>

#include "wkit/audit/source.hpp"

namespace wkit::audit {

namespace {

struct Db {
  sqlite3* db = nullptr;
  ~Db() {
    if (db) sqlite3_close(db);
  }
};
struct Stmt {
  sqlite3_stmt* st = nullptr;
  ~Stmt() {
    if (st) sqlite3_finalize(st);
  }
};

std::string quote_ident(const std::string& s) {
  std::string q = "\"";
  for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

class SqliteSource final : public RecordSource {
 public:
  SqliteSource(std::string name, std::string path, bool temp, const AuditOptions& o)
      : name_(std::move(name)), path_(std::move(path)), temp_(temp), opts_(o) {}
  ~SqliteSource() override {
    if (temp_) ::unlink(path_.c_str());
  }
  std::string format() const override { return "sqlite:" + schema_; }
  std::string fields_seen() const override { return "columns of table " + table_ + ": " + describe_names(column_order_); }

  Status open() {
    if (sqlite3_open_v2(path_.c_str(), &db_.db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK)
      return Error::input(name_ + ": cannot open as SQLite: " + sqlite3_errmsg(db_.db));
    std::set<std::string> tables;
    {
      Stmt s;
      if (sqlite3_prepare_v2(db_.db, "SELECT name FROM sqlite_master WHERE type='table'", -1, &s.st, nullptr) !=
          SQLITE_OK)
        return Error::input(name_ + ": not a readable SQLite database: " + sqlite3_errmsg(db_.db));
      while (sqlite3_step(s.st) == SQLITE_ROW)
        tables.insert(reinterpret_cast<const char*>(sqlite3_column_text(s.st, 0)));
    }
    table_ = opts_.table.empty() ? "message" : opts_.table;
    if (!tables.count(table_))
      return Error::input(name_ + ": SQLite database has no table '" + table_ + "' (use --table NAME)");
    {
      Stmt s;
      std::string q = "PRAGMA table_info(" + quote_ident(table_) + ")";
      sqlite3_prepare_v2(db_.db, q.c_str(), -1, &s.st, nullptr);
      while (s.st && sqlite3_step(s.st) == SQLITE_ROW) {
        const char* c = reinterpret_cast<const char*>(sqlite3_column_text(s.st, 1));
        if (!c) continue;
        columns_.insert(c);
        column_order_.emplace_back(c);
      }
    }
    auto has = [&](const char* c) { return columns_.count(c) > 0; };
    if (tables.count("wkit_meta")) schema_ = "wkit-store";
    else if (has("payload_hash") && has("framer_flags")) schema_ = "wukongim-server";
    else if (has("content_type") || has("to_uid")) schema_ = "ios";
    else if (has("content") && has("client_seq")) schema_ = "android";
    else schema_ = "generic";
    std::vector<std::pair<Field, std::string>> extra;
    if (!has("payload") && has("content")) extra.emplace_back(Field::payload, "content");
    auto map = FieldMap::make(opts_.maps, extra);
    if (!map) return map.error();
    map_ = std::move(*map);
    bool keyed = false;
    for (Field k : {Field::message_id, Field::message_idstr, Field::client_msg_no})
      for (auto& n : map_.names_of(k)) keyed |= columns_.count(n) > 0;
    if (!keyed)
      return Error::input(name_ + ": table '" + table_ + "' has neither a client_msg_no nor a message_id column (" +
                          fields_seen() + "; use --map FIELD=COLUMN)");
    return std::nullopt;
  }

  Status run(AuditContext& ctx, uint16_t input) override {
    ctx.inputs[input].table = table_;
    std::string sql = "SELECT rowid";
    for (int i = 0; i < kFieldCount; ++i) {
      std::string col;
      for (auto& n : map_.names_of(static_cast<Field>(i)))
        if (columns_.count(n)) {
          col = n;
          break;
        }
      sql += ", " + (col.empty() ? std::string("NULL") : quote_ident(col));
    }
    sql += " FROM " + quote_ident(table_);
    Stmt s;
    if (sqlite3_prepare_v2(db_.db, sql.c_str(), -1, &s.st, nullptr) != SQLITE_OK)
      return Error::input(name_ + ": cannot read table " + table_ + ": " + sqlite3_errmsg(db_.db));
    RecordBuilder out(ctx, input);
    if (auto err = out.init()) return err;
    RawFields f;
    int rc;
    while ((rc = sqlite3_step(s.st)) == SQLITE_ROW) {
      if (ctx.failed() || ctx.stopping()) break;
      const uint64_t rowid = static_cast<uint64_t>(sqlite3_column_int64(s.st, 0));
      if (const char* err = fill(s.st, f)) out.malformed(rowid, err);
      else out.add(f, rowid);
    }
    if (rc != SQLITE_DONE && rc != SQLITE_ROW)
      return Error::input(name_ + ": error reading table " + table_ + ": " + sqlite3_errmsg(db_.db));
    return std::nullopt;
  }

 private:
  static std::string_view text(sqlite3_stmt* st, int col) {
    const void* p = sqlite3_column_type(st, col) == SQLITE_BLOB ? sqlite3_column_blob(st, col)
                                                                 : static_cast<const void*>(sqlite3_column_text(st, col));
    int n = sqlite3_column_bytes(st, col);
    return p ? std::string_view(static_cast<const char*>(p), static_cast<size_t>(n)) : std::string_view();
  }
  // Integer columns may hold TEXT (Android's message_id): parse it.
  static const char* u64(sqlite3_stmt* st, int col, std::optional<uint64_t>& out) {
    switch (sqlite3_column_type(st, col)) {
      case SQLITE_NULL: return nullptr;
      case SQLITE_INTEGER: {
        int64_t v = sqlite3_column_int64(st, col);
        if (v < 0) return "negative";
        out = static_cast<uint64_t>(v);
        return nullptr;
      }
      default: {
        std::string_view t = text(st, col);
        if (t.empty()) return nullptr;
        uint64_t v = 0;
        auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
        if (ec != std::errc() || p != t.data() + t.size()) return "not an unsigned integer";
        out = v;
        return nullptr;
      }
    }
  }

  const char* fill(sqlite3_stmt* st, RawFields& f) {
    f = RawFields{};
    auto col = [](Field x) { return 1 + static_cast<int>(x); };
    if (u64(st, col(Field::message_id), f.message_id)) return "message_id: not an unsigned integer";
    if (!f.message_id && u64(st, col(Field::message_idstr), f.message_id)) return "message_idstr: not an unsigned integer";
    if (u64(st, col(Field::message_seq), f.message_seq)) return "message_seq: not an unsigned integer";
    if (f.message_seq && *f.message_seq > 0xffffffffULL) return "message_seq exceeds 32 bits";
    if (sqlite3_column_type(st, col(Field::client_msg_no)) != SQLITE_NULL) f.client_msg_no = text(st, col(Field::client_msg_no));
    f.from_uid = text(st, col(Field::from_uid));
    f.channel_id = text(st, col(Field::channel_id));
    f.channel_type = sqlite3_column_int64(st, col(Field::channel_type));
    f.timestamp = sqlite3_column_int64(st, col(Field::timestamp));
    f.payload = text(st, col(Field::payload));
    if (sqlite3_column_type(st, col(Field::is_deleted)) != SQLITE_NULL)
      f.is_deleted = sqlite3_column_int64(st, col(Field::is_deleted)) != 0;
    return nullptr;
  }

  std::string name_, path_;
  bool temp_;
  const AuditOptions& opts_;
  Db db_;
  std::string table_, schema_;
  std::set<std::string> columns_;
  std::vector<std::string> column_order_;  // as the table declares them
  FieldMap map_;
};

}  // namespace

bool detect_sqlite(std::string_view head) { return head.substr(0, 16) == std::string_view("SQLite format 3\0", 16); }

Result<std::unique_ptr<RecordSource>> open_sqlite(std::unique_ptr<PeekableInput> in, const AuditOptions& o) {
  std::string path = in->name();
  bool temp = false;
  if (in->compression() != Compression::none || path == "<stdin>") {
    auto tmp = copy_to_temp_file(*in, temp_dir_of(o), "wkit-audit-db-");
    if (!tmp) return tmp.error();
    path = *tmp;
    temp = true;
  }
  auto src = std::make_unique<SqliteSource>(in->name(), path, temp, o);
  if (auto err = src->open()) return *err;
  return std::unique_ptr<RecordSource>(std::move(src));
}

}  // namespace wkit::audit
