// Records the audit could not read make it "unverified", never "clean";
// inputs without client_msg_no and message_id are refused; the messages of
// a duplicate are marked original/copy whatever the input order.
#include <sqlite3.h>

#include <algorithm>
#include <map>
#include <random>

#include "audit_test_util.hpp"

namespace wkit::audit::test {
namespace {

using nlohmann::json;

std::string line(uint64_t id, const std::string& cmn, uint64_t seq, int64_t ts, const std::string& payload = "aGk=") {
  return R"({"message_id":)" + std::to_string(id) + R"(,"client_msg_no":")" + cmn + R"(","message_seq":)" +
         std::to_string(seq) + R"(,"from_uid":"u1","channel_id":"g1","channel_type":2,"timestamp":)" +
         std::to_string(ts) + R"(,"payload":")" + payload + "\"}\n";
}

// Two lines that would form a duplicate, made unreadable by a byte that is
// not UTF-8 inside a string (the third breaks an unrelated record).
std::string hidden_duplicate_jsonl() {
  std::string s = line(1, "a", 1, 100) + line(2, "b", 2, 101);
  auto broken = [](uint64_t id, const std::string& cmn, const char* bad_byte) {
    std::string l = line(id, cmn, id, int64_t(100 + id));
    const size_t at = l.find("\"u1\"") + 3;  // inside the from_uid string
    return l.insert(at, bad_byte);
  };
  s += broken(3, "dup", "\xff");
  s += line(4, "c", 4, 103);
  s += broken(5, "dup", "\xfe");
  s += broken(6, "e", "\xc3");
  return s;
}

AuditOptions options_for(std::vector<std::string> inputs) {
  AuditOptions o;
  o.inputs = std::move(inputs);
  o.progress = false;
  return o;
}

TEST(AuditUnreadable, InvalidUtf8HidingTheOnlyDuplicateIsUnverifiedNotClean) {
  TempDir dir;
  const std::string f = dir.file("bad8.jsonl");
  write_file(f, hidden_duplicate_jsonl());
  auto r = audit_ok(options_for({f}));
  EXPECT_EQ(r["rows"], 3u);
  EXPECT_EQ(count(r, "duplicate_client_msg_no"), 0u);  // the duplicate is not visible...
  EXPECT_EQ(r["status"], "unverified");                // ... so the audit must not say clean
  EXPECT_EQ(r["result"], "unverified");
  EXPECT_EQ(report_exit_code(r), 1);
  const json& in = r["inputs"][0];
  EXPECT_EQ(in["malformed"], 3u);
  EXPECT_EQ(in["skipped"], 0u);
  EXPECT_EQ(in["unreadable"], 3u);
  const json& u = r["unreadable"];
  EXPECT_EQ(u["count"], 3u);
  EXPECT_EQ(u["malformed"], 3u);
  EXPECT_EQ(u["skipped"], 0u);
  ASSERT_EQ(u["examples"].size(), 3u);
  EXPECT_EQ(u["examples"][0]["location"], f + ":3");
  EXPECT_EQ(u["examples"][1]["location"], f + ":5");
  EXPECT_EQ(u["examples"][2]["location"], f + ":6");
  EXPECT_EQ(u["examples"][0]["kind"], "malformed");

  const std::string text = render_text(r, false);
  EXPECT_NE(text.find("result: unverified: 3 records could not be read (3 malformed, 0 skipped)"), std::string::npos)
      << text;
  EXPECT_NE(text.find("unreadable: " + f + ": 3 malformed, 0 skipped"), std::string::npos) << text;
  EXPECT_EQ(text.find("result: clean"), std::string::npos);
  const std::string md = render_markdown(r);
  EXPECT_NE(md.find("- Result: **unverified**"), std::string::npos) << md;
  EXPECT_NE(md.find("- Unreadable: 3 records could not be read"), std::string::npos) << md;

  // --allow-unreadable changes the exit code, not the verdict.
  AuditOptions o = options_for({f});
  o.allow_unreadable = true;
  auto allowed = audit_ok(o);
  EXPECT_EQ(allowed["status"], "unverified");
  EXPECT_EQ(allowed["options"]["allow_unreadable"], true);
  EXPECT_EQ(report_exit_code(allowed), 0);
  EXPECT_NE(render_text(allowed, false).find("(exit 0: --allow-unreadable)"), std::string::npos);
}

TEST(AuditUnreadable, JsonDocumentElementsAreNamedByLineAndByteOffset) {
  // One line holds every element: the byte offset tells them apart.
  TempDir dir;
  const std::string f = dir.file("one-line.json");
  const std::string good = R"({"message_id":1,"client_msg_no":"a"})";
  const std::string bad = R"({"message_id":"x1","client_msg_no":"b"})";
  write_file(f, "[" + good + "," + bad + "," + good + "]");
  auto r = audit_ok(options_for({f}));
  EXPECT_EQ(r["status"], "unverified");
  ASSERT_EQ(r["unreadable"]["examples"].size(), 1u);
  const json& e = r["unreadable"]["examples"][0];
  EXPECT_EQ(e["location"], f + ":1");
  EXPECT_EQ(e["offset"], 1 + good.size() + 1);  // where the bad element's '{' is
  EXPECT_EQ(r["malformed"]["examples"][0]["offset"], e["offset"]);
  EXPECT_NE(render_text(r, false).find("malformed: " + f + ":1 (byte " + std::to_string(1 + good.size() + 1) + ")"),
            std::string::npos)
      << render_text(r, false);
}

TEST(AuditUnreadable, FindingsBesideUnreadableRecordsStillFail) {
  TempDir dir;
  const std::string f = dir.file("f.jsonl");
  write_file(f, line(1, "x", 1, 100) + line(2, "x", 2, 101) + "{\"message_id\": oops\n");
  AuditOptions o = options_for({f});
  o.allow_unreadable = true;
  auto r = audit_ok(o);
  EXPECT_EQ(r["status"], "findings");
  EXPECT_EQ(report_exit_code(r), 1);
  EXPECT_EQ(r["unreadable"]["count"], 1u);
  EXPECT_NE(render_text(r, false).find("there may be more findings"), std::string::npos);
}

TEST(AuditUnreadable, CleanInputSaysCleanWithZeroCounts) {
  TempDir dir;
  const std::string f = dir.file("ok.jsonl");
  write_file(f, line(1, "a", 1, 100) + line(2, "b", 2, 101));
  auto r = audit_ok(options_for({f}));
  EXPECT_EQ(r["status"], "clean");
  EXPECT_EQ(r["result"], "clean");
  EXPECT_EQ(r["unreadable"]["count"], 0u);
  EXPECT_EQ(r["inputs"][0]["unreadable"], 0u);
  EXPECT_EQ(report_exit_code(r), 0);
  EXPECT_EQ(render_text(r, false).find("unreadable"), std::string::npos);
}

TEST(AuditUnreadable, ShardMergeCarriesTheUnreadableCounts) {
  TempDir dir;
  const std::string f = dir.file("bad8.jsonl");
  write_file(f, hidden_duplicate_jsonl());
  auto whole = audit_ok(options_for({f}));
  std::vector<json> parts;
  for (uint32_t k = 0; k < 3; ++k) {
    AuditOptions o = options_for({f});
    o.shard = k;
    o.shards = 3;
    parts.push_back(audit_ok(o));
    EXPECT_EQ(parts.back()["status"], "unverified");
  }
  auto merged = merge_reports(parts);
  ASSERT_TRUE(merged) << merged.error().describe();
  EXPECT_EQ(merged.value()["status"], "unverified");
  EXPECT_EQ(merged.value()["unreadable"]["count"], 3u);
  EXPECT_EQ(report_exit_code(merged.value()), 1);
  EXPECT_EQ(without_run(merged.value()), without_run(whole));

  // A partial whose unreadable counts differ is not of the same input.
  parts[1]["unreadable"]["count"] = 2;
  EXPECT_FALSE(merge_reports(parts));
}

Result<json> audit(std::vector<std::string> inputs, std::vector<std::pair<std::string, std::string>> maps = {}) {
  AuditOptions o = options_for(std::move(inputs));
  o.maps = std::move(maps);
  return run_audit(o);
}

void expect_refused(const Result<json>& r, const std::string& name, const std::string& seen) {
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::bad_input);
  EXPECT_EQ(r.error().message.rfind(name, 0), 0u) << r.error().message;
  EXPECT_NE(r.error().message.find("neither"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find(seen), std::string::npos) << r.error().message;
  EXPECT_EQ(r.error().message.find('\n'), std::string::npos);
}

TEST(AuditUnreadable, InputsWithoutClientMsgNoOrMessageIdAreRefused) {
  TempDir dir;
  const std::string jl = dir.file("k.jsonl");
  write_file(jl, "{\"id\":1,\"cmn\":\"a\",\"chan\":\"g\"}\n{\"id\":2,\"cmn\":\"a\",\"chan\":\"g\"}\n");
  auto r = audit({jl});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::bad_input);
  EXPECT_EQ(r.error().message,
            jl + ": no record has a client_msg_no or message_id (keys of the first record: id, cmn, chan; "
                 "use --map FIELD=COLUMN)");
  // After --map the same file is a store with a duplicate.
  auto mapped = audit({jl}, {{"message_id", "id"}, {"client_msg_no", "cmn"}, {"channel_id", "chan"}});
  ASSERT_TRUE(mapped.ok()) << mapped.error().describe();
  EXPECT_EQ(count(mapped.value(), "duplicate_client_msg_no"), 1u);

