#include "store_file_check.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <vector>

#include "sqlite_util.hpp"

namespace wkit::store {

namespace {

Error refused(const std::string& path, const std::string& found) {
  return Error::input("store '" + path + "' is not a wkit store: " + found +
                      "; left untouched (point --data at another directory)");
}

// The first bytes of a file, printable, for saying what it is.
std::string head_of(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  char buf[16] = {};
  in.read(buf, sizeof buf);
  std::string out;
  for (std::streamsize i = 0; i < in.gcount(); ++i) {
    auto c = static_cast<unsigned char>(buf[i]);
    if (c >= 0x20 && c < 0x7f && c != '"') {
      out += static_cast<char>(c);
    } else {
      char hex[5];
      std::snprintf(hex, sizeof hex, "\\x%02x", c);
      out += hex;
    }
  }
  return out;
}

}  // namespace

Status check_store_file(const std::string& path) {
  std::error_code ec;
  auto size = std::filesystem::file_size(path, ec);
  if (ec || size == 0) return std::nullopt;  // a new store (or an error the open will name)

  // Read-only: nothing here may change the file (no WAL switch, no
  // checkpoint, no recovery written back).
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nullptr);
  struct Close {
    sqlite3* db;
    ~Close() { sqlite3_close(db); }
  } close{db};
  if (rc != SQLITE_OK)
    return sqlite::env_error("cannot open store '" + path + "': " + (db ? sqlite3_errmsg(db) : "out of memory"));

  std::vector<std::string> tables;
  sqlite3_stmt* st = nullptr;
  rc = sqlite3_prepare_v2(db, "SELECT name FROM sqlite_master WHERE type='table' ORDER BY name", -1, &st, nullptr);
  if (rc == SQLITE_OK) {
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
      tables.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)));
    if (rc == SQLITE_DONE) rc = SQLITE_OK;
  }
  if (rc != SQLITE_OK) {
    std::string msg = sqlite3_errmsg(db);
    sqlite3_finalize(st);
    if (rc == SQLITE_NOTADB)
      return refused(path, "not an SQLite database (" + std::to_string(size) + " bytes starting \"" + head_of(path) +
                               "\")");
    return sqlite::env_error("cannot read store '" + path + "': " + msg);
  }
  sqlite3_finalize(st);
  if (tables.empty()) return std::nullopt;

  auto has = [&](std::string_view t) { return std::find(tables.begin(), tables.end(), t) != tables.end(); };
  if (has("wkit_meta")) {
    sqlite3_prepare_v2(db, "SELECT value FROM wkit_meta WHERE key='format'", -1, &st, nullptr);
    bool ours = st && sqlite3_step(st) == SQLITE_ROW &&
                sqlite::column_view(st, 0) == std::string_view("wkit-serve-store");
    sqlite3_finalize(st);
    if (ours) return std::nullopt;
  }
  // A first start that ended before its stamp: wkit_meta exists, every table
  // is one of wkit's and empty, and `message` (if there) has wkit's columns.
  static constexpr std::string_view kOwn[] = {"wkit_meta", "message", "pending_delivery", "message_idempotency", "wkit_group"};
  bool only_own_and_empty = has("wkit_meta");
  if (only_own_and_empty && has("message")) {
    only_own_and_empty = sqlite3_prepare_v2(db,
                                            "SELECT channel_id, channel_type, message_seq, message_id, from_uid, "
                                            "payload_hash, payload, server_timestamp_ms FROM message LIMIT 0",
                                            -1, &st, nullptr) == SQLITE_OK;
    sqlite3_finalize(st);
  }
  for (const auto& t : tables) {
    if (!only_own_and_empty) break;
    if (std::find(std::begin(kOwn), std::end(kOwn), t) == std::end(kOwn)) {
      only_own_and_empty = false;
      break;
    }
    auto rows = sqlite::query_int64(db, ("SELECT COUNT(*) FROM (SELECT 1 FROM \"" + t + "\" LIMIT 1)").c_str());
    if (!rows || *rows != 0) {
      only_own_and_empty = false;
      break;
    }
  }
  if (only_own_and_empty) return std::nullopt;

  std::string list;
  for (size_t i = 0; i < tables.size() && i < 8; ++i) list += (i ? ", " : "") + tables[i];
  if (tables.size() > 8) list += ", ... (" + std::to_string(tables.size()) + " tables)";
  return refused(path, "an SQLite database with table(s) " + list + " and no wkit_meta format 'wkit-serve-store'");
}

}  // namespace wkit::store
