// Spilling to disk and sharding give exactly the in-memory report.
#include "audit_test_util.hpp"
#include "wkit/audit/report.hpp"

namespace wkit::audit::test {
namespace {

class AuditScale : public testing::Test {
 protected:
  void SetUp() override {
    gen::Plan plan;
    plan.rows = 40000;
    plan.channels = 50;
    plan.dup_cmn = 40;
    plan.collision = 20;
    plan.dup_row = 20;
    plan.seq_conflict = 15;
    plan.gap = 10;
    plan.regenerated = 15;
    plan.absorbed_ios = 10;
    plan.absorbed_android = 10;
    plan.missing = 30;
    plan.malformed = 5;
    path_ = dir_.file("big.jsonl");
    truth_ = gen::generate(plan, gen::Format::jsonl, path_);
    opts_.inputs = {path_};
    opts_.check_gaps = true;
    opts_.threads = 2;
    opts_.temp_dir = dir_.path();
  }
  TempDir dir_;
  std::string path_;
  gen::Truth truth_;
  AuditOptions opts_;
};

TEST_F(AuditScale, SpillingGivesTheSameReport) {
  auto full = audit_ok(opts_);
  ASSERT_FALSE(full["run"]["spilled"].get<bool>());
  EXPECT_EQ(count(full, "duplicate_client_msg_no"), truth_.duplicate_client_msg_no);
  EXPECT_EQ(count(full, "seq_anomaly"), truth_.seq_conflict + truth_.gaps);

  AuditOptions tiny = opts_;
  tiny.memory_limit = 64 * 1024;  // far below the records' size: spills every block
  auto spilled = audit_ok(tiny);
  EXPECT_TRUE(spilled["run"]["spilled"].get<bool>());
  EXPECT_GT(spilled["run"]["spill_bytes"].get<uint64_t>(), 40000u * 80u);
  EXPECT_EQ(without_run(spilled), without_run(full));

  AuditOptions one_thread = opts_;
  one_thread.threads = 1;
  EXPECT_EQ(without_run(audit_ok(one_thread)), without_run(full));
}

TEST_F(AuditScale, ShardsMergeIntoTheSingleRunReport) {
  auto full = audit_ok(opts_);
  std::vector<nlohmann::json> parts;
  uint64_t dup_sum = 0;
  for (uint32_t k = 0; k < 3; ++k) {
    AuditOptions o = opts_;
    o.shard = k;
    o.shards = 3;
    if (k == 1) o.memory_limit = 64 * 1024;  // a shard may spill too
    parts.push_back(audit_ok(o));
    EXPECT_EQ(parts.back()["partial"]["shard"], k + 1);
    dup_sum += count(parts.back(), "duplicate_client_msg_no");
  }
  EXPECT_EQ(dup_sum, truth_.duplicate_client_msg_no);
  // Every shard found something: the split is real.
  for (auto& p : parts) EXPECT_GT(count(p, "duplicate_client_msg_no") + count(p, "missing_client_msg_no"), 0u);
  auto merged = merge_reports({parts[2], parts[0], parts[1]});
  ASSERT_TRUE(merged.ok()) << merged.error().describe();
  EXPECT_EQ(without_run(merged.value()), without_run(full));

  auto missing = merge_reports({parts[0], parts[1]});
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("shard 3/3 is missing"), std::string::npos);
  auto twice = merge_reports({parts[0], parts[0], parts[1]});
  ASSERT_FALSE(twice.ok());
  auto complete = merge_reports({full});
  ASSERT_FALSE(complete.ok());
}

TEST_F(AuditScale, MergeRejectsPartialsOfDifferentRuns) {
  std::vector<nlohmann::json> parts;
  for (uint32_t k = 0; k < 2; ++k) {
    AuditOptions o = opts_;
    o.shard = k;
    o.shards = 2;
    if (k == 1) o.scope = Scope::global;
    parts.push_back(audit_ok(o));
  }
  auto merged = merge_reports(parts);
  ASSERT_FALSE(merged.ok());
  EXPECT_NE(merged.error().message.find("options"), std::string::npos);
}

}  // namespace
}  // namespace wkit::audit::test
