// `wkit audit` end to end: the real binary on generated stores, exit codes,
// JSON report, stdin, shards + merge through files.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "../tools/audit_store_gen.hpp"
#include "support/audit_dir_test.hpp"

namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using namespace wkit::audit;

using wkit::testing::CliRun;

class AuditCli : public wkit::testing::AuditDirTest {
 protected:
  static json parse(const CliRun& r) {
    json j = json::parse(r.out, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << r.out.substr(0, 400) << r.err;
    return j;
  }
};

gen::Plan small_plan() {
  gen::Plan p;
  p.rows = 4000;
  return p;
}

TEST_F(AuditCli, FindingsExitOneAndReportTheTruth) {
  const auto t = gen::generate(small_plan(), gen::Format::jsonl, file("s.jsonl"));
  CliRun r = wkit("audit -o json --check-gaps --threads 2 '" + file("s.jsonl") + "'");
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_TRUE(r.err.empty()) << r.err;  // no progress when stderr is not a TTY
  json j = parse(r);
  EXPECT_EQ(j["summary"]["duplicate_client_msg_no"], t.duplicate_client_msg_no);
  EXPECT_EQ(j["summary"]["message_id_collision"], t.message_id_collision);
  EXPECT_EQ(j["summary"]["duplicate_row"], t.duplicate_row);
  EXPECT_EQ(j["summary"]["seq_anomaly"], t.seq_conflict + t.gaps);
  EXPECT_EQ(j["summary"]["suspected_regenerated_client_msg_no"], t.suspected_regenerated);
  EXPECT_EQ(j["summary"]["absorbed_duplicate"], t.absorbed_duplicate);
  EXPECT_EQ(j["summary"]["missing_client_msg_no"], t.missing_client_msg_no);
  EXPECT_EQ(j["failed_on"], json({"duplicate_client_msg_no", "message_id_collision"}));

  // --fail-on decides the exit code. The store has malformed lines: with no
  // finding failing it is "unverified" (exit 1) unless --allow-unreadable.
  EXPECT_EQ(t.malformed, 2u);
  EXPECT_EQ(wkit("audit --fail-on none '" + file("s.jsonl") + "'").code, 1);
  EXPECT_EQ(wkit("audit --fail-on none --allow-unreadable '" + file("s.jsonl") + "'").code, 0);
  EXPECT_EQ(wkit("audit --fail-on duplicate_row -o json '" + file("s.jsonl") + "'").code, 1);
  auto bogus = wkit("audit --fail-on bogus '" + file("s.jsonl") + "'");
  EXPECT_EQ(bogus.code, 2);
  // The refusal names what would have been valid.
  EXPECT_NE(bogus.err.find("unknown finding 'bogus' (one of: duplicate_client_msg_no,"), std::string::npos) << bogus.err;

  CliRun md = wkit("audit -o md '" + file("s.jsonl") + "'");
  EXPECT_EQ(md.code, 1);
  EXPECT_NE(md.out.find("| duplicate_client_msg_no | " + std::to_string(t.duplicate_client_msg_no) + " |"),
            std::string::npos)
      << md.out.substr(0, 800);
  CliRun text = wkit("audit '" + file("s.jsonl") + "'");
  EXPECT_NE(text.out.find("result: findings: duplicate_client_msg_no message_id_collision"), std::string::npos);
}

TEST_F(AuditCli, CleanStoreExitsZero) {
  gen::Plan p = small_plan();
  p.dup_cmn = p.collision = p.dup_row = p.seq_conflict = p.gap = p.regenerated = p.absorbed_ios = p.absorbed_android =
      p.missing = p.user_deleted = p.malformed = 0;
  gen::generate(p, gen::Format::csv, file("clean.csv"));
  CliRun r = wkit("audit -o json --check-gaps '" + file("clean.csv") + "'");
  EXPECT_EQ(r.code, 0) << r.err;
  json j = parse(r);
  EXPECT_EQ(j["rows"], p.rows);
  for (auto& [k, v] : j["summary"].items()) EXPECT_EQ(v, 0u) << k;
  EXPECT_EQ(j["result"], "clean");
}

TEST_F(AuditCli, BadInputExitsFourWithFileAndLine) {
  CliRun missing = wkit("audit '" + file("nope.jsonl") + "'");
  EXPECT_EQ(missing.code, 4);
  EXPECT_NE(missing.err.find(file("nope.jsonl") + ": cannot open"), std::string::npos) << missing.err;
  EXPECT_TRUE(missing.out.empty());

  std::ofstream(file("m.jsonl")) << "{\"message_id\":1,\"client_msg_no\":\"a\"}\n{\"message_id\":\"zz\"}\n";
  // Not fatal without --strict, but the audit did not read everything: unverified, exit 1.
  CliRun lenient = wkit("audit -o json '" + file("m.jsonl") + "'");
  EXPECT_EQ(lenient.code, 1) << lenient.err;
  EXPECT_EQ(parse(lenient)["malformed"]["count"], 1u);
  EXPECT_EQ(parse(lenient)["status"], "unverified");
  EXPECT_EQ(wkit("audit --allow-unreadable '" + file("m.jsonl") + "'").code, 0);
  CliRun strict = wkit("audit --strict '" + file("m.jsonl") + "'");
  EXPECT_EQ(strict.code, 4);
  EXPECT_NE(strict.err.find(file("m.jsonl") + ":2: message_id"), std::string::npos) << strict.err;
  EXPECT_EQ(std::count(strict.err.begin(), strict.err.end(), '\n'), 1);

  EXPECT_EQ(wkit("audit --scope nope '" + file("m.jsonl") + "'").code, 2);
  EXPECT_EQ(wkit("audit --shard 3/2 '" + file("m.jsonl") + "'").code, 2);
  EXPECT_EQ(wkit("audit").code, 2);
}

TEST_F(AuditCli, CompressedStdin) {
  const auto t = gen::generate(small_plan(), gen::Format::json_doc, file("d.json"));
  gen::compress_file(file("d.json"), file("d.json.zst"), true);
  CliRun r = wkit("audit -o json -", file("d.json.zst"));
  EXPECT_EQ(r.code, 1) << r.err;
  json j = parse(r);
  EXPECT_EQ(j["inputs"][0]["name"], "<stdin>");
  EXPECT_EQ(j["inputs"][0]["compression"], "zstd");
  EXPECT_EQ(j["summary"]["duplicate_client_msg_no"], t.duplicate_client_msg_no);
}

TEST_F(AuditCli, ShardsMergedThroughFilesEqualOneRun) {
  gen::generate(small_plan(), gen::Format::jsonl, file("s.jsonl"));
  CliRun full = wkit("audit -o json --check-gaps '" + file("s.jsonl") + "'");
  json single = parse(full);
  std::string parts;
  for (int k = 1; k <= 3; ++k) {
    CliRun part = wkit("audit -o json --check-gaps --shard " + std::to_string(k) + "/3 '" + file("s.jsonl") + "'");
    ASSERT_TRUE(part.code == 0 || part.code == 1) << part.err;
    std::ofstream(file("part" + std::to_string(k) + ".json")) << part.out;
    parts += " '" + file("part" + std::to_string(k) + ".json") + "'";
  }
  CliRun merged = wkit("audit merge -o json" + parts);
  EXPECT_EQ(merged.code, full.code) << merged.err;
  json m = parse(merged);
  single.erase("run");
  m.erase("run");
  EXPECT_EQ(m, single);
  CliRun incomplete = wkit("audit merge '" + file("part1.json") + "'");
  EXPECT_EQ(incomplete.code, 4);
  EXPECT_NE(incomplete.err.find("missing"), std::string::npos);
}

// A store shaped like `wkit serve --dedup off` (schema from
// wkit/store/schema.hpp, built here: serve is not used by this test), with
// resends stored again under new message_ids.
TEST_F(AuditCli, WkitServeStoreShape) {
  const auto t = gen::generate(small_plan(), gen::Format::sqlite_wkit, file("store.db"));
  CliRun r = wkit("audit -o json '" + file("store.db") + "'");
  EXPECT_EQ(r.code, 1) << r.err;
  json j = parse(r);
  EXPECT_EQ(j["inputs"][0]["format"], "sqlite:wkit-store");
  EXPECT_EQ(j["summary"]["duplicate_client_msg_no"], t.duplicate_client_msg_no);
  EXPECT_GT(t.duplicate_client_msg_no, 0u);
  const auto& item = j["findings"]["duplicate_client_msg_no"]["items"][0];
  EXPECT_NE(item["messages"][0]["location"].get<std::string>().find("store.db:message:"), std::string::npos);
}

// Writes a JSON-lines store whose only duplicate (client_msg_no "dup") sits
// on lines that are not valid UTF-8, and, with `visible_duplicate`, one more
// readable duplicate.
void write_hidden_duplicate(const std::string& path, bool visible_duplicate) {
  auto line = [](int id, const std::string& cmn, const std::string& uid) {
    return "{\"message_id\":" + std::to_string(id) + ",\"client_msg_no\":\"" + cmn + "\",\"message_seq\":" +
           std::to_string(id) + ",\"from_uid\":\"" + uid + "\",\"channel_id\":\"g1\",\"channel_type\":2,"
           "\"timestamp\":" + std::to_string(1700000000 + id) + ",\"payload\":\"aGk=\"}\n";
  };
  std::ofstream out(path, std::ios::binary);
  out << line(1, "a", "u1") << line(2, "dup", "u1\xff") << line(3, "b", "u1") << line(4, "dup", "u1\xfe")
      << line(5, "c", "\xc3");
  if (visible_duplicate) out << line(6, "v", "u1") << line(7, "v", "u1");
}

TEST_F(AuditCli, UnreadableRecordsHidingADuplicateAreNotClean) {
  const std::string f = file("bad8.jsonl");
  write_hidden_duplicate(f, false);
  CliRun j = wkit("audit -o json '" + f + "'");
  EXPECT_EQ(j.code, 1) << j.err;
  json r = parse(j);
  EXPECT_EQ(r["status"], "unverified");
  EXPECT_EQ(r["summary"]["duplicate_client_msg_no"], 0u);
  EXPECT_EQ(r["inputs"][0]["unreadable"], 3u);
  ASSERT_EQ(r["unreadable"]["examples"].size(), 3u);
  EXPECT_EQ(r["unreadable"]["examples"][0]["location"], f + ":2");
  EXPECT_EQ(r["unreadable"]["examples"][1]["location"], f + ":4");
  EXPECT_EQ(r["unreadable"]["examples"][2]["location"], f + ":5");

  CliRun text = wkit("audit '" + f + "'");
  EXPECT_EQ(text.code, 1);
  EXPECT_NE(text.out.find("result: unverified: 3 records could not be read"), std::string::npos) << text.out;
  EXPECT_EQ(text.out.find("result: clean"), std::string::npos) << text.out;
  CliRun md = wkit("audit -o md '" + f + "'");
  EXPECT_EQ(md.code, 1);
  EXPECT_NE(md.out.find("**unverified**"), std::string::npos) << md.out;

  CliRun allowed = wkit("audit --allow-unreadable '" + f + "'");
  EXPECT_EQ(allowed.code, 0) << allowed.err;
  EXPECT_NE(allowed.out.find("result: unverified"), std::string::npos);  // the verdict does not change

  // --allow-unreadable does not hide findings.
  const std::string g = file("bad8-dup.jsonl");
  write_hidden_duplicate(g, true);
  CliRun found = wkit("audit --allow-unreadable -o json '" + g + "'");
  EXPECT_EQ(found.code, 1) << found.err;
  EXPECT_EQ(parse(found)["status"], "findings");

  // Shards of it merge into the same verdict; merge takes --allow-unreadable too.
  std::string parts;
  for (int k = 1; k <= 2; ++k) {
    CliRun part = wkit("audit -o json --shard " + std::to_string(k) + "/2 '" + f + "'");
    EXPECT_EQ(part.code, 1) << part.err;
    std::ofstream(file("u" + std::to_string(k) + ".json")) << part.out;
    parts += " '" + file("u" + std::to_string(k) + ".json") + "'";
  }
  CliRun merged = wkit("audit merge -o json" + parts);
  EXPECT_EQ(merged.code, 1) << merged.err;
  EXPECT_EQ(parse(merged)["status"], "unverified");
  EXPECT_EQ(parse(merged)["unreadable"]["count"], 3u);
  EXPECT_EQ(wkit("audit merge --allow-unreadable" + parts).code, 0);
}

TEST_F(AuditCli, InputsWithoutTheKeyColumnsExitFour) {
  const std::string db = file("nokeys.db");
  sqlite3* h = nullptr;
  ASSERT_EQ(sqlite3_open(db.c_str(), &h), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(h,
                         "CREATE TABLE message (id INTEGER, msg_no TEXT, channel_id TEXT);"
                         "INSERT INTO message VALUES (1, 'a', 'g'), (2, 'a', 'g');",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(h);
  std::ofstream(file("nokeys.csv")) << "id,msg_no,channel_id\n1,a,g\n2,a,g\n";
  std::ofstream(file("nokeys.jsonl")) << "{\"id\":1,\"msg_no\":\"a\"}\n{\"id\":2,\"msg_no\":\"a\"}\n";
  std::ofstream(file("nokeys.json")) << "[{\"id\":1,\"msg_no\":\"a\"},{\"id\":2,\"msg_no\":\"a\"}]\n";
  for (const char* name : {"nokeys.db", "nokeys.csv", "nokeys.jsonl", "nokeys.json"}) {
    for (const char* format : {"json", "text", "md"}) {
      CliRun r = wkit(std::string("audit -o ") + format + " '" + file(name) + "'");
      EXPECT_EQ(r.code, 4) << name << " " << format << ": " << r.err;
      EXPECT_TRUE(r.out.empty()) << r.out;
      EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
      EXPECT_NE(r.err.find(file(name)), std::string::npos) << r.err;
      EXPECT_NE(r.err.find("id, msg_no"), std::string::npos) << r.err;  // what it has instead
    }
    // Mapped, each is a store with one duplicate.
    CliRun mapped = wkit("audit -o json --map message_id=id --map client_msg_no=msg_no '" + file(name) + "'");
    EXPECT_EQ(mapped.code, 1) << name << ": " << mapped.err;
    EXPECT_EQ(parse(mapped)["summary"]["duplicate_client_msg_no"], 1u) << name;
  }
}

TEST_F(AuditCli, DuplicateMessagesAreMarkedOriginalAndCopy) {
  // The same three messages in reverse order: the roles follow message_seq, not the order.
  auto line = [](int id, int seq) {
    return "{\"message_id\":" + std::to_string(id) + ",\"client_msg_no\":\"k\",\"message_seq\":" +
           std::to_string(seq) + ",\"from_uid\":\"u\",\"channel_id\":\"g\",\"channel_type\":2}\n";
  };
  std::ofstream(file("fwd.jsonl")) << line(300, 1) << line(100, 2) << line(200, 3);
  std::ofstream(file("rev.jsonl")) << line(200, 3) << line(100, 2) << line(300, 1);
  for (const char* name : {"fwd.jsonl", "rev.jsonl"}) {
    CliRun r = wkit("audit -o json '" + file(name) + "'");
    EXPECT_EQ(r.code, 1) << r.err;
    std::map<std::string, std::string> roles;
    const json report = parse(r);
    for (auto& m : report["findings"]["duplicate_client_msg_no"]["items"][0]["messages"])
      roles[m["message_idstr"].get<std::string>()] = m["role"].get<std::string>();
    EXPECT_EQ(roles, (std::map<std::string, std::string>{{"100", "copy"}, {"200", "copy"}, {"300", "original"}}))
        << name;
    CliRun text = wkit("audit '" + file(name) + "'");
    EXPECT_NE(text.out.find("[original] message_id 300 seq 1"), std::string::npos) << text.out;
    EXPECT_NE(text.out.find("[copy] message_id 100 seq 2"), std::string::npos) << text.out;
  }
}

}  // namespace

// Uids are bytes in CSV and SQLite stores: a sender that is not UTF-8 still
// gets its finding reported (as U+FFFD in JSON), not an internal error.
TEST_F(AuditCli, NonUtf8SenderIsReportedNotFatal) {
  std::ofstream(file("bad8.csv"), std::ios::binary)
      << "message_id,message_seq,client_msg_no,from_uid,channel_id,channel_type,timestamp,payload\n"
      << "1,1,c1,u\xff,ch,2,1700000000,aGk=\n"
      << "2,2,c1,u\xff,ch,2,1700000001,aGk=\n";
  CliRun r = wkit("audit -o json '" + file("bad8.csv") + "'");
  EXPECT_EQ(r.code, 1) << r.err;
  json j = parse(r);
  EXPECT_EQ(j["summary"]["duplicate_client_msg_no"], 1u);
  CliRun md = wkit("audit -o md '" + file("bad8.csv") + "'");
  EXPECT_EQ(md.code, 1) << md.err;
  EXPECT_TRUE(md.err.empty()) << md.err;
}
