// Every finding, counted exactly, on generated stores in every input format.
#include "audit_test_util.hpp"

namespace wkit::audit::test {
namespace {

struct Case {
  gen::Format format;
  int compression;  // 0 none, 1 gzip, 2 zstd
};

std::string case_name(const testing::TestParamInfo<Case>& i) {
  static const char* comp[] = {"", "_gz", "_zst"};
  return std::string(gen::format_name(i.param.format)) + comp[i.param.compression];
}

class AuditFormats : public testing::TestWithParam<Case> {};

TEST_P(AuditFormats, FindsExactlyThePlantedAnomalies) {
  TempDir dir;
  gen::Plan plan;
  plan.rows = 3000;
  std::string path = dir.file(std::string("store.") + gen::format_name(GetParam().format));
  const gen::Truth truth = gen::generate(plan, GetParam().format, path);
  if (GetParam().compression) {
    const std::string packed = path + (GetParam().compression == 1 ? ".gz" : ".zst");
    gen::compress_file(path, packed, GetParam().compression == 2);
    path = packed;
  }
  AuditOptions o;
  o.inputs = {path};
  o.check_gaps = true;
  o.threads = 2;
  auto r = audit_ok(o);
  ASSERT_TRUE(r.contains("summary")) << r.dump();
  EXPECT_EQ(r["rows"].get<uint64_t>(), truth.rows);
  EXPECT_EQ(r["malformed"]["count"].get<uint64_t>(), truth.malformed);
  EXPECT_EQ(count(r, "duplicate_client_msg_no"), truth.duplicate_client_msg_no);
  EXPECT_EQ(count(r, "message_id_collision"), truth.message_id_collision);
  EXPECT_EQ(count(r, "duplicate_row"), truth.duplicate_row);
  EXPECT_EQ(count(r, "seq_anomaly"), truth.seq_conflict + truth.gaps);
  EXPECT_EQ(count(r, "suspected_regenerated_client_msg_no"), truth.suspected_regenerated);
  EXPECT_EQ(count(r, "absorbed_duplicate"), truth.absorbed_duplicate);
  EXPECT_EQ(count(r, "missing_client_msg_no"), truth.missing_client_msg_no);
  // Malformed records are reported with their line.
  if (!truth.malformed_lines.empty()) {
    ASSERT_FALSE(r["malformed"]["examples"].empty());
    EXPECT_EQ(r["malformed"]["examples"][0]["location"].get<std::string>(),
              path + ":" + std::to_string(truth.malformed_lines[0]));
  }
  // Which schema was recognised.
  const std::string fmt = r["inputs"][0]["format"];
  switch (GetParam().format) {
    case gen::Format::sqlite_android: EXPECT_EQ(fmt, "sqlite:android"); break;
    case gen::Format::sqlite_ios: EXPECT_EQ(fmt, "sqlite:ios"); break;
    case gen::Format::sqlite_server: EXPECT_EQ(fmt, "sqlite:wukongim-server"); break;
    case gen::Format::sqlite_wkit: EXPECT_EQ(fmt, "sqlite:wkit-store"); break;
    case gen::Format::jsonl: EXPECT_EQ(fmt, "jsonl"); break;
    case gen::Format::csv: EXPECT_EQ(fmt, "csv"); break;
    default: EXPECT_EQ(fmt, "json"); break;
  }
  EXPECT_EQ(r["inputs"][0]["compression"].get<std::string>(),
            GetParam().compression == 0 ? "none" : GetParam().compression == 1 ? "gzip" : "zstd");
  // Without --check-gaps the gaps are not findings.
  o.check_gaps = false;
  auto r2 = audit_ok(o);
  EXPECT_EQ(count(r2, "seq_anomaly"), truth.seq_conflict);
}

INSTANTIATE_TEST_SUITE_P(
    All, AuditFormats,
    testing::Values(Case{gen::Format::jsonl, 0}, Case{gen::Format::jsonl, 1}, Case{gen::Format::jsonl, 2},
                    Case{gen::Format::json_doc, 0}, Case{gen::Format::json_array, 0}, Case{gen::Format::json_array, 2},
                    Case{gen::Format::csv, 0}, Case{gen::Format::csv, 1}, Case{gen::Format::sqlite_android, 0},
                    Case{gen::Format::sqlite_ios, 0}, Case{gen::Format::sqlite_server, 0},
                    Case{gen::Format::sqlite_wkit, 0}, Case{gen::Format::sqlite_ios, 1}),
    case_name);

TEST(AuditFormats, TruthCoversEveryFindingInTextFormats) {
  // Guards the generator: a plan where a plant silently vanished would make
  // the format tests vacuous.
  TempDir dir;
  gen::Plan plan;
  plan.rows = 3000;
  auto t = gen::generate(plan, gen::Format::jsonl, dir.file("s.jsonl"));
  EXPECT_EQ(t.duplicate_client_msg_no, plan.dup_cmn);
  EXPECT_EQ(t.message_id_collision, plan.collision);
  EXPECT_EQ(t.duplicate_row, plan.dup_row);
  EXPECT_EQ(t.seq_conflict, plan.seq_conflict);
  EXPECT_EQ(t.gaps, plan.gap);
  EXPECT_EQ(t.suspected_regenerated, plan.regenerated);
  EXPECT_EQ(t.absorbed_duplicate, plan.absorbed_ios + plan.absorbed_android);
  EXPECT_EQ(t.missing_client_msg_no, plan.missing);
  EXPECT_EQ(t.malformed, plan.malformed);
}

TEST(AuditFormats, SeveralInputsAreOneStore) {
  // A resend in one export and its original in another is still a duplicate.
  TempDir dir;
  write_file(dir.file("a.jsonl"),
             R"({"message_id":1,"client_msg_no":"c1","message_seq":1,"from_uid":"u1","channel_id":"g1","channel_type":2,"timestamp":100,"payload":"aGk="})"
             "\n");
  write_file(dir.file("b.jsonl"),
             R"({"message_idstr":"2","client_msg_no":"c1","message_seq":2,"from_uid":"u1","channel_id":"g1","channel_type":2,"timestamp":101,"payload":"aGk="})"
             "\n");
  AuditOptions o;
  o.inputs = {dir.file("a.jsonl"), dir.file("b.jsonl")};
  auto r = audit_ok(o);
  EXPECT_EQ(count(r, "duplicate_client_msg_no"), 1u);
  const auto& item = r["findings"]["duplicate_client_msg_no"]["items"][0];
  EXPECT_EQ(item["client_msg_no"], "c1");
  EXPECT_EQ(item["from_uid"], "u1");
  EXPECT_EQ(item["messages"][0]["location"], dir.file("a.jsonl") + ":1");
  EXPECT_EQ(item["messages"][1]["location"], dir.file("b.jsonl") + ":1");
  EXPECT_EQ(item["messages"][1]["message_id"], 2u);
  EXPECT_EQ(item["time_spread_s"], 1);
  EXPECT_EQ(report_exit_code(r), 1);
}

TEST(AuditFormats, ScopeDecidesWhatADuplicateIs) {
  // Two senders reuse one client_msg_no in one channel: not a duplicate per
  // sender (WuKongIM 3.x's key), a duplicate per channel.
  TempDir dir;
  write_file(dir.file("s.jsonl"),
             R"({"message_id":1,"client_msg_no":"c1","message_seq":1,"from_uid":"u1","channel_id":"g1","channel_type":2,"timestamp":100,"payload":"YQ=="})"
             "\n"
             R"({"message_id":2,"client_msg_no":"c1","message_seq":2,"from_uid":"u2","channel_id":"g1","channel_type":2,"timestamp":100,"payload":"Yg=="})"
             "\n"
             R"({"message_id":3,"client_msg_no":"c1","message_seq":1,"from_uid":"u2","channel_id":"g2","channel_type":2,"timestamp":100,"payload":"Yg=="})"
             "\n");
  AuditOptions o;
  o.inputs = {dir.file("s.jsonl")};
  EXPECT_EQ(count(audit_ok(o), "duplicate_client_msg_no"), 0u);
  o.scope = Scope::channel;
  EXPECT_EQ(count(audit_ok(o), "duplicate_client_msg_no"), 1u);
  o.scope = Scope::global;
  auto r = audit_ok(o);
  EXPECT_EQ(count(r, "duplicate_client_msg_no"), 1u);
  EXPECT_EQ(r["findings"]["duplicate_client_msg_no"]["items"][0]["message_ids"], 3u);
}

TEST(AuditFormats, MapRenamesColumnsAndKeys) {
  TempDir dir;
  write_file(dir.file("m.csv"),
             "id,cmn,seq,sender,chan,ctype,ts,body\n"
             "10,x1,1,u1,g1,2,50,aa\n"
             "11,x1,2,u1,g1,2,51,aa\n");
  AuditOptions o;
  o.inputs = {dir.file("m.csv")};
  o.maps = {{"message_id", "id"}, {"client_msg_no", "cmn"}, {"message_seq", "seq"}, {"from_uid", "sender"},
            {"channel_id", "chan"}, {"channel_type", "ctype"}, {"timestamp", "ts"}, {"payload", "body"}};
  auto r = audit_ok(o);
  EXPECT_EQ(r["rows"], 2u);
  EXPECT_EQ(count(r, "duplicate_client_msg_no"), 1u);
  EXPECT_EQ(r["findings"]["duplicate_client_msg_no"]["items"][0]["channel_id"], "g1");

  write_file(dir.file("m.jsonl"), R"({"id":"10","cmn":"x1","chan":"g1","sender":"u1"})" "\n"
                                  R"({"id":"12","cmn":"x1","chan":"g1","sender":"u1"})" "\n");
  o.inputs = {dir.file("m.jsonl")};
  EXPECT_EQ(count(audit_ok(o), "duplicate_client_msg_no"), 1u);
}

TEST(AuditFormats, PayloadObjectsAndStringIds) {
  // message_idstr beyond 2^53, payload as a JSON object: same content twice.
  TempDir dir;
  write_file(dir.file("p.json"),
             R"({"messages":[{"message_idstr":"9007199254740993","client_msg_no":"a","from_uid":"u","channel_id":"g","channel_type":2,"timestamp":10,"payload":{"type":1,"content":"hi"}},)"
             R"({"message_idstr":"9007199254740993","client_msg_no":"a","from_uid":"u","channel_id":"g","channel_type":2,"timestamp":10,"payload":{"type":1,"content":"hi"}}]})");
  AuditOptions o;
  o.inputs = {dir.file("p.json")};
  auto r = audit_ok(o);
  EXPECT_EQ(r["inputs"][0]["format"], "json");
  EXPECT_EQ(count(r, "duplicate_row"), 1u);
  const auto& item = r["findings"]["duplicate_row"]["items"][0];
  EXPECT_EQ(item["message_idstr"], "9007199254740993");
  EXPECT_EQ(item["identical"], true);
  EXPECT_EQ(report_exit_code(r), 0);  // duplicate_row is not in the default --fail-on
}

}  // namespace
}  // namespace wkit::audit::test
