#pragma once
// What differs between the SQL dialects of `wkit audit sql`: quoting, the
// types of the casts (64-bit unsigned message_id), stripping trailing digits
// (the iOS suffix rule), the ordered message_id list of an item (string
// aggregation) and a row identity. Everything else is one text for all.
#include <memory>
#include <string>
#include <string_view>

#include "wkit/audit/sql.hpp"

namespace wkit::audit::sqlgen {

class SqlDialect {
 public:
  virtual ~SqlDialect() = default;
  virtual std::string quote(std::string_view ident) const;
  virtual std::string text_type() const = 0;  // what CAST(x AS ...) turns into text
  virtual std::string int_type() const = 0;   // signed 64-bit
  virtual std::string u64_type() const = 0;   // message_id
  // `x` without its trailing ASCII digits.
  virtual std::string strip_digits(const std::string& x) const { return "rtrim(" + x + ", '0123456789')"; }
  // SELECT keys, <ascending comma list of mid> AS ids FROM src GROUP BY keys;
  // src has the columns keys and mid (distinct pairs, mid not NULL).
  virtual std::string id_list(const std::string& src, const std::string& keys) const = 0;
  // A number unique to each row of one evaluation of the FROM.
  virtual std::string row_id() const { return "ROW_NUMBER() OVER ()"; }
  // Comment lines on what this dialect cannot express as wkit does (may be empty).
  virtual std::string caveats() const { return ""; }
  virtual std::string statement_end() const { return ";\n"; }
};

std::unique_ptr<SqlDialect> make_dialect(SqlDialectName d);

}  // namespace wkit::audit::sqlgen
