// `wkit audit` and `wkit decode` end on SIGINT/SIGTERM with what they read so
// far: the input is a named pipe the test keeps open, so the command is still
// waiting for more when the signal comes (no timing guess).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "../support/temp_dir.hpp"
#include "support/open_fifo.hpp"
#include "support/wkit_commands.hpp"

namespace {

using nlohmann::json;
using wkit::testing::jsonl;
using wkit::testing::OpenFifo;
using wkit::testing::Process;
using wkit::testing::TempDir;

std::string record(uint64_t id, const std::string& client_msg_no) {
  return R"({"message_id":)" + std::to_string(id) + R"(,"client_msg_no":")" + client_msg_no +
         R"(","message_seq":)" + std::to_string(id) +
         R"(,"from_uid":"alice","channel_id":"g1","channel_type":2,"timestamp":1767225600,"payload":"aGk="})" + "\n";
}

std::string joined(const std::vector<std::string>& lines) {
  std::string s;
  for (auto& l : lines) s += l + "\n";
  return s;
}

// Sends `sig` once the command has taken everything written, and returns its
// exit code (-1 if it did not end within 15 s).
int interrupt(Process& p, OpenFifo& fifo, int sig) {
  EXPECT_TRUE(fifo.wait_drained()) << "the command never read its input: " << p.stderr_text();
  return p.signal_and_wait(sig, std::chrono::seconds(15)).value_or(-1);
}

TEST(AuditSignal, SigintReportsTheRecordsReadWithTheirFindings) {
  TempDir dir;
  OpenFifo fifo((dir.path / "export.jsonl").string());
  // Three whole records, two of them one client_msg_no under two message_ids,
  // then a record cut short: the audit must not read it as malformed.
  fifo.write(record(1, "dup") + record(2, "dup") + record(3, "single") + R"({"message_id":4,"client_)");
  Process audit({WKIT_BINARY, "audit", "--no-progress", "-o", "json", fifo.path()});
  EXPECT_EQ(interrupt(audit, fifo, SIGINT), 1) << audit.stderr_text();
  const auto r = json::parse(joined(audit.stdout_lines()), nullptr, false);
  ASSERT_TRUE(r.is_object()) << joined(audit.stdout_lines()) << audit.stderr_text();
  EXPECT_EQ(r["interrupted"], "SIGINT");
  EXPECT_EQ(r["rows"], 3);
  EXPECT_EQ(r["malformed"]["count"], 0);
  EXPECT_EQ(r["summary"]["duplicate_client_msg_no"], 1);
  EXPECT_EQ(r["status"], "findings");
  EXPECT_EQ(r["result"], "findings");
  EXPECT_EQ(audit.stderr_lines(), std::vector<std::string>{"wkit audit: SIGINT: stopping, reporting what was read"});
}

TEST(AuditSignal, SigtermWithoutFindingsIsUnverifiedEvenWithAllowUnreadable) {
  TempDir dir;
  OpenFifo fifo((dir.path / "export.jsonl").string());
  fifo.write(record(1, "a") + record(2, "b"));
  // --allow-unreadable forgives unreadable records, not an audit that stopped early.
  Process audit({WKIT_BINARY, "audit", "--no-progress", "--allow-unreadable", "-o", "json", fifo.path()});
  EXPECT_EQ(interrupt(audit, fifo, SIGTERM), 1) << audit.stderr_text();
  const auto r = json::parse(joined(audit.stdout_lines()), nullptr, false);
  ASSERT_TRUE(r.is_object()) << joined(audit.stdout_lines()) << audit.stderr_text();
  EXPECT_EQ(r["interrupted"], "SIGTERM");
  EXPECT_EQ(r["rows"], 2);
  EXPECT_EQ(r["summary"]["duplicate_client_msg_no"], 0);
  EXPECT_EQ(r["status"], "unverified");  // it did not read everything: never "clean"
  EXPECT_NE(audit.stderr_text().find("wkit audit: SIGTERM: stopping, reporting what was read"), std::string::npos);
}

