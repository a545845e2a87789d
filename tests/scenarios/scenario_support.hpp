#pragma once
// What every incident scenario needs: a real `wkit serve` (port 0, its own
// data directory), real `wkit send`/`recv`/`audit` processes, optionally a
// real `wkit proxy --capture` between them and the server (then the audit of
// the capture and its `wkit replay --expect-same` too), what each of them
// concluded (verdict + exit code, as the cells of the scenario table in
// docs/verdicts.md) and the truth read back from the server's SQLite store.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <chrono>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "../e2e/support/serve_process.hpp"
#include "../support/temp_dir.hpp"
#include "../e2e/support/wkit_commands.hpp"
#include "expected_outcomes.hpp"

namespace wkit::scenarios {

using nlohmann::json;
using testing::Done;
using testing::ServeProcess;

// `a` followed by `b`: a scenario's flags plus a variant's.
inline std::vector<std::string> with(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// One tool's conclusion, as the table cell "verdict / exit".
inline std::string cell(const std::string& verdict, int exit_code) {
  return verdict + " / " + std::to_string(exit_code);
}

// The JSON document a command printed on stdout (its summary), or null.
inline json stdout_json(const Done& d) {
  auto j = json::parse(d.out, nullptr, false);
  return j.is_discarded() ? json() : j;
}

// The store's truth: message_ids per client_msg_no, read from DIR/wkit.db
// with SQLite directly (not through any wkit code).
struct StoreTruth {
  std::map<std::string, std::vector<int64_t>> ids_by_client_msg_no;
  size_t rows = 0;

  size_t duplicated_keys() const {
    size_t n = 0;
    for (auto& [k, ids] : ids_by_client_msg_no) n += ids.size() > 1;
    return n;
  }
  size_t ids_of(const std::string& client_msg_no) const {
    auto it = ids_by_client_msg_no.find(client_msg_no);
    return it == ids_by_client_msg_no.end() ? 0 : it->second.size();
  }
};

inline StoreTruth read_store(const std::string& db_path) {
  StoreTruth t;
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    ADD_FAILURE() << "cannot open " << db_path << ": " << (db ? sqlite3_errmsg(db) : "?");
    sqlite3_close(db);
    return t;
  }
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(db, "SELECT client_msg_no, message_id FROM message ORDER BY message_id", -1, &st, nullptr) !=
      SQLITE_OK) {
    ADD_FAILURE() << db_path << ": " << sqlite3_errmsg(db);
  } else {
    while (sqlite3_step(st) == SQLITE_ROW) {
      auto* cmn = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
      t.ids_by_client_msg_no[cmn ? cmn : ""].push_back(sqlite3_column_int64(st, 1));
      ++t.rows;
    }
  }
  sqlite3_finalize(st);
  sqlite3_close(db);
  return t;
}

// A fixture holding the server of one scenario. Every process is killed
// when the test ends, also on failure (ServeProcess and Process destructors;
// one-shot commands run to completion or are killed at their timeout).
class Scenario : public ::testing::Test {
 protected:
  void start_serve(std::vector<std::string> flags) {
    serve_flags_ = flags;
    srv_ = std::make_unique<ServeProcess>(std::move(flags));
  }
  ServeProcess& serve() { return *srv_; }
  std::string db() const { return srv_->data_dir() + "/wkit.db"; }

  // Puts a real `wkit proxy --capture` (port 0) in front of the server: the
  // send() and recv() below then go through it, so the capture holds every
  // frame between the clients and the server (faults injected by the server
  // happen behind it: a SENDACK the server drops is not in the capture).
  void start_proxy() {
    capture_ = (tmp_.path / "scenario.wkcap").string();
    proxy_ = std::make_unique<testing::ProxyProcess>("tcp://127.0.0.1:0", srv_->tcp(),
                                                     std::vector<std::string>{"--capture", capture_});
  }
  // Where clients connect: the proxy when there is one, else the server.
  std::string client_url() const { return proxy_ ? proxy_->url() : srv_->tcp(); }
  // SIGTERM: the capture is flushed and renamed into place.
  void stop_proxy() {
    EXPECT_EQ(proxy_->stop(), std::optional<int>(0)) << proxy_->process().stderr_text();
  }
  const std::string& capture() const { return capture_; }

