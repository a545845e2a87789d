// Unreadable input is an error with file:line; malformed records are counted
// unless --strict.
#include "audit_test_util.hpp"

namespace wkit::audit::test {
namespace {

Result<nlohmann::json> audit(std::vector<std::string> inputs, bool strict = false) {
  AuditOptions o;
  o.inputs = std::move(inputs);
  o.strict = strict;
  o.progress = false;
  return run_audit(o);
}

const char* kGood = R"({"message_id":1,"client_msg_no":"a","from_uid":"u","channel_id":"g","channel_type":2})";

TEST(AuditInputErrors, MalformedLinesAreCountedWithLocations) {
  TempDir dir;
  const std::string f = dir.file("m.jsonl");
  write_file(f, std::string(kGood) + "\nnot json\n\n" + kGood + "\n{\"message_seq\": -1}\n[1,2]\n");
  auto r = audit({f});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value()["rows"], 2u);
  EXPECT_EQ(r.value()["malformed"]["count"], 3u);
  const auto& ex = r.value()["malformed"]["examples"];
  ASSERT_EQ(ex.size(), 3u);
  EXPECT_EQ(ex[0]["location"], f + ":2");
  EXPECT_EQ(ex[1]["location"], f + ":5");
  EXPECT_NE(ex[1]["message"].get<std::string>().find("message_seq"), std::string::npos);
  EXPECT_EQ(ex[2]["location"], f + ":6");
  EXPECT_EQ(ex[2]["message"], "not a JSON object");
}

TEST(AuditInputErrors, StrictStopsAtAMalformedLine) {
  TempDir dir;
  const std::string f = dir.file("m.jsonl");
  write_file(f, std::string(kGood) + "\n" + kGood + "\n{\"message_id\": \"x1\"}\n");
  auto r = audit({f}, true);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::bad_input);
  EXPECT_EQ(r.error().message.rfind(f + ":3: message_id", 0), 0u) << r.error().message;
}

TEST(AuditInputErrors, UnreadableInputs) {
  TempDir dir;
  auto missing = audit({dir.file("nope.jsonl")});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().kind, ErrorKind::bad_input);
  EXPECT_NE(missing.error().message.find("cannot open"), std::string::npos);

  write_file(dir.file("bin"), std::string("\x01\x02\x03garbage\x00\xff", 12));
  auto garbage = audit({dir.file("bin")});
  ASSERT_FALSE(garbage.ok());
  EXPECT_NE(garbage.error().message.find("cannot tell the input format"), std::string::npos);

  write_file(dir.file("doc.json"), "{\n \"messages\": [\n  {\"message_id\": 1},\n  {\"message_id\": 2\n");
  auto truncated = audit({dir.file("doc.json")});
  ASSERT_FALSE(truncated.ok());
  EXPECT_NE(truncated.error().message.find("unexpected end of the JSON document"), std::string::npos)
      << truncated.error().message;
  EXPECT_NE(truncated.error().message.find("line 4"), std::string::npos) << truncated.error().message;

  write_file(dir.file("nomsg.json"), "{\n \"status\": 200,\n \"data\": [1]\n}\n");
  auto nomsg = audit({dir.file("nomsg.json")});
  ASSERT_FALSE(nomsg.ok());
  EXPECT_NE(nomsg.error().message.find("no `messages` array"), std::string::npos);

  // A gzip file cut short.
  const std::string plain = dir.file("p.jsonl"), gz = dir.file("p.jsonl.gz");
  std::string many;
  for (int i = 0; i < 2000; ++i) many += std::string(kGood) + "\n";
  write_file(plain, many);
  gen::compress_file(plain, gz, false);
  std::filesystem::resize_file(gz, std::filesystem::file_size(gz) / 2);
  auto cut = audit({gz});
  ASSERT_FALSE(cut.ok());
  EXPECT_NE(cut.error().message.find("truncated gzip"), std::string::npos) << cut.error().message;

  write_file(dir.file("h.csv"), "a,b,c\n1,2,3\n");
  auto csv = audit({dir.file("h.csv")});
  ASSERT_FALSE(csv.ok());
  EXPECT_NE(csv.error().message.find(":1: CSV header"), std::string::npos);

  write_file(dir.file("x.db"), "SQLite format 3");
  auto db = audit({dir.file("x.db")});
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.error().kind, ErrorKind::bad_input);
}

TEST(AuditInputErrors, SqliteWithoutMessageTable) {
  TempDir dir;
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(dir.file("t.db").c_str(), &db), SQLITE_OK);
  sqlite3_exec(db, "CREATE TABLE other (x INTEGER)", nullptr, nullptr, nullptr);
  sqlite3_close(db);
  auto r = audit({dir.file("t.db")});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("no table 'message'"), std::string::npos);
}

TEST(AuditInputErrors, UsageErrors) {
  AuditOptions o;
  o.progress = false;
  auto none = run_audit(o);
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().kind, ErrorKind::usage);
  o.inputs = {"-", "-"};
  EXPECT_EQ(run_audit(o).error().kind, ErrorKind::usage);
  o.inputs = {"x"};
  o.fail_on = {"no_such_finding"};
  EXPECT_EQ(run_audit(o).error().kind, ErrorKind::usage);
}

}  // namespace
}  // namespace wkit::audit::test
