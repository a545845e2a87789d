#pragma once
// `wkit audit sql`: SQL that computes the findings of `wkit audit` over a
// warehouse table of the HTTP API message fields (docs/audit.md "SQL for
// warehouses"). One description of the seven findings (sql_query.cpp), the
// dialect differences behind SqlDialect (sql_dialect.hpp).
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "wkit/audit/options.hpp"
#include "wkit/util/error.hpp"

namespace wkit::audit {

enum class SqlDialectName { duckdb, clickhouse, postgres, sqlite, spark };
inline constexpr const char* kSqlDialects[] = {"duckdb", "clickhouse", "postgres", "sqlite", "spark"};
bool sql_dialect_from_name(std::string_view name, SqlDialectName& out);

struct SqlOptions {
  SqlDialectName dialect = SqlDialectName::duckdb;
  std::string table = "message";  // may be qualified: db.schema.table (each part quoted)
  Scope scope = Scope::sender;
  int64_t window_s = 30;
  bool check_gaps = false;
  bool has_is_deleted = true;     // false: the table has no is_deleted column (every row is live)
  bool summary = false;           // one row per finding (finding, count) instead of the items
  std::vector<std::pair<std::string, std::string>> maps;  // FIELD -> column
};

// The query's result columns, in order (docs/audit.md "SQL for warehouses").
inline constexpr const char* kSqlItemColumns[] = {
    "finding", "detail", "channel_id", "channel_type", "from_uid", "client_msg_no", "message_id",
    "message_seq", "first_time", "last_time", "n", "counts", "message_ids"};

// The SQL text (one statement, ending in ";\n"), or a usage error (a bad --map).
Result<std::string> audit_sql(const SqlOptions& o);

}  // namespace wkit::audit
