// The findings of `wkit audit` (docs/audit.md "Findings") as one SQL query:
// each finding is a few CTEs over `m`, the table normalised as the audit
// reads records (record.hpp: message_id 0 or absent, client_msg_no empty or
// absent and message_seq 0 are "none"). Dialect differences: sql_dialect.hpp.
#include <map>
#include <sstream>

#include "sql_dialect.hpp"
#include "wkit/audit/sql.hpp"

namespace wkit::audit {

namespace {

using sqlgen::SqlDialect;
using Keys = std::vector<std::string>;

std::string join(const Keys& ks, const std::string& prefix = "", bool alias = false) {
  std::string s;
  for (auto& k : ks) {
    if (!s.empty()) s += ", ";
    s += prefix + k;
    if (alias) s += " AS " + k;
  }
  return s;
}
std::string on(const std::string& a, const std::string& b, const Keys& ks) {
  std::string s;
  for (auto& k : ks) s += (s.empty() ? "" : " AND ") + a + "." + k + " = " + b + "." + k;
  return s;
}

constexpr const char* kFields[] = {"message_id", "client_msg_no", "message_seq", "from_uid", "channel_id",
                                   "channel_type", "timestamp", "payload", "is_deleted"};

class Query {
 public:
  Query(const SqlOptions& o, const SqlDialect& d) : o_(o), d_(d) {}

  Result<std::string> text() {
    for (auto* f : kFields) column_[f] = f;
    for (auto& [field, column] : o_.maps) {
      bool known = false;
      for (auto* f : kFields) known |= field == f;
      if (!known)
        return Error{ErrorKind::usage, "--map " + field + "=" + column + ": " + field + " is not one of message_id, "
                     "client_msg_no, message_seq, from_uid, channel_id, channel_type, timestamp, payload, is_deleted",
                     std::nullopt};
      if (column.empty()) return Error{ErrorKind::usage, "--map " + field + "=: empty column name", std::nullopt};
      column_[field] = column;
    }
    std::ostringstream out;
    header(out);
    out << "WITH\n";
    normalised(out);
    duplicate_client_msg_no(out);
    by_message_id(out);
    seq_anomaly(out);
    regenerated(out);
    absorbed(out);
    missing(out);
    std::string items = items_union();
    // The last CTE ends with ",\n": the WITH list closes on the final SELECT.
    std::string s = out.str();
    s.erase(s.size() - 2);
    s += "\n";
    if (o_.summary) s += summary(items);
    else s += "SELECT * FROM (\n" + items + ") AS items\nORDER BY finding, channel_id, channel_type, from_uid, "
              "client_msg_no, message_seq, message_id, first_time, message_ids";
    return s + d_.statement_end();
  }

 private:
  std::string col(const std::string& field) { return d_.quote(column_[field]); }
  std::string text(const std::string& x) { return "CAST(" + x + " AS " + d_.text_type() + ")"; }
  std::string integer(const std::string& x) { return "CAST(" + x + " AS " + d_.int_type() + ")"; }
  std::string lit(const std::string& s) { return text("'" + s + "'"); }
  std::string null_text() { return "CAST(NULL AS " + d_.text_type() + ")"; }
  std::string null_int() { return "CAST(NULL AS " + d_.int_type() + ")"; }
  std::string window() { return std::to_string(o_.window_s); }
  // Ascending comma list of the message_ids a and b (either may be NULL).
  std::string pair_list(const std::string& a, const std::string& b) {
    return "CASE WHEN " + a + " IS NULL AND " + b + " IS NULL THEN '' WHEN " + a + " IS NULL THEN " + text(b) +
           " WHEN " + b + " IS NULL OR " + a + " = " + b + " THEN " + text(a) + " WHEN " + a + " < " + b + " THEN " +
           text(a) + " || ',' || " + text(b) + " ELSE " + text(b) + " || ',' || " + text(a) + " END";
  }
  Keys scope_keys() {
    switch (o_.scope) {
      case Scope::global: return {"cmn"};
      case Scope::channel: return {"chan", "ctype", "cmn"};
      default: return {"chan", "ctype", "uid", "cmn"};
    }
  }
  // CTE `name_ids`: the ascending message_id list of each item of `items`
  // (key columns `keys`), from the rows of `rows` (alias r) that `where` keeps.
  void id_list(std::ostream& out, const std::string& name, const std::string& items, const std::string& rows,
               const Keys& keys, const std::string& where = "") {
    out << name << "_mid AS (SELECT DISTINCT " << join(keys, "k.", true) << ", r.mid AS mid FROM " << rows
        << " r JOIN " << items << " k ON " << on("r", "k", keys) << " WHERE r.mid IS NOT NULL"
        << (where.empty() ? "" : " AND " + where) << "),\n";
    out << name << "_ids AS (" << d_.id_list(name + "_mid", join(keys)) << "),\n";
  }

