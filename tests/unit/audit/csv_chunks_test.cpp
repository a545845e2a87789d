// CSV inputs are cut into ~1 MiB chunks at record ends found by quote parity:
// a newline inside a quoted field must never end a chunk, wherever it falls.
#include <gtest/gtest.h>

#include <string>

#include "audit_test_util.hpp"

namespace wkit::audit::test {
namespace {

TEST(AuditCsvChunks, QuotedNewlinesAndQuotesAcrossChunkCuts) {
  TempDir dir;
  std::string csv = "message_id,client_msg_no,message_seq,from_uid,channel_id,channel_type,timestamp,payload\n";
  uint64_t line = 2;           // the line the next record starts at
  uint64_t last_line = 0;      // of the last record
  constexpr int kRows = 60000;  // ~4 MB: several chunk cuts
  for (int i = 0; i < kRows; ++i) {
    // The last two rows: one client_msg_no, two message_ids (a finding).
    const std::string cmn = i >= kRows - 2 ? "dup" : "c" + std::to_string(i);
    std::string payload = "\"p \"\"q\"\" " + std::to_string(i);
    // 0-4 quoted newlines and a run of 1-40 bytes, so cuts fall at every offset.
    for (int k = 0; k < i % 5; ++k) payload += "\n,\"\"x";
    payload += std::string(1 + i % 40, i % 3 ? 'y' : '"');
    if (i % 3 == 0 && (1 + i % 40) % 2) payload += '"';  // keep the doubled quotes paired
    payload += "\"";
    last_line = line;
    csv += std::to_string(1000 + i) + "," + cmn + "," + std::to_string(i + 1) + ",u1,g1,2," +
           std::to_string(100 + i) + "," + payload + (i % 7 == 0 ? "\r\n" : "\n");
    line += 1 + i % 5;
  }
  ASSERT_GT(csv.size(), 3u << 20);
  write_file(dir.file("q.csv"), csv);
  AuditOptions o;
  o.inputs = {dir.file("q.csv")};
  o.threads = 2;
  auto r = audit_ok(o);
  EXPECT_EQ(r["rows"], uint64_t(kRows));
  EXPECT_EQ(r["malformed"]["count"], 0u);
  ASSERT_EQ(r["findings"]["duplicate_client_msg_no"]["count"], 1u);
  const auto& msgs = r["findings"]["duplicate_client_msg_no"]["items"][0]["messages"];
  ASSERT_EQ(msgs.size(), 2u);
  EXPECT_EQ(msgs[1]["pos"], last_line);
  EXPECT_EQ(msgs[1]["location"], dir.file("q.csv") + ":" + std::to_string(last_line));
}

}  // namespace
}  // namespace wkit::audit::test