TEST(AuditSignal, TextReportFromStdinSaysItWasInterrupted) {
  TempDir dir;
  OpenFifo fifo((dir.path / "stdin").string());
  fifo.write(record(1, "a") + record(2, "b"));
  Process audit({WKIT_BINARY, "audit", "--no-progress", "-o", "text", "-"}, fifo.path());
  EXPECT_EQ(interrupt(audit, fifo, SIGINT), 1) << audit.stderr_text();
  const std::string out = joined(audit.stdout_lines());
  EXPECT_NE(out.find("wkit audit: 1 input, 2 rows, interrupted (SIGINT)"), std::string::npos) << out;
  EXPECT_NE(out.find("result: unverified: interrupted (SIGINT) after 2 rows: not every record was read"),
            std::string::npos)
      << out;
}

TEST(AuditSignal, MarkdownReportSaysItWasInterrupted) {
  TempDir dir;
  OpenFifo fifo((dir.path / "export.jsonl").string());
  fifo.write(record(1, "dup") + record(2, "dup"));
  Process audit({WKIT_BINARY, "audit", "--no-progress", "-o", "md", fifo.path()});
  EXPECT_EQ(interrupt(audit, fifo, SIGINT), 1) << audit.stderr_text();
  const std::string out = joined(audit.stdout_lines());
  EXPECT_NE(out.find("- Interrupted: interrupted (SIGINT) after 2 rows"), std::string::npos) << out;
  EXPECT_NE(out.find("- Result: **findings** (duplicate_client_msg_no); there may be more findings"),
            std::string::npos)
      << out;
}

// A SENDACK, a PING, then the first bytes of another frame.
const char* kFramesThenHalf = "40 15 144fafe23faee32e 00003039 000000010005eca3 01\n70\n40 15 14";

TEST(DecodeSignal, SigintEndsAfterTheLastWholeFrameWithExit130) {
  TempDir dir;
  OpenFifo fifo((dir.path / "frames.hex").string());
  fifo.write(kFramesThenHalf);
  Process decode({WKIT_BINARY, "decode", "--input", "hex", "-o", "jsonl", fifo.path()});
  // Frames from a pipe are printed as they come, not when the input ends.
  ASSERT_TRUE(decode.wait_stdout([](const std::string& l) { return l.find("\"PING\"") != std::string::npos; }))
      << decode.stderr_text();
  EXPECT_EQ(interrupt(decode, fifo, SIGINT), 130) << decode.stderr_text();
  const auto frames = jsonl(joined(decode.stdout_lines()));
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_EQ(frames[0]["frame_type"], "SENDACK");
  EXPECT_EQ(frames[1]["frame_type"], "PING");
  // The half frame is where the signal cut the input, not a truncated stream.
  EXPECT_EQ(decode.stderr_lines(), std::vector<std::string>{"wkit decode: SIGINT: stopping after the current frame"});
}

TEST(DecodeSignal, SigtermOnStdinPrintsTheJsonDocumentMarkedInterrupted) {
  TempDir dir;
  OpenFifo fifo((dir.path / "stdin").string());
  fifo.write(kFramesThenHalf);
  Process decode({WKIT_BINARY, "decode", "--input", "hex", "-o", "json"}, fifo.path());
  EXPECT_EQ(interrupt(decode, fifo, SIGTERM), 143) << decode.stderr_text();
  const auto doc = json::parse(joined(decode.stdout_lines()), nullptr, false);
  ASSERT_TRUE(doc.is_object()) << joined(decode.stdout_lines()) << decode.stderr_text();
  EXPECT_EQ(doc["count"], 2);
  EXPECT_EQ(doc["interrupted"], "SIGTERM");
  EXPECT_TRUE(doc["errors"].empty()) << doc["errors"].dump();
}

// A FIFO named on the command line was sniffed for a capture's magic bytes by
// a second open, which took its first bytes away from the decoder.
TEST(DecodeSignal, AFifoNamedOnTheCommandLineLosesNoBytes) {
  TempDir dir;
  OpenFifo fifo((dir.path / "frames.hex").string());
  fifo.write("70\n80\n");
  Process decode({WKIT_BINARY, "decode", "-o", "jsonl", fifo.path()});
  EXPECT_EQ(interrupt(decode, fifo, SIGINT), 130) << decode.stderr_text();
  const auto frames = jsonl(joined(decode.stdout_lines()));
  ASSERT_EQ(frames.size(), 2u) << decode.stderr_text();
  EXPECT_EQ(frames[0]["frame_type"], "PING");
  EXPECT_EQ(frames[1]["frame_type"], "PONG");
}

}  // namespace