  void header(std::ostream& out) {
    std::string table = o_.table;  // a comment ends at a line break
    for (char& c : table)
      if (c == '\n' || c == '\r') c = ' ';
    out << "-- wkit audit sql --dialect " << kSqlDialects[static_cast<int>(o_.dialect)] << " --table " << table
        << " --scope " << scope_name(o_.scope) << " --window " << o_.window_s << "s"
        << (o_.check_gaps ? " --check-gaps" : "") << (o_.has_is_deleted ? "" : " --no-is-deleted")
        << (o_.summary ? " --summary" : "") << "\n";
    out << "-- The findings of `wkit audit` over a table of the WuKongIM HTTP API message fields\n"
           "-- (docs/audit.md \"Findings\" and \"SQL for warehouses\").\n";
    if (o_.summary) out << "-- One row per finding: finding, count (as the report's \"summary\").\n";
    else
      out << "-- One row per finding item: finding, detail, channel_id, channel_type, from_uid, client_msg_no,\n"
             "--   message_id, message_seq, first_time, last_time, n, counts, message_ids\n"
             "--   (counts: what the item adds to the finding's count; message_ids: ascending, comma-separated).\n";
    out << "-- Where this differs from wkit audit (keys and counts are the same):\n"
           "-- * a table has no row order: absorbed_duplicate names as the original the live row with the lowest\n"
           "--   message_id (suffix rule: of the rows with the base client_msg_no; copy rule: of the rows equally near\n"
           "--   in time), wkit the first by location;\n"
           "-- * duplicate_client_msg_no first_time/last_time span every row; wkit takes each message_id's first row\n"
           "--   by location (they differ only when copies of one message_id carry different timestamps);\n"
           "-- * missing_client_msg_no lists every message_id of the channel's rows without client_msg_no\n"
           "--   (wkit lists 5 example rows);\n"
           "-- * strings are compared as strings, wkit compares 64-bit hashes (docs/audit.md: false merges\n"
           "--   below 10^-6 at 10 million distinct values).\n";
    out << d_.caveats();
  }

  // The table as the audit reads it: one row per message, NULL for "none".
  void normalised(std::ostream& out) {
    std::string table;
    std::stringstream parts(o_.table);
    for (std::string p; std::getline(parts, p, '.');) table += (table.empty() ? "" : ".") + d_.quote(p);
    out << "m AS (\n  SELECT\n"
        << "    NULLIF(CAST(" << col("message_id") << " AS " << d_.u64_type() << "), 0) AS mid,\n"
        << "    NULLIF(" << text(col("client_msg_no")) << ", '') AS cmn,\n"
        << "    NULLIF(" << integer(col("message_seq")) << ", 0) AS seq,\n"
        << "    COALESCE(" << text(col("from_uid")) << ", '') AS uid,\n"
        << "    COALESCE(" << text(col("channel_id")) << ", '') AS chan,\n"
        << "    COALESCE(" << integer(col("channel_type")) << ", 0) AS ctype,\n"
        << "    COALESCE(" << integer(col("timestamp")) << ", 0) AS ts,\n"
        << "    COALESCE(" << text(col("payload")) << ", '') AS payload,\n";
    if (o_.has_is_deleted)
      out << "    CASE WHEN COALESCE(" << integer(col("is_deleted")) << ", 0) <> 0 THEN 1 ELSE 0 END AS del\n";
    else
      out << "    0 AS del\n";
    out << "  FROM " << table << "\n),\n";
  }

  // Within the scope, one client_msg_no, more than one message_id.
  void duplicate_client_msg_no(std::ostream& out) {
    const Keys k = scope_keys();
    out << "-- duplicate_client_msg_no: scope " << scope_name(o_.scope) << "\n"
        << "dup AS (SELECT " << join(k) << ", COUNT(DISTINCT mid) AS n, MIN(ts) AS first_time, MAX(ts) AS last_time "
        << "FROM m WHERE cmn IS NOT NULL AND mid IS NOT NULL GROUP BY " << join(k)
        << " HAVING COUNT(DISTINCT mid) > 1),\n";
    id_list(out, "dup", "dup", "m", k, "r.cmn IS NOT NULL");
  }

