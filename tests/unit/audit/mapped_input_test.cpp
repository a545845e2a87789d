// Uncompressed JSON lines are parsed straight from a mapping of the file
// (chunks point into it; only a tail near the end is copied). The result must
// equal the streamed (decompressed) path byte for byte: line numbers across
// chunk boundaries, a last line without newline, CRLF, a line longer than a
// chunk.
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

}  // namespace
}  // namespace wkit::audit::test
