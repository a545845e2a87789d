// `wkit audit sql` (wkit/audit/sql.hpp): the SQLite dialect, run in process,
// must give the same findings (items, keys, counts, message_ids) as the
// analyzer on the same rows: generated stores with every planted anomaly, in
// the text and the SQLite client/server schemas, and hand-built edge cases.
#include <sqlite3.h>

#include <sstream>

#include "../../tools/audit_sql_compare.hpp"
#include "audit_test_util.hpp"
#include "wkit/audit/sql.hpp"

namespace wkit::audit {
namespace {

using namespace test;
using nlohmann::json;
using sqltest::Row;

// Runs one statement; the rows as text (NULL -> nullopt).
std::vector<Row> query(sqlite3* db, const std::string& sql) {
  sqlite3_stmt* st = nullptr;
  const char* tail = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &st, &tail), SQLITE_OK) << sqlite3_errmsg(db) << "\n" << sql;
  std::vector<Row> rows;
  if (!st) return rows;
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    Row r;
    for (int c = 0; c < sqlite3_column_count(st); ++c) {
      const unsigned char* v = sqlite3_column_text(st, c);
      r[sqlite3_column_name(st, c)] = v ? std::optional<std::string>(reinterpret_cast<const char*>(v)) : std::nullopt;
    }
    rows.push_back(std::move(r));
  }
  EXPECT_EQ(rc, SQLITE_DONE) << sqlite3_errmsg(db);
  sqlite3_finalize(st);
  std::string rest = tail ? tail : "";
  EXPECT_EQ(rest.find_first_not_of(" \n;"), std::string::npos) << "more than one statement: " << rest;
  return rows;
}

struct Db {
  sqlite3* db = nullptr;
  explicit Db(const std::string& path) { EXPECT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK); }
  ~Db() { sqlite3_close(db); }
};