  // One message_id on several rows: a collision when (channel, client_msg_no)
  // differ, else a duplicate_row (identical when every field read matches).
  void by_message_id(std::ostream& out) {
    out << "-- message_id_collision, duplicate_row\n"
        << "mids AS (SELECT mid, COUNT(*) AS copies, CASE WHEN MIN(uid) = MAX(uid) AND MIN(payload) = MAX(payload) "
           "AND MIN(ts) = MAX(ts) AND MIN(COALESCE(seq, 0)) = MAX(COALESCE(seq, 0)) AND MIN(del) = MAX(del) "
           "THEN 1 ELSE 0 END AS same FROM m WHERE mid IS NOT NULL GROUP BY mid HAVING COUNT(*) > 1),\n"
        << "mid_variants AS (SELECT mid, COUNT(*) AS variants FROM (SELECT DISTINCT r.mid AS mid, r.chan AS chan, "
           "r.ctype AS ctype, COALESCE(r.cmn, '') AS c FROM m r JOIN mids k ON r.mid = k.mid) AS v GROUP BY mid),\n"
        << "mid_items AS (SELECT k.mid AS mid, k.copies AS copies, k.same AS same, v.variants AS variants "
           "FROM mids k JOIN mid_variants v ON k.mid = v.mid),\n";
  }

  // Per channel: one message_seq with several message_ids; with --check-gaps,
  // consecutive present seqs a < b with b > a + 1.
  void seq_anomaly(std::ostream& out) {
    const Keys k = {"chan", "ctype", "seq"};
    out << "-- seq_anomaly\n"
        << "seq_conflicts AS (SELECT chan, ctype, seq, COUNT(DISTINCT mid) AS n FROM m WHERE seq IS NOT NULL "
           "GROUP BY chan, ctype, seq HAVING COUNT(DISTINCT mid) > 1),\n";
    id_list(out, "seq_conflicts", "seq_conflicts", "m", k);
    if (!o_.check_gaps) return;
    // A gap names the first row of each seq in wkit's channel order (lowest
    // message_id, a row without one first: 0).
    const std::string prev = " OVER (PARTITION BY chan, ctype ORDER BY seq ROWS BETWEEN 1 PRECEDING AND 1 PRECEDING)";
    out << "seqs AS (SELECT chan, ctype, seq, MIN(COALESCE(mid, 0)) AS first_mid FROM m WHERE seq IS NOT NULL "
           "GROUP BY chan, ctype, seq),\n"
        << "seq_gaps AS (SELECT chan, ctype, seq, first_mid, MAX(seq)" << prev << " AS prev_seq, MAX(first_mid)" << prev
        << " AS prev_mid, COUNT(*)" << prev << " AS has_prev FROM seqs),\n";
  }

  // Same channel, sender and payload, live rows with a client_msg_no chained
  // in time order (each within the window of the previous), more than one
  // client_msg_no and more than one message_id (a row without one counts as 0).
  void regenerated(std::ostream& out) {
    const Keys k = {"chan", "ctype", "uid", "payload", "chain"};
    // The order is total up to rows that agree in every column used, so both
    // windows see the same chains.
    const std::string order = "PARTITION BY chan, ctype, uid, payload ORDER BY ts, COALESCE(mid, 0), cmn";
    out << "-- suspected_regenerated_client_msg_no: window " << o_.window_s << "s\n"
        << "live AS (SELECT chan, ctype, uid, payload, ts, cmn, mid FROM m WHERE del = 0 AND cmn IS NOT NULL),\n"
        << "live_prev AS (SELECT chan, ctype, uid, payload, ts, cmn, mid, MAX(ts) OVER (" << order
        << " ROWS BETWEEN 1 PRECEDING AND 1 PRECEDING) AS prev_ts, COUNT(*) OVER (" << order
        << " ROWS BETWEEN 1 PRECEDING AND 1 PRECEDING) AS has_prev FROM live),\n"
        << "chains AS (SELECT chan, ctype, uid, payload, ts, cmn, mid, SUM(CASE WHEN has_prev = 0 OR ts - prev_ts > "
        << window() << " THEN 1 ELSE 0 END) OVER (" << order
        << " ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS chain FROM live_prev),\n"
        << "regen AS (SELECT chan, ctype, uid, payload, chain, COUNT(DISTINCT cmn) AS n, MIN(ts) AS first_time, "
           "MAX(ts) AS last_time FROM chains GROUP BY chan, ctype, uid, payload, chain "
           "HAVING COUNT(DISTINCT cmn) > 1 AND COUNT(DISTINCT COALESCE(mid, 0)) > 1),\n";
    id_list(out, "regen", "regen", "chains", k);
  }

