// Sharded audits end to end (docs/audit.md "Sharded audits"): N real
// `wkit audit --shard K/N` processes run at once, as N Kubernetes pods or N
// ssh hosts would, each writing its partial report; `wkit audit merge` of
// the partials must give the report of one unsharded run, findings and all
// (everything but the run-specific `run` object), in JSON and Markdown.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "../tools/audit_store_gen.hpp"
#include "support/audit_dir_test.hpp"

namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using namespace wkit::audit;

class AuditShards : public wkit::testing::AuditDirTest {
 protected:
  // Runs a shell script (bounded by timeout(1)); returns its exit code.
  static int sh(const std::string& script) {
    const std::string cmd = "timeout 120 sh -c '" + script + "'";
    const int st = std::system(cmd.c_str());
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  }
  static json parse_file(const std::string& p) {
    json j = json::parse(slurp(p), nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << p << ": " << slurp(p).substr(0, 300);
    return j;
  }

  // `wkit audit ARGS` once, and as n shard processes at once plus a merge:
  // the two reports must be the same but for `run`.
  void expect_shards_merge_to_one_run(const std::string& args, unsigned n) {
    const std::string wkit = WKIT_BINARY;
    const std::string d = dir_.string();
    ASSERT_EQ(sh("\"" + wkit + "\" audit -o json " + args + " > \"" + d + "/single.json\"; echo $? > \"" + d +
                 "/single.code\""),
              0);
    // All shards at once, each with its own exit code, then the merge.
    std::string script;
    for (unsigned k = 1; k <= n; ++k)
      script += "(\"" + wkit + "\" audit --shard " + std::to_string(k) + "/" + std::to_string(n) + " -o json " + args +
                " > \"" + d + "/part" + std::to_string(k) + ".json\"; echo $? > \"" + d + "/part" + std::to_string(k) +
                ".code\") & ";
    script += "wait";
    ASSERT_EQ(sh(script), 0);
    std::string parts;
    for (unsigned k = 1; k <= n; ++k) parts += " \"" + d + "/part" + std::to_string(k) + ".json\"";
    for (const char* fmt : {"json", "md"})
      ASSERT_EQ(sh("\"" + wkit + "\" audit merge -o " + fmt + parts + " > \"" + d + "/merged." + fmt + "\"; echo $? > \"" +
                   d + "/merged." + fmt + ".code\""),
                0);

    const std::string single_code = slurp(file("single.code"));
    EXPECT_EQ(slurp(file("merged.json.code")), single_code);
    json single = parse_file(file("single.json")), merged = parse_file(file("merged.json"));
    ASSERT_TRUE(single.contains("findings"));
    EXPECT_EQ(merged["run"]["merged_shards"], n);
    single.erase("run");
    merged.erase("run");
    EXPECT_EQ(merged, single) << "merged findings differ from the single run";

    // Every shard held a part of the work (the split is real) and the counts add up.
    uint64_t sum = 0, shards_with_findings = 0;
    for (unsigned k = 1; k <= n; ++k) {
      const json p = parse_file(file("part" + std::to_string(k) + ".json"));
      EXPECT_EQ(p["partial"]["shard"], k);
      EXPECT_EQ(p["partial"]["of"], n);
      uint64_t here = 0;
      for (auto& [name, c] : p["summary"].items()) here += c.get<uint64_t>();
      sum += here;
      shards_with_findings += here > 0;
    }
    uint64_t total = 0;
    for (auto& [name, c] : single["summary"].items()) total += c.get<uint64_t>();
    EXPECT_GT(total, 0u);
    EXPECT_EQ(sum, total);
    EXPECT_EQ(shards_with_findings, n);

    // The Markdown of the merge is the Markdown of the single run.
    ASSERT_EQ(sh("\"" + wkit + "\" audit -o md " + args + " > \"" + d + "/single.md\""), 1);
    EXPECT_EQ(slurp(file("merged.md")), slurp(file("single.md")));
  }

};

gen::Plan plan(uint64_t rows, uint32_t channels, uint64_t seed) {
  gen::Plan p;
  p.rows = rows;
  p.channels = channels;
  p.seed = seed;
  p.dup_cmn = p.collision = p.dup_row = p.seq_conflict = p.gap = p.regenerated = p.absorbed_ios =
      p.absorbed_android = p.missing = p.user_deleted = 12;
  p.malformed = 3;
  return p;
}

TEST_F(AuditShards, FourShardProcessesMergeToTheSingleRun) {
  gen::generate(plan(20000, 300, 5), gen::Format::jsonl, file("export.jsonl"));
  expect_shards_merge_to_one_run("--no-progress --check-gaps --threads 2 \"" + file("export.jsonl") + "\"", 4);
}

// Several inputs of different formats, scope channel, and shards that spill
// to disk (--memory-limit): still the single run's report.
TEST_F(AuditShards, MixedInputsSpillingShardsMergeToTheSingleRun) {
  gen::generate(plan(15000, 2000, 9), gen::Format::jsonl, file("a.jsonl"));
  gen::generate(plan(3000, 40, 10), gen::Format::sqlite_android, file("b.db"));
  gen::generate(plan(3000, 40, 11), gen::Format::csv, file("c.csv"));
  expect_shards_merge_to_one_run("--no-progress --scope channel --memory-limit 25MiB \"" + file("a.jsonl") + "\" \"" +
                                     file("b.db") + "\" \"" + file("c.csv") + "\"",
                                 3);
}

// A missing shard is refused, not merged into a smaller report.
TEST_F(AuditShards, MergeRefusesAMissingShard) {
  gen::generate(plan(2000, 20, 3), gen::Format::jsonl, file("s.jsonl"));
  const std::string wkit = WKIT_BINARY;
  for (int k = 1; k <= 2; ++k)
    sh("\"" + wkit + "\" audit --no-progress --shard " + std::to_string(k) + "/3 -o json \"" + file("s.jsonl") +
       "\" > \"" + file("p" + std::to_string(k) + ".json") + "\"");
  EXPECT_EQ(sh("\"" + wkit + "\" audit merge \"" + file("p1.json") + "\" \"" + file("p2.json") + "\" 2> \"" +
               file("err") + "\" >/dev/null"),
            4);
  EXPECT_NE(slurp(file("err")).find("shard 3/3 is missing"), std::string::npos) << slurp(file("err"));
}

}  // namespace
