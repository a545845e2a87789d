#include "sql_dialect.hpp"

namespace wkit::audit {

bool sql_dialect_from_name(std::string_view name, SqlDialectName& out) {
  for (size_t i = 0; i < std::size(kSqlDialects); ++i)
    if (name == kSqlDialects[i]) {
      out = static_cast<SqlDialectName>(i);
      return true;
    }
  return false;
}

namespace sqlgen {

std::string SqlDialect::quote(std::string_view ident) const {
  std::string q = "\"";
  for (char c : ident) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

namespace {

// string_agg(... ORDER BY ...): DuckDB and PostgreSQL.
std::string string_agg_list(const std::string& src, const std::string& keys, const std::string& text_type) {
  return "SELECT " + keys + ", string_agg(CAST(mid AS " + text_type + "), ',' ORDER BY mid) AS ids FROM " + src +
         " GROUP BY " + keys;
}

class DuckDb : public SqlDialect {
  std::string text_type() const override { return "VARCHAR"; }
  std::string int_type() const override { return "BIGINT"; }
  std::string u64_type() const override { return "UBIGINT"; }
  std::string id_list(const std::string& src, const std::string& keys) const override {
    return string_agg_list(src, keys, text_type());
  }
};

class Postgres : public SqlDialect {
  std::string text_type() const override { return "TEXT"; }
  std::string int_type() const override { return "BIGINT"; }
  std::string u64_type() const override { return "NUMERIC(20, 0)"; }
  std::string id_list(const std::string& src, const std::string& keys) const override {
    return string_agg_list(src, keys, text_type());
  }
  std::string caveats() const override {
    return "-- postgres: PostgreSQL has no unsigned 64-bit integer; message_id is compared as NUMERIC(20, 0)\n"
           "--   (exact for every value up to 2^64 - 1, as wkit reads it).\n";
  }
};

class Sqlite : public SqlDialect {
  std::string text_type() const override { return "TEXT"; }
  std::string int_type() const override { return "INTEGER"; }
  std::string u64_type() const override { return "INTEGER"; }
  // group_concat() has no ORDER BY before SQLite 3.44; as a window function
  // it concatenates in the window's order, which is defined.
  std::string id_list(const std::string& src, const std::string& keys) const override {
    return "SELECT " + keys + ", MAX(ids) AS ids FROM (SELECT " + keys + ", group_concat(CAST(mid AS TEXT), ',') OVER (" +
           "PARTITION BY " + keys + " ORDER BY mid ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS ids FROM " +
           src + ") AS l GROUP BY " + keys;
  }
  std::string caveats() const override {
    return "-- sqlite: INTEGER is signed 64-bit: a message_id of 2^63 or more does not fit (SQLite turns it into a\n"
           "--   REAL), where wkit reads up to 2^64 - 1. WuKongIM's Snowflake ids stay below 2^63.\n";
  }
};

class ClickHouse : public SqlDialect {
  // Nullable: the normalised table has NULL for an absent message_id,
  // client_msg_no and message_seq, and the items have NULL columns.
  std::string text_type() const override { return "Nullable(String)"; }
  std::string int_type() const override { return "Nullable(Int64)"; }
  std::string u64_type() const override { return "Nullable(UInt64)"; }
  std::string strip_digits(const std::string& x) const override { return "trim(TRAILING '0123456789' FROM " + x + ")"; }
  std::string id_list(const std::string& src, const std::string& keys) const override {
    return "SELECT " + keys + ", arrayStringConcat(arrayMap(x -> toString(x), arraySort(groupArray(mid))), ',') AS ids FROM " +
           src + " GROUP BY " + keys;
  }
  std::string caveats() const override {
    return "-- clickhouse: length() and substring() count bytes; wkit's suffix rule works on bytes too.\n";
  }
};

class Spark : public SqlDialect {
  std::string quote(std::string_view ident) const override {
    std::string q = "`";
    for (char c : ident) q += c == '`' ? std::string("``") : std::string(1, c);
    return q + "`";
  }
  std::string text_type() const override { return "STRING"; }
  std::string int_type() const override { return "BIGINT"; }
  std::string u64_type() const override { return "DECIMAL(20, 0)"; }
  std::string strip_digits(const std::string& x) const override { return "trim(TRAILING '0123456789' FROM " + x + ")"; }
  std::string id_list(const std::string& src, const std::string& keys) const override {
    return "SELECT " + keys + ", array_join(transform(array_sort(collect_list(mid)), x -> CAST(x AS STRING)), ',') AS ids FROM " +
           src + " GROUP BY " + keys;
  }
  // ROW_NUMBER() needs an ORDER BY in Spark and would gather every row in one task.
  std::string row_id() const override { return "monotonically_increasing_id()"; }
  std::string caveats() const override {
    return "-- spark: message_id is compared as DECIMAL(20, 0) (Spark has no unsigned 64-bit integer).\n";
  }
};

}  // namespace

std::unique_ptr<SqlDialect> make_dialect(SqlDialectName d) {
  switch (d) {
    case SqlDialectName::clickhouse: return std::make_unique<ClickHouse>();
    case SqlDialectName::postgres: return std::make_unique<Postgres>();
    case SqlDialectName::sqlite: return std::make_unique<Sqlite>();
    case SqlDialectName::spark: return std::make_unique<Spark>();
    default: return std::make_unique<DuckDb>();
  }
}

}  // namespace sqlgen
}  // namespace wkit::audit