// A JSON-lines file as the table `message` of a new SQLite database.
void load_jsonl(const std::string& jsonl, const std::string& db_path) {
  Db d(db_path);
  ASSERT_EQ(sqlite3_exec(d.db,
                         "CREATE TABLE message (message_id INTEGER, client_msg_no TEXT, message_seq INTEGER, from_uid "
                         "TEXT, channel_id TEXT, channel_type INTEGER, timestamp INTEGER, payload TEXT, is_deleted "
                         "INTEGER); BEGIN",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_stmt* ins = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(d.db, "INSERT INTO message VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)", -1, &ins, nullptr),
            SQLITE_OK);
  std::ifstream in(jsonl);
  for (std::string l; std::getline(in, l);) {
    if (l.empty()) continue;
    json j = json::parse(l);
    sqlite3_reset(ins);
    sqlite3_clear_bindings(ins);
    const char* cols[] = {"message_id", "client_msg_no", "message_seq", "from_uid", "channel_id",
                          "channel_type", "timestamp", "payload", "is_deleted"};
    for (int c = 0; c < 9; ++c) {
      if (!j.contains(cols[c]) || j[cols[c]].is_null()) continue;
      const json& v = j[cols[c]];
      if (v.is_number_unsigned()) sqlite3_bind_int64(ins, c + 1, static_cast<int64_t>(v.get<uint64_t>()));
      else if (v.is_number_integer()) sqlite3_bind_int64(ins, c + 1, v.get<int64_t>());
      else sqlite3_bind_text(ins, c + 1, v.get<std::string>().c_str(), -1, SQLITE_TRANSIENT);
    }
    ASSERT_EQ(sqlite3_step(ins), SQLITE_DONE);
  }
  sqlite3_finalize(ins);
  ASSERT_EQ(sqlite3_exec(d.db, "COMMIT", nullptr, nullptr, nullptr), SQLITE_OK);
}

json analyzer_report(const std::string& input, const SqlOptions& s) {
  AuditOptions o;
  o.inputs = {input};
  o.scope = s.scope;
  o.window_s = s.window_s;
  o.check_gaps = s.check_gaps;
  o.maps = s.maps;
  o.fail_on = {};
  o.threads = 2;
  return audit_ok(o);
}

// The analyzer's report on `input` and the SQL on `db` must list the same items.
void expect_same(const std::string& input, const std::string& db_path, SqlOptions s) {
  s.dialect = SqlDialectName::sqlite;
  const json report = analyzer_report(input, s);
  ASSERT_EQ(report["malformed"]["count"], 0);
  auto sql = audit_sql(s);
  ASSERT_TRUE(sql) << sql.error().message;
  Db d(db_path);
  std::map<std::string, std::set<uint64_t>> rep_missing, sql_missing;
  const auto want = sqltest::from_report(report, &rep_missing);
  const auto got = sqltest::from_sql(query(d.db, *sql), &sql_missing);
  EXPECT_EQ(want, got) << "scope " << scope_name(s.scope) << ", window " << s.window_s << "s:\n"
                       << sqltest::difference(want, got);
  EXPECT_EQ(sqltest::missing_ids_outside(rep_missing, sql_missing), "");

  s.summary = true;
  auto sum = audit_sql(s);
  ASSERT_TRUE(sum);
  const auto rows = query(d.db, *sum);
  ASSERT_EQ(rows.size(), std::size(kFindingNames));
  for (size_t k = 0; k < rows.size(); ++k) {
    EXPECT_EQ(rows[k].at("finding"), kFindingNames[k]);
    EXPECT_EQ(rows[k].at("count"), std::to_string(report["summary"][kFindingNames[k]].get<uint64_t>()))
        << kFindingNames[k];
  }
}

gen::Plan small_plan() {
  gen::Plan p;
  p.rows = 3000;
  p.channels = 30;
  p.malformed = 0;
  return p;
}

TEST(AuditSql, GeneratedJsonLinesEveryScopeAndGaps) {
  TempDir dir;
  const auto path = dir.file("export.jsonl"), db = dir.file("export.db");
  const auto truth = gen::generate(small_plan(), gen::Format::jsonl, path);
  load_jsonl(path, db);
  // Every finding kind is planted, so every kind takes part in the comparison.
  ASSERT_GT(truth.duplicate_client_msg_no * truth.message_id_collision * truth.duplicate_row * truth.seq_conflict *
                truth.gaps * truth.suspected_regenerated * truth.absorbed_duplicate * truth.missing_client_msg_no,
            0u);
  for (Scope scope : {Scope::sender, Scope::channel, Scope::global}) {
    SqlOptions s;
    s.scope = scope;
    s.check_gaps = true;
    expect_same(path, db, s);
  }
  SqlOptions narrow;  // the regenerated plants are 3 s apart, the copies 4 s: none within 2 s
  narrow.window_s = 2;
  expect_same(path, db, narrow);
  const json r = analyzer_report(path, narrow);
  EXPECT_EQ(r["summary"]["suspected_regenerated_client_msg_no"], 0);
}

// The generator's SQLite stores, queried as they are (their own column names).
TEST(AuditSql, GeneratedSqliteSchemas) {
  TempDir dir;
  struct Case {
    gen::Format format;
    std::vector<std::pair<std::string, std::string>> maps;
    bool is_deleted;
  };
  for (const Case& c : {Case{gen::Format::sqlite_android, {{"payload", "content"}}, true},
                        Case{gen::Format::sqlite_ios, {{"payload", "content"}}, true},
                        Case{gen::Format::sqlite_server, {}, false}, Case{gen::Format::sqlite_wkit, {}, false}}) {
    SCOPED_TRACE(gen::format_name(c.format));
    const auto path = dir.file(std::string(gen::format_name(c.format)) + ".db");
    gen::generate(small_plan(), c.format, path);
    SqlOptions s;
    s.maps = c.maps;
    s.has_is_deleted = c.is_deleted;
    s.check_gaps = true;
    // The analyzer reads payload from content by itself: no --map for it.
    SqlOptions for_report = s;
    for_report.maps.clear();
    const json report = analyzer_report(path, for_report);
    auto sql = audit_sql([&] { auto x = s; x.dialect = SqlDialectName::sqlite; return x; }());
    ASSERT_TRUE(sql);
    Db d(path);
    std::map<std::string, std::set<uint64_t>> rep_missing, sql_missing;
    const auto want = sqltest::from_report(report, &rep_missing);
    const auto got = sqltest::from_sql(query(d.db, *sql), &sql_missing);
    EXPECT_FALSE(want.empty());
    EXPECT_EQ(want, got) << sqltest::difference(want, got);
    EXPECT_EQ(sqltest::missing_ids_outside(rep_missing, sql_missing), "");
  }
}

// Rows at the edges of each definition (docs/audit.md "Findings").
TEST(AuditSql, HandBuiltEdges) {
  TempDir dir;
  const auto path = dir.file("edges.jsonl"), db = dir.file("edges.db");
  std::ostringstream j;
  auto row = [&](std::string fields) { j << "{" << fields << "}\n"; };
  // duplicate_client_msg_no: a row without message_id and one with 0 do not count; one id twice is one id.
  row(R"("message_id":101,"client_msg_no":"d1","message_seq":1,"from_uid":"a","channel_id":"g1","channel_type":2,"timestamp":100,"payload":"p1")");
  row(R"("client_msg_no":"d1","message_seq":2,"from_uid":"a","channel_id":"g1","channel_type":2,"timestamp":101,"payload":"p1x")");
  row(R"("message_id":0,"client_msg_no":"d1","message_seq":3,"from_uid":"a","channel_id":"g1","channel_type":2,"timestamp":102,"payload":"p1y")");
  row(R"("message_id":102,"client_msg_no":"d2","message_seq":4,"from_uid":"a","channel_id":"g1","channel_type":2,"timestamp":103,"payload":"p2")");
  row(R"("message_id":103,"client_msg_no":"d2","message_seq":5,"from_uid":"a","channel_id":"g1","channel_type":2,"timestamp":104,"payload":"p2b")");
  row(R"("message_id":103,"client_msg_no":"d2","message_seq":5,"from_uid":"a","channel_id":"g1","channel_type":2,"timestamp":104,"payload":"p2b")");
  // the same client_msg_no from another sender and in another channel: only scope channel/global merge them
  row(R"("message_id":104,"client_msg_no":"d3","message_seq":6,"from_uid":"a","channel_id":"g1","channel_type":2,"timestamp":105,"payload":"q1")");
  row(R"("message_id":105,"client_msg_no":"d3","message_seq":7,"from_uid":"b","channel_id":"g1","channel_type":2,"timestamp":106,"payload":"q2")");
  row(R"("message_id":106,"client_msg_no":"d3","message_seq":1,"from_uid":"a","channel_id":"g1","channel_type":1,"timestamp":107,"payload":"q3")");
  // duplicate_row that differs in payload; a collision on (channel, empty client_msg_no)
  row(R"("message_id":110,"client_msg_no":"r1","message_seq":8,"from_uid":"a","channel_id":"g1","channel_type":2,"timestamp":110,"payload":"r")");
  row(R"("message_id":110,"client_msg_no":"r1","message_seq":8,"from_uid":"a","channel_id":"g1","channel_type":2,"timestamp":110,"payload":"R")");
  row(R"("message_id":111,"client_msg_no":"","message_seq":9,"from_uid":"a","channel_id":"g1","channel_type":2,"timestamp":111,"payload":"c1")");
  row(R"("message_id":111,"message_seq":10,"from_uid":"a","channel_id":"g2","channel_type":2,"timestamp":111,"payload":"c2")");
  // seq conflict with a row without message_id (not an id); seq 0 is no seq; gaps around it
  row(R"("message_id":120,"client_msg_no":"s1","message_seq":20,"from_uid":"a","channel_id":"g3","channel_type":2,"timestamp":120,"payload":"s1")");
  row(R"("client_msg_no":"s2","message_seq":20,"from_uid":"a","channel_id":"g3","channel_type":2,"timestamp":121,"payload":"s2")");
  row(R"("message_id":121,"client_msg_no":"s3","message_seq":20,"from_uid":"a","channel_id":"g3","channel_type":2,"timestamp":122,"payload":"s3")");
  row(R"("message_id":122,"client_msg_no":"s4","message_seq":0,"from_uid":"a","channel_id":"g3","channel_type":2,"timestamp":123,"payload":"s4")");
  row(R"("message_id":123,"client_msg_no":"s5","message_seq":25,"from_uid":"a","channel_id":"g3","channel_type":2,"timestamp":124,"payload":"s5")");
  row(R"("message_id":124,"client_msg_no":"s6","message_seq":17,"from_uid":"a","channel_id":"g3","channel_type":2,"timestamp":125,"payload":"s6")");
  // regenerated: a chain 0, 30, 60 s (each within 30 s of the previous), then 91 s (a new chain of one)
  for (int k = 0; k < 4; ++k)
    row(R"("message_id":)" + std::to_string(130 + k) + R"(,"client_msg_no":"c)" + std::to_string(k) +
        R"(","message_seq":)" + std::to_string(30 + k) + R"(,"from_uid":"u","channel_id":"g4","channel_type":2,"timestamp":)" +
        std::to_string(1000 + (k < 3 ? 30 * k : 91 + 60)) + R"(,"payload":"same")");
  // one client_msg_no twice within the window: no finding (one client_msg_no); the deleted row is not live
  row(R"("message_id":140,"client_msg_no":"k1","message_seq":40,"from_uid":"u","channel_id":"g4","channel_type":2,"timestamp":2000,"payload":"twice")");
  row(R"("message_id":141,"client_msg_no":"k1","message_seq":41,"from_uid":"u","channel_id":"g4","channel_type":2,"timestamp":2001,"payload":"twice")");
  row(R"("message_id":142,"client_msg_no":"k2","message_seq":42,"from_uid":"u","channel_id":"g4","channel_type":2,"timestamp":2002,"payload":"twice","is_deleted":1)");
  // absorbed, suffix rule: "<no>-<digits>" with a live "<no>"; the last dash counts; "-5", "x-" and "x-1a" are not suffixes
  row(R"("message_id":150,"client_msg_no":"a-b","message_seq":50,"from_uid":"u","channel_id":"g5","channel_type":2,"timestamp":3000,"payload":"s-orig")");
  row(R"("message_id":151,"client_msg_no":"a-b-51","message_seq":51,"from_uid":"u","channel_id":"g5","channel_type":2,"timestamp":3100,"payload":"s-del","is_deleted":1)");
  row(R"("message_id":152,"client_msg_no":"-5","message_seq":52,"from_uid":"u","channel_id":"g5","channel_type":2,"timestamp":3200,"payload":"n1","is_deleted":1)");
  row(R"("message_id":153,"client_msg_no":"x-","message_seq":53,"from_uid":"u","channel_id":"g5","channel_type":2,"timestamp":3300,"payload":"n2","is_deleted":1)");
  row(R"("message_id":154,"client_msg_no":"x","message_seq":54,"from_uid":"u","channel_id":"g5","channel_type":2,"timestamp":3400,"payload":"n3")");
  row(R"("message_id":155,"client_msg_no":"x-1a","message_seq":55,"from_uid":"u","channel_id":"g5","channel_type":2,"timestamp":3500,"payload":"n4","is_deleted":7)");
  // a suffix whose base lives only in another channel: not absorbed by suffix
  row(R"("message_id":156,"client_msg_no":"a-b-9","message_seq":5,"from_uid":"u","channel_id":"g6","channel_type":2,"timestamp":3600,"payload":"n5","is_deleted":1)");
  // absorbed, copy rule: the nearest live row of the same content, another client_msg_no and id;
  // a deleted row without client_msg_no counts too; a live row with the same id does not
  row(R"("message_id":160,"client_msg_no":"o1","message_seq":60,"from_uid":"v","channel_id":"g7","channel_type":2,"timestamp":4000,"payload":"cp")");
  row(R"("message_id":161,"client_msg_no":"o2","message_seq":61,"from_uid":"v","channel_id":"g7","channel_type":2,"timestamp":4040,"payload":"cp")");
  row(R"("message_id":162,"client_msg_no":"o3","message_seq":62,"from_uid":"v","channel_id":"g7","channel_type":2,"timestamp":4025,"payload":"cp","is_deleted":1)");
  row(R"("message_id":163,"message_seq":63,"from_uid":"v","channel_id":"g7","channel_type":2,"timestamp":4002,"payload":"cp","is_deleted":1)");
  row(R"("message_id":160,"client_msg_no":"o9","message_seq":64,"from_uid":"v","channel_id":"g7","channel_type":2,"timestamp":3999,"payload":"cp","is_deleted":1)");
  row(R"("message_id":164,"client_msg_no":"o4","message_seq":65,"from_uid":"v","channel_id":"g7","channel_type":2,"timestamp":4500,"payload":"cp","is_deleted":1)");
  // person channels as stored (a@b), missing client_msg_no in two channels
  row(R"("message_id":170,"message_seq":1,"from_uid":"a","channel_id":"a@b","channel_type":1,"timestamp":5000,"payload":"m1")");
  row(R"("message_id":171,"client_msg_no":"","message_seq":2,"from_uid":"b","channel_id":"a@b","channel_type":1,"timestamp":5001,"payload":"m2")");
  row(R"("message_seq":3,"from_uid":"b","channel_id":"a@b","channel_type":1,"timestamp":5002,"payload":"m3")");
  row(R"("message_id":172,"message_seq":70,"from_uid":"b","channel_id":"g1","channel_type":2,"timestamp":5003,"payload":"m4")");
  write_file(path, j.str());
  load_jsonl(path, db);
  for (Scope scope : {Scope::sender, Scope::channel, Scope::global})
    for (int64_t window : {30, 29, 0}) {
      SqlOptions s;
      s.scope = scope;
      s.window_s = window;
      s.check_gaps = true;
      expect_same(path, db, s);
    }
  // The edges above do produce every finding kind.
  const json r = analyzer_report(path, SqlOptions{});
  for (auto* name : kFindingNames) EXPECT_GT(r["summary"][name].get<uint64_t>(), 0u) << name;
}