  // Deleted rows the SDK stored as duplicates: suffix rule (`<no>-<digits>`
  // beside a live `<no>` in the channel), else copy rule (a live row of the
  // same sender and payload within the window, other client_msg_no and
  // message_id; the nearest).
  void absorbed(std::ostream& out) {
    const std::string stem = "s.stem";
    out << "-- absorbed_duplicate: window " << o_.window_s << "s\n"
        << "bases AS (SELECT chan, ctype, cmn, MIN(COALESCE(mid, 0)) AS orig_mid, 1 AS hit FROM m "
           "WHERE del = 0 AND cmn IS NOT NULL GROUP BY chan, ctype, cmn),\n"
        << "deleted AS (SELECT s.chan AS chan, s.ctype AS ctype, s.uid AS uid, s.payload AS payload, s.ts AS ts, "
           "s.cmn AS cmn, s.mid AS mid, CASE WHEN length(" << stem << ") >= 2 AND length(" << stem
        << ") < length(s.cmn) AND substr(" << stem << ", length(" << stem << "), 1) = '-' THEN substr(" << stem
        << ", 1, length(" << stem << ") - 1) END AS base FROM (SELECT chan, ctype, uid, payload, ts, cmn, mid, "
        << d_.strip_digits("cmn") << " AS stem FROM m WHERE del = 1) AS s),\n"
        << "suffixed AS (SELECT d.chan AS chan, d.ctype AS ctype, d.uid AS uid, d.payload AS payload, d.ts AS ts, "
           "d.cmn AS cmn, d.mid AS mid, b.orig_mid AS orig_mid, COALESCE(b.hit, 0) AS hit FROM deleted d "
           "LEFT JOIN bases b ON b.chan = d.chan AND b.ctype = d.ctype AND b.cmn = d.base),\n"
        << "copy_candidates AS (SELECT chan, ctype, uid, payload, ts, cmn, mid, " << d_.row_id()
        << " AS rid FROM suffixed WHERE hit = 0),\n"
        << "copies AS (SELECT d.chan AS chan, d.ctype AS ctype, d.uid AS uid, d.cmn AS cmn, d.mid AS mid, "
           "o.mid AS orig_mid, ROW_NUMBER() OVER (PARTITION BY d.rid ORDER BY abs(o.ts - d.ts), COALESCE(o.mid, 0), "
           "COALESCE(o.cmn, '')) AS pick FROM copy_candidates d JOIN m o ON o.chan = d.chan AND o.ctype = d.ctype "
           "AND o.uid = d.uid AND o.payload = d.payload WHERE o.del = 0 AND abs(o.ts - d.ts) <= "
        << window()
        << " AND COALESCE(o.cmn, '') <> COALESCE(d.cmn, '') AND (o.mid IS NULL OR d.mid IS NULL OR o.mid <> d.mid)),\n";
  }

  void missing(std::ostream& out) {
    out << "-- missing_client_msg_no\n"
        << "missing AS (SELECT chan, ctype, COUNT(*) AS n FROM m WHERE cmn IS NULL GROUP BY chan, ctype),\n";
    id_list(out, "missing", "missing", "m", {"chan", "ctype"}, "r.cmn IS NULL");
  }

