// `--progress always|never` on a non-terminal stderr (docs/cli.md "Progress"):
// real wkit processes print plain progress lines with the documented fields
// on stderr, one per --progress-interval, while stdout keeps only results
// (every stdout line still parses as JSON); `never` and `auto` (stderr is a
// pipe here) print none. Lines appear only where the run is certain to last
// longer than the interval (a --duration, a recorded timeline, a reader
// waiting on a FIFO); nothing asserts how many or when.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>

#include "../../cli/progress_lines.hpp"
#include "support/open_fifo.hpp"
#include "support/process.hpp"
#include "support/serve_process.hpp"
#include "support/wkit_commands.hpp"

using nlohmann::json;
using wkit::testing::Done;
using wkit::testing::OpenFifo;
using wkit::testing::Process;
using wkit::testing::ProxyProcess;
using wkit::testing::run_wkit;
using wkit::testing::ServeProcess;
using wkit::testing::TempDir;

namespace {

const std::vector<std::string> kAlways = {"--progress", "always", "--progress-interval", "200ms"};

std::vector<std::string> with(std::vector<std::string> args, const std::vector<std::string>& more) {
  args.insert(args.end(), more.begin(), more.end());
  return args;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

// The stderr lines that are progress lines of `command` ("send: elapsed ...").
std::vector<std::string> progress_lines(const std::string& err, const std::string& command) {
  std::vector<std::string> out;
  for (auto& l : lines_of(err))
    if (l.rfind(command + ": elapsed ", 0) == 0) out.push_back(l);
  return out;
}

// Every stdout line is JSON (jsonl), or stdout is one JSON document (json).
void expect_json_lines(const std::string& out) {
  size_t n = 0;
  for (auto& l : lines_of(out)) {
    if (l.empty()) continue;
    EXPECT_FALSE(json::parse(l, nullptr, false).is_discarded()) << "not JSON on stdout: " << l;
    ++n;
  }
  EXPECT_GT(n, 0u);
}
void expect_json_document(const std::string& out) {
  EXPECT_FALSE(json::parse(out, nullptr, false).is_discarded()) << "stdout is not one JSON document:\n" << out;
}

// No terminal control in plain lines: no carriage return, no escape.
void expect_plain(const std::string& err) {
  EXPECT_EQ(err.find('\r'), std::string::npos);
  EXPECT_EQ(err.find('\x1b'), std::string::npos);
}

const std::string kDur = R"((-|[0-9.]+(ns|us|ms|s)|([0-9]+h)?([0-9]+m)?[0-9]+s))";
const std::string kRate = R"([0-9.]+[kM]?/s)";

}  // namespace

TEST(Progress, SendDurationRunPrintsWindowLinesOnStderrAndCleanJsonlOnStdout) {
  ServeProcess serve({"--in-memory"});
  auto r = run_wkit(with({"send", "-s", serve.tcp(), "-u", "alice", "--to", "bob", "--duration", "1s", "--rate", "100/s",
                          "-o", "jsonl"},
                         kAlways));
  ASSERT_EQ(r.code, 0) << r.err;
  expect_json_lines(r.out);
  EXPECT_EQ(json::parse(lines_of(r.out).back()).value("type", ""), "summary");  // the summary is last
  expect_plain(r.err);
  auto lines = progress_lines(r.err, "send");
  ASSERT_FALSE(lines.empty()) << r.err;
  const std::regex shape("send: elapsed " + kDur + ", sent [0-9]+, acked [0-9]+, rate " + kRate + ", p99 " + kDur +
                         ", remaining " + kDur);
  for (auto& l : lines) EXPECT_TRUE(std::regex_match(l, shape)) << l;
}

TEST(Progress, SendCountRunShowsTheTotalAndRemaining) {
  ServeProcess serve({"--in-memory"});
  auto r = run_wkit(with({"send", "-s", serve.tcp(), "-u", "alice", "--to", "bob", "--count", "150", "--rate", "100/s",
                          "-o", "json"},
                         kAlways));
  ASSERT_EQ(r.code, 0) << r.err;
  expect_json_document(r.out);
  EXPECT_EQ(json::parse(r.out)["acknowledged"], 150);
  auto lines = progress_lines(r.err, "send");
  ASSERT_FALSE(lines.empty()) << r.err;
  const std::regex shape("send: elapsed " + kDur + ", sent [0-9]+ of 150, acked [0-9]+, rate " + kRate + ", p99 " +
                         kDur + ", remaining " + kDur);
  for (auto& l : lines) EXPECT_TRUE(std::regex_match(l, shape)) << l;
}

TEST(Progress, NeverAndAutoOnAPipePrintNone) {
  ServeProcess serve({"--in-memory"});
  for (std::string mode : {"never", "auto"}) {
    auto r = run_wkit({"send", "-s", serve.tcp(), "-u", "alice", "--to", "bob", "--duration", "600ms", "--rate",
                       "100/s", "-o", "json", "--progress", mode, "--progress-interval", "100ms"});
    ASSERT_EQ(r.code, 0) << r.err;
    expect_json_document(r.out);
    EXPECT_TRUE(progress_lines(r.err, "send").empty()) << mode << ":\n" << r.err;
    EXPECT_EQ(r.err.find("elapsed"), std::string::npos) << r.err;
  }
}

TEST(Progress, RecvShowsReceivedAndRemainingOfItsTimeout) {
  ServeProcess serve({"--in-memory"});
  auto r = run_wkit(with({"recv", "-s", serve.tcp(), "-u", "bob", "--timeout", "1s", "-o", "json"}, kAlways));
  ASSERT_EQ(r.code, 0) << r.err;
  expect_json_document(r.out);
  expect_plain(r.err);
  auto lines = progress_lines(r.err, "recv");
  ASSERT_FALSE(lines.empty()) << r.err;
  const std::regex shape("recv: elapsed " + kDur + ", received 0, unique 0, rate " + kRate + ", remaining " + kDur);
  for (auto& l : lines) EXPECT_TRUE(std::regex_match(l, shape)) << l;
}

TEST(Progress, ReplayShowsFramesAndSessionsOfTheTotal) {
  TempDir dir;
  const std::string capture = (dir.path / "run.wkcap").string();
  {
    ServeProcess serve({"--in-memory"});
    ProxyProcess proxy("tcp://127.0.0.1:0", serve.tcp(), {"--capture", capture});
    auto sent = run_wkit({"send", "-s", proxy.url(), "-u", "alice", "--to", "bob", "--duration", "1s", "--rate",
                          "20/s", "-o", "json", "--progress", "never"});
    ASSERT_EQ(sent.code, 0) << sent.err;
    ASSERT_EQ(proxy.stop(), 0) << proxy.process().stderr_text();
  }
  ServeProcess target({"--in-memory"});
  // --speed 1 keeps the recorded second: the replay lasts longer than the interval.
  auto r = run_wkit(with({"replay", capture, "-s", target.tcp(), "-o", "json"}, kAlways));
  ASSERT_EQ(r.code, 0) << r.err << r.out;
  expect_json_document(r.out);
  const auto frames = json::parse(r.out)["frames_sent"].get<uint64_t>();
  expect_plain(r.err);
  auto lines = progress_lines(r.err, "replay");
  ASSERT_FALSE(lines.empty()) << r.err;
  const std::regex shape("replay: elapsed " + kDur + ", frames [0-9]+ of " + std::to_string(frames) +
                         ", sessions [01] of 1, rate " + kRate + ", remaining " + kDur);
  for (auto& l : lines) EXPECT_TRUE(std::regex_match(l, shape)) << l;

  auto quiet = run_wkit({"replay", capture, "-s", target.tcp(), "-o", "json", "--speed", "max", "--progress", "never"});
  ASSERT_EQ(quiet.code, 0) << quiet.err;
  EXPECT_TRUE(progress_lines(quiet.err, "replay").empty()) << quiet.err;
}

// An audit reading a FIFO that stays open is certain to be running when a
// line is due; closing the FIFO ends it.
TEST(Progress, AuditShowsBytesAndRowsWhileReading) {
  TempDir dir;
  std::optional<OpenFifo> fifo(std::in_place, (dir.path / "store.jsonl").string());
  fifo->write("{\"message_id\":1,\"client_msg_no\":\"a\",\"message_seq\":1,\"from_uid\":\"u1\",\"channel_id\":\"g1\","
              "\"channel_type\":2,\"timestamp\":1700000001}\n");
  Process audit(with({WKIT_BINARY, "audit", fifo->path(), "--input-format", "jsonl", "-o", "json"}, kAlways));
  auto line = audit.wait_stderr([](const std::string& l) { return l.rfind("audit: elapsed ", 0) == 0; },
                                std::chrono::seconds(20));
  ASSERT_TRUE(line) << audit.stderr_text();
  fifo.reset();  // end of input
  ASSERT_EQ(audit.wait_exit(std::chrono::seconds(30)), 0) << audit.stderr_text();
  std::string out;
  for (auto& l : audit.stdout_lines()) out += l + "\n";
  expect_json_document(out);
  const std::string err = audit.stderr_text();
  expect_plain(err);
  const std::regex shape("audit: elapsed " + kDur + ", read [0-9.]+ [KMGTPE]?i?B, rows [0-9]+, rate " + kRate);
  for (auto& l : progress_lines(err, "audit")) EXPECT_TRUE(std::regex_match(l, shape)) << l;

  // --no-progress still means never.
  const std::string file = (dir.path / "small.jsonl").string();
  std::ofstream(file) << "{\"message_id\":1,\"client_msg_no\":\"a\"}\n";
  auto quiet = run_wkit(with({"audit", file, "-o", "json", "--no-progress"}, kAlways));
  EXPECT_EQ(quiet.code, 0) << quiet.err;
  EXPECT_TRUE(progress_lines(quiet.err, "audit").empty()) << quiet.err;
}

// A small pcap imports faster than any interval, so a line may or may not
// come: what is checked is that stdout stays one JSON document and that any
// line has the documented fields.
TEST(Progress, CaptureImportKeepsStdoutCleanAndLinesHaveTheFields) {
  TempDir dir;
  const std::string pcap = std::string(WKIT_SOURCE_DIR) + "/tests/fuzz/corpus/fuzz_pcap_import/session.pcap";
  for (std::string mode : {"always", "never"}) {
    const std::string out = (dir.path / (mode + ".wkcap")).string();
    auto r = run_wkit({"capture", "import", pcap, "--out", out, "-o", "json", "--progress", mode, "--progress-interval",
                       "100ms"});
    ASSERT_EQ(r.code, 0) << r.err;
    expect_json_document(r.out);
    auto lines = progress_lines(r.err, "capture import");
    if (mode == "never") EXPECT_TRUE(lines.empty()) << r.err;
    const std::regex shape("capture import: elapsed " + kDur + ", read .+ of .+, packets [0-9]+, rate .+/s, remaining " +
                           kDur);
    for (auto& l : lines) EXPECT_TRUE(std::regex_match(l, shape)) << l;
  }
}

TEST(Progress, ImportLineFields) {
  wkit::util::ProgressWindow w(wkit::util::ProgressWindow::Clock::time_point{});
  auto s = w.close(1 << 20, wkit::util::ProgressWindow::Clock::time_point{} + std::chrono::seconds(1));
  EXPECT_EQ(wkit::cli::import_progress_line(s, 4 << 20, 1200),
            "capture import: elapsed 1s, read 1 MiB of 4 MiB, packets 1200, rate 1 MiB/s, remaining 3s");
}

TEST(Progress, BadFlagValuesAreUsageErrors) {
  for (std::vector<std::string> bad : {std::vector<std::string>{"--progress", "sometimes"},
                                       std::vector<std::string>{"--progress-interval", "10ms"},
                                       std::vector<std::string>{"--progress-interval", "soon"}}) {
    auto r = run_wkit(with({"replay", "/nonexistent.wkcap", "-s", "tcp://127.0.0.1:1"}, bad));
    EXPECT_EQ(r.code, 2) << bad[0] << " " << bad[1] << ": " << r.err;
    EXPECT_NE(r.err.find("--progress"), std::string::npos) << r.err;
  }
}