  // SIGTERM (in-flight commits finish) so the store is complete before it is read.
  void stop_serve() {
    auto code = srv_->stop();
    EXPECT_EQ(code, std::optional<int>(0)) << srv_->process().stderr_text();
  }

  // `wkit send -s URL -u alice --to bob ARGS... -o json`: the summary's verdict
  // and the process exit code, checked against the summary's own exit_code.
  std::string send(std::vector<std::string> args, json* summary = nullptr,
                   std::chrono::seconds timeout = std::chrono::seconds(60)) {
    std::vector<std::string> argv = {"send", "-s", client_url(), "-u", "alice", "--to", "bob", "-o", "json"};
    argv.insert(argv.end(), args.begin(), args.end());
    auto d = testing::run_wkit(argv, timeout);
    return summarize_send(d, summary);
  }

  static std::string summarize_send(const Done& d, json* summary) {
    auto s = stdout_json(d);
    EXPECT_TRUE(s.is_object()) << "no JSON summary; stdout: " << d.out << "\nstderr: " << d.err;
    if (!s.is_object()) return cell("no-summary", d.code);
    EXPECT_EQ(s.value("exit_code", -1), d.code) << d.out;
    if (d.code != 0) {
      EXPECT_FALSE(s.value("findings", std::string()).empty() && !s.contains("error")) << d.out;
    }
    if (summary) *summary = s;
    return cell(s.value("verdict", std::string("missing")), d.code);
  }

  // `wkit recv -u bob --timeout T ARGS... -o json`. The recv verdict the
  // table uses: `duplicated` when the server created a duplicate (one
  // client_msg_no under two message_ids), `redelivered` when only repeats of
  // one message_id came, else `clean`.
  std::string recv(std::vector<std::string> args, json* summary = nullptr, const std::string& timeout = "3s") {
    std::vector<std::string> argv = {"recv", "-s", client_url(), "-u", "bob", "--timeout", timeout, "-o", "json"};
    argv.insert(argv.end(), args.begin(), args.end());
    auto d = testing::run_wkit(argv, std::chrono::seconds(60));
    auto s = stdout_json(d);
    EXPECT_TRUE(s.is_object()) << "no JSON summary; stdout: " << d.out << "\nstderr: " << d.err;
    if (!s.is_object()) return cell("no-summary", d.code);
    EXPECT_EQ(s.value("exit_code", -1), d.code) << d.out;
    if (summary) *summary = s;
    return cell(recv_verdict(s), d.code);
  }
  static std::string recv_verdict(const json& summary) {
    const auto& dup = summary["duplicates"];
    return dup.value("server_created", 0) > 0  ? "duplicated"
           : dup.value("by_message_id", 0) > 0 ? "redelivered"
                                               : "clean";
  }

  // `wkit audit DIR/wkit.db -o json`: its status and exit code; the number
  // of duplicated keys it found must be the store's.
  std::string audit(const StoreTruth& truth) { return audit(truth, db()); }
  static std::string audit(const StoreTruth& truth, const std::string& db_path) {
    auto d = testing::run_wkit({"audit", "--no-progress", "-o", "json", db_path}, std::chrono::seconds(60));
    auto r = stdout_json(d);
    EXPECT_TRUE(r.is_object()) << "no JSON report; stdout: " << d.out << "\nstderr: " << d.err;
    if (!r.is_object()) return cell("no-report", d.code);
    EXPECT_EQ(r["summary"].value("duplicate_client_msg_no", -1), static_cast<int>(truth.duplicated_keys()))
        << "the audit disagrees with the store about duplicated client_msg_nos\n" << d.out;
    EXPECT_EQ(r.value("rows", -1), static_cast<int>(truth.rows)) << d.out;
    // No scenario plants these: the audit must not report them either.
    EXPECT_EQ(r["summary"].value("message_id_collision", -1), 0) << d.out;
    EXPECT_EQ(r["summary"].value("suspected_regenerated_client_msg_no", -1), 0) << d.out;
    // `status` is the field; `result` is the older name of the same value.
    std::string status = r.contains("status") ? r["status"].get<std::string>() : r.value("result", std::string("missing"));
    return cell(status, d.code);
  }

