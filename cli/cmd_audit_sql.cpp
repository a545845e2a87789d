// `wkit audit sql --dialect D`: the SQL that computes the audit's findings in
// a warehouse (docs/audit.md "SQL for warehouses"). Added to `wkit audit` by
// cmd_audit.cpp; the SQL itself comes from lib (wkit/audit/sql.hpp).
#include <CLI/CLI.hpp>
#include <fstream>
#include <iostream>
#include <memory>

#include "command_registry.hpp"
#include "wkit/audit/sql.hpp"
#include "wkit/util/units.hpp"

namespace {

struct AuditSqlCli {
  wkit::audit::SqlOptions opts;
  std::string dialect, scope = "sender", window = "30s", out;
  std::vector<std::string> maps;
  bool no_is_deleted = false;
};

int fail(const std::string& msg, wkit::ErrorKind kind = wkit::ErrorKind::usage) {
  std::cerr << "wkit audit sql: " << msg << "\n";
  return static_cast<int>(kind);
}

int run_audit_sql(AuditSqlCli& c) {
  auto& o = c.opts;
  if (!wkit::audit::sql_dialect_from_name(c.dialect, o.dialect))
    return fail("--dialect " + c.dialect + ": not one of duckdb, clickhouse, postgres, sqlite, spark");
  if (!wkit::audit::scope_from_name(c.scope, o.scope))
    return fail("--scope " + c.scope + ": not one of sender, channel, global");
  auto window = wkit::util::parse_duration(c.window);
  if (!window) return fail("--window: " + window.error().message);
  o.window_s = std::chrono::duration_cast<std::chrono::seconds>(window.value()).count();
  if (o.window_s < 0) return fail("--window " + c.window + ": must not be negative");
  for (auto& m : c.maps) {
    auto eq = m.find('=');
    if (eq == std::string::npos) return fail("--map " + m + ": expected FIELD=COLUMN");
    o.maps.emplace_back(m.substr(0, eq), m.substr(eq + 1));
  }
  o.has_is_deleted = !c.no_is_deleted;
  if (o.table.empty()) return fail("--table: empty table name");
  auto sql = wkit::audit::audit_sql(o);
  if (!sql) return fail(sql.error().message, sql.error().kind);
  if (c.out.empty()) {
    std::cout << *sql;
    std::cout.flush();
    return std::cout ? 0 : 5;
  }
  std::ofstream f(c.out, std::ios::binary);
  if (!(f << *sql) || !f.flush()) return fail(c.out + ": cannot write", wkit::ErrorKind::internal);
  return 0;
}

}  // namespace

// Called by cmd_audit.cpp beside `merge`.
void add_audit_sql_command(CLI::App* audit) {
  auto c = std::make_shared<AuditSqlCli>();
  auto* sql = audit->add_subcommand(
      "sql", "Print SQL that computes the audit's findings over a warehouse table of HTTP API message fields");
  sql->add_option("--dialect", c->dialect, "SQL dialect")
      ->required()
      ->check(CLI::IsMember({"duckdb", "clickhouse", "postgres", "sqlite", "spark"}));
  sql->add_option("--table", c->opts.table, "Table (or view) of messages, may be qualified: db.schema.table")
      ->default_str("message");
  sql->add_option("--map", c->maps, "Read FIELD from COLUMN, e.g. client_msg_no=clientMsgNo (repeatable)")
      ->allow_extra_args(false);
  sql->add_flag("--no-is-deleted", c->no_is_deleted, "The table has no is_deleted column (server export): every row is live");
  sql->add_option("--scope", c->scope, "Idempotency key scope: sender (channel + from_uid), channel, global")
      ->check(CLI::IsMember({"sender", "channel", "global"}))
      ->default_str("sender");
  sql->add_option("--window", c->window, "Time window of suspected regenerated client_msg_no and absorbed copies")
      ->default_str("30s");
  sql->add_flag("--check-gaps", c->opts.check_gaps, "Also report message_seq gaps per channel");
  sql->add_flag("--summary", c->opts.summary, "One row per finding (finding, count) instead of one per item");
  sql->add_option("--out", c->out, "Write the SQL to FILE instead of stdout")->type_name("FILE");
  sql->final_callback([c] { throw wkit::cli::Exit{run_audit_sql(*c)}; });
}