  const std::string doc = dir.file("k.json");
  write_file(doc, "{\"data\":[{\"zz\":1}],\"messages\":[\n {\"msgid\":1,\"text\":\"hi\"},\n {\"msgid\":2}\n]}\n");
  auto d = audit({doc});
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().message,
            doc + ": no record has a client_msg_no or message_id (keys of the first record: msgid, text; "
                  "use --map FIELD=COLUMN)");

  const std::string csv = dir.file("k.csv");
  write_file(csv, "id,cmn,chan\n1,a,g\n");
  expect_refused(audit({csv}), csv + ":1: CSV header", "(columns: id, cmn, chan;");

  const std::string db = dir.file("k.db");
  sqlite3* h = nullptr;
  ASSERT_EQ(sqlite3_open(db.c_str(), &h), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(h,
                         "CREATE TABLE message (id INTEGER, msg_no TEXT, channel_id TEXT);"
                         "INSERT INTO message VALUES (1, 'a', 'g'), (2, 'a', 'g');",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(h);
  expect_refused(audit({db}), db + ": table 'message'", "columns of table message: id, msg_no, channel_id;");
  auto db_mapped = audit({db}, {{"message_id", "id"}, {"client_msg_no", "msg_no"}});
  ASSERT_TRUE(db_mapped.ok()) << db_mapped.error().describe();
  EXPECT_EQ(count(db_mapped.value(), "duplicate_client_msg_no"), 1u);

  // Keys present but null in every record: nothing to audit either.
  const std::string nulls = dir.file("n.jsonl");
  write_file(nulls, "{\"message_id\":null,\"client_msg_no\":null}\n");
  EXPECT_FALSE(audit({nulls}).ok());
  // One record with a key is enough (others are counted as they always were).
  write_file(nulls, "{\"message_id\":null,\"client_msg_no\":null}\n{\"client_msg_no\":\"a\"}\n");
  EXPECT_TRUE(audit({nulls}).ok());
}

// The roles of the messages of the one duplicate_client_msg_no item, by message_id.
std::map<uint64_t, std::string> roles(const json& r) {
  std::map<uint64_t, std::string> out;
  const auto& items = r["findings"]["duplicate_client_msg_no"]["items"];
  EXPECT_EQ(items.size(), 1u);
  if (items.empty()) return out;
  for (const auto& m : items[0]["messages"]) out[m["message_id"].get<uint64_t>()] = m["role"].get<std::string>();
  return out;
}

TEST(AuditUnreadable, OriginalAndCopiesWhateverTheInputOrder) {
  // message_seq decides before message_id: id 30 was stored first (seq 1).
  std::vector<std::string> lines = {line(30, "k", 1, 100), line(10, "k", 2, 101), line(20, "k", 3, 102),
                                    line(40, "other", 4, 103), line(50, "z", 5, 104)};
  const std::map<uint64_t, std::string> want = {{10, "copy"}, {20, "copy"}, {30, "original"}};
  TempDir dir;
  std::vector<std::vector<std::string>> orders = {lines, {lines.rbegin(), lines.rend()}};
  std::mt19937 rng(7);
  for (int i = 0; i < 4; ++i) {
    orders.push_back(lines);
    std::shuffle(orders.back().begin(), orders.back().end(), rng);
  }
  for (size_t n = 0; n < orders.size(); ++n) {
    const std::string f = dir.file("o" + std::to_string(n) + ".jsonl");
    std::string text;
    for (auto& l : orders[n]) text += l;
    write_file(f, text);
    auto r = audit_ok(options_for({f}));
    EXPECT_EQ(roles(r), want) << "order " << n;
    const std::string t = render_text(r, false);
    EXPECT_NE(t.find("[original] message_id 30 seq 1"), std::string::npos) << t;
    EXPECT_NE(t.find("[copy] message_id 10 seq 2"), std::string::npos) << t;
    EXPECT_NE(render_markdown(r).find("`[copy] message_id 20 seq 3"), std::string::npos);
  }

  // Without seqs, the earliest (lowest) message_id is the original.
  const std::string noseq = dir.file("noseq.jsonl");
  write_file(noseq, "{\"message_id\":9,\"client_msg_no\":\"k\",\"channel_id\":\"g\"}\n"
                    "{\"message_id\":7,\"client_msg_no\":\"k\",\"channel_id\":\"g\"}\n"
                    "{\"message_id\":8,\"client_msg_no\":\"k\",\"channel_id\":\"g\"}\n");
  EXPECT_EQ(roles(audit_ok(options_for({noseq}))),
            (std::map<uint64_t, std::string>{{7, "original"}, {8, "copy"}, {9, "copy"}}));
}

TEST(AuditUnreadable, RegeneratedAndAbsorbedFindingsMarkRolesToo) {
  TempDir dir;
  const std::string f = dir.file("r.jsonl");
  // The same payload under two client_msg_nos 1 s apart: the second (seq 2) is the copy.
  write_file(f, line(61, "new", 2, 101, "c2FtZQ==") + line(60, "old", 1, 100, "c2FtZQ=="));
  auto r = audit_ok(options_for({f}));
  const auto& items = r["findings"]["suspected_regenerated_client_msg_no"]["items"];
  ASSERT_EQ(items.size(), 1u);
  for (const auto& m : items[0]["messages"])
    EXPECT_EQ(m["role"], m["message_id"] == 60u ? "original" : "copy") << m.dump();

  // iOS rule: the deleted "<no>-1" row is the copy, listed first.
  const std::string ios = dir.file("i.jsonl");
  write_file(ios,
             "{\"message_id\":71,\"client_msg_no\":\"n-1\",\"message_seq\":1,\"channel_id\":\"g\",\"is_deleted\":1}\n"
             "{\"message_id\":72,\"client_msg_no\":\"n\",\"message_seq\":2,\"channel_id\":\"g\"}\n");
  auto a = audit_ok(options_for({ios}));
  const auto& ai = a["findings"]["absorbed_duplicate"]["items"];
  ASSERT_EQ(ai.size(), 1u);
  EXPECT_EQ(ai[0]["messages"][0]["message_id"], 71u);
  EXPECT_EQ(ai[0]["messages"][0]["role"], "copy");
  EXPECT_EQ(ai[0]["messages"][1]["role"], "original");
}

}  // namespace
}  // namespace wkit::audit::test
