// Uncompressed JSON lines are read positionally: each parser thread reads
// its own chunks of the file, and line numbers are resolved after parsing.
// The result must equal the streamed (decompressed) path byte for byte: line
// numbers across chunk boundaries, a last line without newline, CRLF, a line
// longer than a chunk, several inputs, and a --strict error's location.
#include <set>

#include "audit_test_util.hpp"

namespace wkit::audit::test {
namespace {

std::string line(uint64_t i, const std::string& cmn, uint64_t id, const std::string& pad = "") {
  return "{\"message_id\":" + std::to_string(id) + ",\"client_msg_no\":\"" + cmn + "\",\"message_seq\":" +
         std::to_string(i) + ",\"from_uid\":\"u1\",\"channel_id\":\"g1\",\"channel_type\":2,\"timestamp\":" +
         std::to_string(1767225600 + i) + ",\"payload\":\"" + pad + "\"}";
}

TEST(AuditMappedInput, SameReportAsTheStreamedPath) {
  TempDir dir;
  std::string text;
  const uint64_t n = 12000;  // ~2.5 MiB: several 1 MiB chunks
  for (uint64_t i = 1; i <= n; ++i) {
    std::string l;
    if (i == 7001) l = "{\"message_id\": oops";                               // malformed, in a later chunk
    else if (i == 9000) l = line(i, "dup", 900000, std::string(1 << 21, 'x'));  // longer than a chunk
    else if (i == n) l = line(i, "dup", 900001);                                // the duplicate, last line
    else l = line(i, "c" + std::to_string(i), 100000 + i);
    text += l + (i % 3 == 0 ? "\r\n" : "\n");
  }
  for (bool final_newline : {true, false}) {
    std::string body = final_newline ? text : text.substr(0, text.size() - 1);
    const std::string plain = dir.file(final_newline ? "a.jsonl" : "b.jsonl");
    write_file(plain, body);
    gen::compress_file(plain, plain + ".gz", false);
    AuditOptions o;
    o.fail_on = {};
    o.inputs = {plain};
    auto mapped = audit_ok(o);
    o.inputs = {plain + ".gz"};
    auto streamed = audit_ok(o);
    EXPECT_EQ(mapped["rows"], n - 1);
    EXPECT_EQ(mapped["malformed"]["count"], 1);
    EXPECT_EQ(mapped["malformed"]["examples"][0]["location"], plain + ":7001");
    ASSERT_EQ(mapped["summary"]["duplicate_client_msg_no"], 1);
    auto& msgs = mapped["findings"]["duplicate_client_msg_no"]["items"][0]["messages"];
    EXPECT_EQ(msgs[0]["location"], plain + ":9000");
    EXPECT_EQ(msgs[1]["location"], plain + ":" + std::to_string(n));
    // The same report apart from the input's name and compression.
    auto strip = [](nlohmann::json r) {
      r.erase("run");
      r.erase("inputs");
      std::string s = r.dump();
      for (const char* ext : {".gz:"})
        for (size_t p; (p = s.find(ext)) != std::string::npos;) s.replace(p, 3, "");
      return s;
    };
    EXPECT_EQ(strip(mapped), strip(streamed)) << "final newline: " << final_newline;
  }
}

TEST(AuditMappedInput, LinesOfSeveralInputsAndAStrictError) {
  TempDir dir;
  const uint64_t n = 9000;  // ~1.9 MiB each: several chunks
  auto make = [&](const std::string& name, uint64_t bad, uint64_t dup_at) {
    std::string text;
    for (uint64_t i = 1; i <= n; ++i) {
      if (i == bad) text += "{\"message_id\": oops\n";
      else if (i == 4000) text += line(i, "long-" + name, 700000 + i, std::string(1 << 20, 'y')) + "\n";
      else if (i == dup_at) text += line(i, "dup", 800000 + dup_at) + "\n";
      else text += line(i, name + std::to_string(i), (name == "a" ? 100000 : 200000) + i) + "\n";
    }
    write_file(dir.file(name + ".jsonl"), text);
    return dir.file(name + ".jsonl");
  };
  const std::string a = make("a", 8500, 6001), b = make("b", 0, 8999);
  AuditOptions o;
  o.fail_on = {};
  o.inputs = {a, b};
  auto r = audit_ok(o);
  EXPECT_EQ(r["rows"], 2 * n - 1);
  ASSERT_EQ(r["malformed"]["examples"].size(), 1u);
  EXPECT_EQ(r["malformed"]["examples"][0]["location"], a + ":8500");
  ASSERT_EQ(r["summary"]["duplicate_client_msg_no"], 1);
  auto& msgs = r["findings"]["duplicate_client_msg_no"]["items"][0]["messages"];
  EXPECT_EQ(msgs[0]["location"], a + ":6001");
  EXPECT_EQ(msgs[0]["pos"], 6001);
  EXPECT_EQ(msgs[1]["location"], b + ":8999");
  // --strict stops at the malformed line and names it, though its chunk was
  // parsed before the lines of the chunks ahead of it were counted.
  o.strict = true;
  o.progress = false;
  auto strict = run_audit(o);
  ASSERT_FALSE(strict.ok());
  EXPECT_EQ(strict.error().kind, ErrorKind::bad_input);
  EXPECT_NE(strict.error().describe().find(a + ":8500: "), std::string::npos) << strict.error().describe();
}

// client_msg_no strings are read back from the input file when they stand
// there verbatim, from the string log when escaped: both give the text.
TEST(AuditMappedInput, ClientMsgNoReadBackVerbatimEscapedOrNumber) {
  TempDir dir;
  auto row = [](uint64_t id, const std::string& cmn_json) {
    return "{\"message_id\":" + std::to_string(id) + ",\"client_msg_no\":" + cmn_json +
           ",\"from_uid\":\"u1\",\"channel_id\":\"g1\",\"channel_type\":2,\"timestamp\":1767225600}\n";
  };
  const std::string f = dir.file("c.jsonl");
  write_file(f, row(1, "\"d\\u0075p\"") + row(2, "\"dup\"") + row(3, "12345") + row(4, "\"12345\"") +
                    row(5, "\"q\\\"x\"") + row(6, "\"q\\\"x\""));
  AuditOptions o;
  o.fail_on = {};
  o.inputs = {f};
  auto r = audit_ok(o);
  ASSERT_EQ(r["summary"]["duplicate_client_msg_no"], 3);
  std::set<std::string> texts;
  for (auto& item : r["findings"]["duplicate_client_msg_no"]["items"]) {
    texts.insert(item["client_msg_no"].get<std::string>());
    for (auto& m : item["messages"]) EXPECT_EQ(m["client_msg_no"], item["client_msg_no"]);
  }
  EXPECT_EQ(texts, (std::set<std::string>{"dup", "12345", "q\"x"}));
}

}  // namespace
}  // namespace wkit::audit::test