TEST(AuditSql, DialectsDifferOnlyWhereTheyMust) {
  std::map<std::string, std::string> text;
  for (size_t k = 0; k < std::size(kSqlDialects); ++k) {
    SqlOptions s;
    ASSERT_TRUE(sql_dialect_from_name(kSqlDialects[k], s.dialect));
    s.check_gaps = true;
    auto sql = audit_sql(s);
    ASSERT_TRUE(sql) << kSqlDialects[k];
    text[kSqlDialects[k]] = *sql;
    EXPECT_NE(sql->find("-- wkit audit sql --dialect " + std::string(kSqlDialects[k])), std::string::npos);
  }
  EXPECT_NE(text["duckdb"].find("UBIGINT"), std::string::npos);
  EXPECT_NE(text["postgres"].find("NUMERIC(20, 0)"), std::string::npos);
  EXPECT_NE(text["clickhouse"].find("Nullable(UInt64)"), std::string::npos);
  EXPECT_NE(text["spark"].find("`message_id`"), std::string::npos);
  EXPECT_NE(text["spark"].find("DECIMAL(20, 0)"), std::string::npos);
  // Where a dialect cannot do what wkit does, the SQL says so.
  EXPECT_NE(text["sqlite"].find("-- sqlite: INTEGER is signed 64-bit"), std::string::npos);
  EXPECT_NE(text["postgres"].find("-- postgres:"), std::string::npos);
}

TEST(AuditSql, MapsAndTableNames) {
  SqlOptions s;
  s.dialect = SqlDialectName::postgres;
  s.table = "wh.im.\"msgs";
  s.maps = {{"client_msg_no", "clientMsgNo"}};
  auto sql = audit_sql(s);
  ASSERT_TRUE(sql);
  EXPECT_NE(sql->find("FROM \"wh\".\"im\".\"\"\"msgs\""), std::string::npos);
  EXPECT_NE(sql->find("CAST(\"clientMsgNo\" AS TEXT)"), std::string::npos);
  s.maps = {{"client_msg", "x"}};
  auto bad = audit_sql(s);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().kind, ErrorKind::usage);
  EXPECT_NE(bad.error().message.find("client_msg is not one of"), std::string::npos);
}

}  // namespace
}  // namespace wkit::audit
