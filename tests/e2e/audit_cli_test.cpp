// `wkit audit` end to end: the real binary on generated stores, exit codes,
// JSON report, stdin, shards + merge through files.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "../tools/audit_store_gen.hpp"

namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using namespace wkit::audit;

struct CliRun {
  int code = -1;
  std::string out, err;
};

class AuditCli : public testing::Test {
 protected:
  void SetUp() override {
    std::string t = (fs::temp_directory_path() / "wkit-audit-e2e-XXXXXX").string();
    ASSERT_NE(::mkdtemp(t.data()), nullptr);
    dir_ = t;
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string file(const std::string& n) const { return (dir_ / n).string(); }

  // Runs `wkit audit ARGS` through sh (for redirects) and collects the result.
  CliRun wkit(const std::string& args, const std::string& stdin_file = "") {
    const std::string out = file("stdout"), err = file("stderr");
    std::string cmd = std::string("'") + WKIT_BINARY + "' " + args + " >'" + out + "' 2>'" + err + "'";
    if (!stdin_file.empty()) cmd += " <'" + stdin_file + "'";
    else cmd += " </dev/null";
    const int st = std::system(cmd.c_str());
    CliRun r;
    r.code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    r.out = slurp(out);
    r.err = slurp(err);
    return r;
  }
  static std::string slurp(const std::string& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  static json parse(const CliRun& r) {
    json j = json::parse(r.out, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << r.out.substr(0, 400) << r.err;
    return j;
  }
  fs::path dir_;
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

  // --fail-on decides the exit code.
  EXPECT_EQ(wkit("audit --fail-on none '" + file("s.jsonl") + "'").code, 0);
  EXPECT_EQ(wkit("audit --fail-on duplicate_row -o json '" + file("s.jsonl") + "'").code, 1);
  EXPECT_EQ(wkit("audit --fail-on bogus '" + file("s.jsonl") + "'").code, 2);

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
  CliRun lenient = wkit("audit -o json '" + file("m.jsonl") + "'");
  EXPECT_EQ(lenient.code, 0) << lenient.err;
  EXPECT_EQ(parse(lenient)["malformed"]["count"], 1u);
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
