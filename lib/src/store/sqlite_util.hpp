#pragma once
// Small SQLite helpers shared by the store's SQLite code (sqlite_store.cpp,
// idempotency_index.cpp).
#include <sqlite3.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "wkit/util/error.hpp"

namespace wkit::store::sqlite {

inline Error env_error(std::string msg) { return Error{ErrorKind::internal, std::move(msg), std::nullopt}; }

// Runs `sql` (any number of statements); the error carries SQLite's message.
inline Status exec(sqlite3* db, const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &err) == SQLITE_OK) return std::nullopt;
  std::string msg = err ? err : sqlite3_errmsg(db);
  sqlite3_free(err);
  return env_error(std::move(msg));
}

// The one integer a one-row query returns (write it so it always has a row:
// COUNT, COALESCE).
inline Result<int64_t> query_int64(sqlite3* db, const char* sql) {
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(db, sql, -1, &st, nullptr);
  const int rc = sqlite3_step(st);
  const int64_t v = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
  sqlite3_finalize(st);
  if (rc != SQLITE_ROW) return env_error(std::string("store: ") + sqlite3_errmsg(db));
  return v;
}

// Binds without copying: `v` must outlive the statement's next step.
inline void bind_text(sqlite3_stmt* s, int i, std::string_view v) {
  sqlite3_bind_text(s, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
}

// Valid until the statement steps again.
inline std::string_view column_view(sqlite3_stmt* s, int i) {
  auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s, i));
  return p ? std::string_view(p, static_cast<size_t>(sqlite3_column_bytes(s, i))) : std::string_view();
}

}  // namespace wkit::store::sqlite