  // `wkit audit CAPTURE.wkcap -o json` (after stop_proxy()): its status and
  // exit code. Every message of the scenario went through the proxy, so the
  // capture must show the store's duplicates and its messages, no more, no
  // fewer.
  std::string audit_capture(const StoreTruth& truth, json* report = nullptr) {
    auto d = testing::run_wkit({"audit", "--no-progress", "-o", "json", capture_}, std::chrono::seconds(60));
    auto r = stdout_json(d);
    EXPECT_TRUE(r.is_object()) << "no JSON report; stdout: " << d.out << "\nstderr: " << d.err;
    if (!r.is_object()) return cell("no-report", d.code);
    EXPECT_EQ(r["inputs"][0]["format"], "wkcap") << d.out;
    EXPECT_EQ(r["summary"].value("duplicate_client_msg_no", -1), static_cast<int>(truth.duplicated_keys()))
        << "the audit of the capture disagrees with the store about duplicated client_msg_nos\n" << d.out;
    EXPECT_EQ(r.value("rows", -1), static_cast<int>(truth.rows))
        << "the capture shows another number of stored messages than the store holds\n" << d.out;
    EXPECT_EQ(r["summary"].value("message_id_collision", -1), 0) << d.out;
    EXPECT_EQ(r["summary"].value("suspected_regenerated_client_msg_no", -1), 0) << d.out;
    if (report) *report = r;
    return cell(r.value("status", std::string("missing")), d.code);
  }

  // `wkit replay CAPTURE.wkcap --speed max --expect-same -o json` against a
  // fresh `wkit serve` with this scenario's flags: `same` when the server
  // answered as recorded, `differ` when `differences` lists something,
  // `failed` when a connection failed. The fresh server's store must then
  // hold what the original one did: the same message_ids per client_msg_no
  // (a replay that says "same" reproduced the incident).
  std::string replay(const StoreTruth& truth, json* report = nullptr) {
    ServeProcess fresh(serve_flags_);
    auto d = testing::run_wkit({"replay", capture_, "-s", fresh.tcp(), "--speed", "max", "--ack-timeout", "1s",
                                "--expect-same", "-o", "json"},
                               std::chrono::seconds(60));
    EXPECT_EQ(fresh.stop(), std::optional<int>(0)) << fresh.process().stderr_text();
    auto r = stdout_json(d);
    EXPECT_TRUE(r.is_object()) << "no JSON report; stdout: " << d.out << "\nstderr: " << d.err;
    if (!r.is_object()) return cell("no-report", d.code);
    auto replayed = read_store(fresh.data_dir() + "/wkit.db");
    EXPECT_EQ(replayed.rows, truth.rows) << d.out;
    for (auto& [cmn, ids] : truth.ids_by_client_msg_no)
      EXPECT_EQ(replayed.ids_of(cmn), ids.size()) << "client_msg_no " << cmn << " after the replay\n" << d.out;
    if (report) *report = r;
    const bool differ = !r["differences"].empty(), failed = r.value("failed_connections", 0) > 0;
    return cell(differ ? "differ" : failed ? "failed" : "same", d.code);
  }

  // The row of this scenario in the suite's table (expected_outcomes.hpp).
  static const ScenarioExpectation& expected(const std::string& name) {
    for (auto& e : kScenarios)
      if (e.name == name) return e;
    throw std::runtime_error("scenario " + name + " is not in kScenarios");
  }

 private:
  testing::TempDir tmp_;
  std::vector<std::string> serve_flags_;
  std::unique_ptr<ServeProcess> srv_;
  std::unique_ptr<testing::ProxyProcess> proxy_;
  std::string capture_;
};

}  // namespace wkit::scenarios
