// `wkit audit sql --dialect duckdb` end to end: the query the real binary
// prints, run by DuckDB (npm @duckdb/node-api, installed into a scratch
// directory outside the repo, as the interop tests install the JS SDK) over a
// generated JSON-lines export, must list the same findings as `wkit audit -o
// json` on the same file. Without node the test is skipped (the interop tests
// are not registered then); a failing npm install fails it.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "../tools/audit_sql_compare.hpp"
#include "../tools/audit_store_gen.hpp"
#include "support/audit_dir_test.hpp"

namespace {

using nlohmann::json;
using namespace wkit::audit;
using wkit::testing::CliRun;

class AuditSqlDuckDb : public wkit::testing::AuditDirTest {
 protected:
  void SetUp() override {
    AuditDirTest::SetUp();
    if (std::system("command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1") != 0)
      GTEST_SKIP() << "node/npm not found (as for the interop tests)";
    const char* env = std::getenv("WKIT_DUCKDB_NODE_DIR");
    node_dir_ = env && *env ? env : (std::filesystem::temp_directory_path() / "wkit-duckdb-node").string();
    std::filesystem::create_directories(node_dir_);
    // One install at a time (ctest -j), kept for the next run.
    const std::string install =
        "cd '" + node_dir_ + "' && flock .install-lock sh -c 'test -d node_modules/@duckdb/node-api || "
        "{ test -f package.json || npm init -y >/dev/null; timeout 600 npm install --no-audit --no-fund --loglevel=error "
        "@duckdb/node-api >npm-install.log 2>&1; }'";
    ASSERT_EQ(std::system(install.c_str()), 0)
        << "npm install @duckdb/node-api in " << node_dir_ << " failed (is the npm registry reachable?): "
        << slurp(node_dir_ + "/npm-install.log");
  }

  // The rows of `sql_file` run by DuckDB over `export_file`.
  std::vector<sqltest::Row> duckdb(const std::string& export_file, const std::string& sql_file) {
    const std::string out = file("duck.out"), err = file("duck.err");
    const std::string cmd = "timeout 300 node '" + std::string(WKIT_SOURCE_DIR) + "/tests/e2e/support/duckdb_query.mjs' '" +
                            node_dir_ + "' '" + export_file + "' '" + sql_file + "' >'" + out + "' 2>'" + err + "'";
    EXPECT_EQ(std::system(cmd.c_str()), 0) << slurp(err);
    std::vector<sqltest::Row> rows;
    std::istringstream in(slurp(out));
    for (std::string l; std::getline(in, l);) {
      json j = json::parse(l);
      sqltest::Row r;
      for (auto& [k, v] : j.items()) r[k] = v.is_null() ? std::nullopt : std::optional<std::string>(v.get<std::string>());
      rows.push_back(std::move(r));
    }
    return rows;
  }

  void expect_same(const std::string& export_file, const std::string& options) {
    SCOPED_TRACE(options);
    CliRun audit = wkit("audit -o json --fail-on none --no-progress " + options + " '" + export_file + "'");
    ASSERT_EQ(audit.code, 0) << audit.err;
    const json report = json::parse(audit.out);
    CliRun sql = wkit("audit sql --dialect duckdb " + options + " --out '" + file("q.sql") + "'");
    ASSERT_EQ(sql.code, 0) << sql.err;
    std::map<std::string, std::set<uint64_t>> rep_missing, sql_missing;
    const auto want = sqltest::from_report(report, &rep_missing);
    const auto got = sqltest::from_sql(duckdb(export_file, file("q.sql")), &sql_missing);
    EXPECT_FALSE(want.empty());
    EXPECT_EQ(want, got) << sqltest::difference(want, got);
    EXPECT_EQ(sqltest::missing_ids_outside(rep_missing, sql_missing), "");

    // --summary: the report's summary, in its order.
    CliRun sum = wkit("audit sql --dialect duckdb --summary " + options);
    ASSERT_EQ(sum.code, 0) << sum.err;
    std::ofstream(file("s.sql")) << sum.out;
    const auto rows = duckdb(export_file, file("s.sql"));
    ASSERT_EQ(rows.size(), std::size(kFindingNames));
    for (size_t k = 0; k < rows.size(); ++k) {
      EXPECT_EQ(rows[k].at("finding"), kFindingNames[k]);
      EXPECT_EQ(rows[k].at("count"), std::to_string(report["summary"][kFindingNames[k]].get<uint64_t>()))
          << kFindingNames[k];
    }
  }

  std::string node_dir_;
};

TEST_F(AuditSqlDuckDb, SameFindingsAsTheAudit) {
  gen::Plan p;
  p.rows = 4000;
  p.channels = 40;
  p.malformed = 0;  // DuckDB's reader would stop at a broken line; the audit counts them
  const auto truth = gen::generate(p, gen::Format::jsonl, file("export.jsonl"));
  ASSERT_GT(truth.absorbed_duplicate * truth.gaps * truth.suspected_regenerated, 0u);
  expect_same(file("export.jsonl"), "--check-gaps");
  expect_same(file("export.jsonl"), "--scope global --window 2s");
}

class AuditSqlCli : public wkit::testing::AuditDirTest {};

TEST_F(AuditSqlCli, UsageErrors) {
  CliRun r = wkit("audit sql --table message");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("--dialect"), std::string::npos) << r.err;
  r = wkit("audit sql --dialect oracle");
  EXPECT_EQ(r.code, 2);
  r = wkit("audit sql --dialect sqlite --map nope=x");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("wkit audit sql: --map nope=x: nope is not one of"), std::string::npos) << r.err;
}

}  // namespace