  struct Item {
    std::string finding, detail, chan, ctype, uid, cmn, mid, seq, first, last, n, counts, ids, from;
  };
  std::string select(const Item& i) {
    auto t = [&](const std::string& x) { return x.empty() ? null_text() : text(x); };
    auto n = [&](const std::string& x) { return x.empty() ? null_int() : integer(x); };
    return "SELECT " + lit(i.finding) + " AS finding, " + (i.detail.empty() ? lit("") : i.detail) + " AS detail, " +
           t(i.chan) + " AS channel_id, " + n(i.ctype) + " AS channel_type, " + t(i.uid) + " AS from_uid, " +
           t(i.cmn) + " AS client_msg_no, " + t(i.mid) + " AS message_id, " + n(i.seq) + " AS message_seq, " +
           n(i.first) + " AS first_time, " + n(i.last) + " AS last_time, " + n(i.n) + " AS n, " + n(i.counts) +
           " AS counts, " + text(i.ids) + " AS message_ids\n  FROM " + i.from + "\n";
  }
  std::string items_union() {
    const bool global = o_.scope == Scope::global, sender = o_.scope == Scope::sender;
    Keys dk = scope_keys();
    std::vector<std::string> parts;
    parts.push_back(select({"duplicate_client_msg_no", "", global ? "" : "i.chan", global ? "" : "i.ctype",
                            sender ? "i.uid" : "", "i.cmn", "", "", "i.first_time", "i.last_time", "i.n", "1",
                            "COALESCE(l.ids, '')", "dup i LEFT JOIN dup_ids l ON " + on("i", "l", dk)}));
    parts.push_back(select({"message_id_collision", "", "", "", "", "", "i.mid", "", "", "", "i.variants", "1",
                            "i.mid", "mid_items i WHERE i.variants > 1"}));
    parts.push_back(select({"duplicate_row", "CASE WHEN i.same = 1 THEN " + lit("identical") + " ELSE " +
                            lit("different") + " END", "", "", "", "", "i.mid", "", "", "", "i.copies", "1", "i.mid",
                            "mid_items i WHERE i.variants = 1"}));
    parts.push_back(select({"seq_anomaly", lit("conflict"), "i.chan", "i.ctype", "", "", "", "i.seq", "", "", "i.n",
                            "1", "COALESCE(l.ids, '')",
                            "seq_conflicts i LEFT JOIN seq_conflicts_ids l ON " + on("i", "l", {"chan", "ctype", "seq"})}));
    if (o_.check_gaps)
      parts.push_back(select({"seq_anomaly", lit("gap"), "i.chan", "i.ctype", "", "", "", "i.prev_seq", "", "",
                              "i.seq - i.prev_seq - 1", "1", pair_list("NULLIF(i.prev_mid, 0)", "NULLIF(i.first_mid, 0)"),
                              "seq_gaps i WHERE i.has_prev = 1 AND i.seq > i.prev_seq + 1"}));
    parts.push_back(select({"suspected_regenerated_client_msg_no", "", "i.chan", "i.ctype", "i.uid", "", "", "",
                            "i.first_time", "i.last_time", "i.n", "1", "COALESCE(l.ids, '')",
                            "regen i LEFT JOIN regen_ids l ON " + on("i", "l", {"chan", "ctype", "uid", "payload", "chain"})}));
    parts.push_back(select({"absorbed_duplicate", lit("suffix"), "i.chan", "i.ctype", "i.uid", "i.cmn", "i.mid", "", "",
                            "", "1", "1", pair_list("i.mid", "NULLIF(i.orig_mid, 0)"), "suffixed i WHERE i.hit = 1"}));
    parts.push_back(select({"absorbed_duplicate", lit("copy"), "i.chan", "i.ctype", "i.uid", "i.cmn", "i.mid", "", "",
                            "", "1", "1", pair_list("i.mid", "i.orig_mid"), "copies i WHERE i.pick = 1"}));
    parts.push_back(select({"missing_client_msg_no", "", "i.chan", "i.ctype", "", "", "", "", "", "", "i.n", "i.n",
                            "COALESCE(l.ids, '')",
                            "missing i LEFT JOIN missing_ids l ON " + on("i", "l", {"chan", "ctype"})}));
    std::string s;
    for (auto& p : parts) s += (s.empty() ? "" : "UNION ALL\n") + p;
    return s;
  }

  std::string summary(const std::string& items) {
    std::string names;
    for (size_t k = 0; k < std::size(kFindingNames); ++k)
      names += std::string(k ? " UNION ALL " : "") + "SELECT " + std::to_string(k + 1) + " AS ord, " +
               lit(kFindingNames[k]) + " AS finding";
    return "SELECT f.finding AS finding, COALESCE(SUM(i.counts), 0) AS " + d_.quote("count") + "\nFROM (" + names +
           ") AS f\nLEFT JOIN (\n" + items + ") AS i ON i.finding = f.finding\nGROUP BY f.ord, f.finding\nORDER BY f.ord";
  }

  const SqlOptions& o_;
  const SqlDialect& d_;
  std::map<std::string, std::string> column_;
};

}  // namespace

Result<std::string> audit_sql(const SqlOptions& o) {
  auto dialect = sqlgen::make_dialect(o.dialect);
  return Query(o, *dialect).text();
}

}  // namespace wkit::audit
