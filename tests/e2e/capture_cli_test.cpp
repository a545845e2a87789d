// `wkit capture import/info` and `wkit decode --input wkcap|pcap` as real
// processes on pcaps built in the test; the output-file rules (no overwrite
// without --force, an input is never the output) of capture import and
// `wkit proxy --capture`; corrupt versus cut-off pcaps.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "../unit/capture/pcap_builder.hpp"
#include "wkit/proto/codec.hpp"
#include "../support/temp_dir.hpp"
#include "support/wkit_commands.hpp"

namespace fs = std::filesystem;
using namespace wkit;

namespace {

using wkit::testing::TempDir;

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct Run {
  int code = -1;
  std::string out, err;
};

// Runs `wkit ARGS` with stdout and stderr captured to files.
Run wkit_run(const TempDir& dir, const std::string& args) {
  auto out = dir.path / "stdout", err = dir.path / "stderr";
  std::string cmd = std::string(WKIT_BINARY) + " " + args + " >" + out.string() + " 2>" + err.string();
  int st = std::system(cmd.c_str());
  Run r;
  r.code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  r.out = slurp(out);
  r.err = slurp(err);
  return r;
}

std::string enc(const proto::Frame& f) { return proto::encode_frame(f, 6).value(); }

// Byte offsets of the records of a classic pcap written by PcapBuilder (host byte order).
std::vector<size_t> record_offsets(const std::string& pcap) {
  std::vector<size_t> out;
  for (size_t at = 24; at + 16 <= pcap.size();) {
    out.push_back(at);
    uint32_t caplen;
    std::memcpy(&caplen, pcap.data() + at + 8, 4);
    at += 16 + caplen;
  }
  return out;
}

size_t files_in(const fs::path& dir) { return size_t(std::distance(fs::directory_iterator(dir), fs::directory_iterator())); }

// One client that sends m1 twice (its first SENDACK is not in the capture's
// server stream until after the resend) and m2 once; m2 gets no SENDACK.
std::string build_pcap() {
  proto::Connect c;
  c.version = 6;
  c.uid = "alice";
  c.client_key = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
  proto::Connack ca;
  ca.has_server_version = true;
  ca.server_version = 6;
  ca.reason_code = 1;
  auto send = [](uint32_t seq, std::string_view cmn) {
    proto::Send s;
    s.client_seq = seq;
    s.client_msg_no = cmn;
    s.channel_id = "bob";
    s.channel_type = 1;
    s.payload.data = "ZW5jcnlwdGVk";
    return enc(s);
  };
  auto ack = [](uint32_t seq, int64_t id) {
    proto::Sendack a;
    a.client_seq = seq;
    a.message_id = id;
    a.message_seq = 1;
    a.reason_code = 1;
    return enc(a);
  };
  wkit::testing::PcapBuilder b;
  wkit::testing::PcapBuilder::Flow f;
  std::string c2s, s2c;
  auto cdata = [&](const std::string& bytes, uint64_t t) { b.data(f, true, c2s.size(), bytes, t); c2s += bytes; };
  auto sdata = [&](const std::string& bytes, uint64_t t) { b.data(f, false, s2c.size(), bytes, t); s2c += bytes; };
  b.syn(f, 1'700'000'000'000'000);
  b.synack(f, 1'700'000'000'000'100);
  cdata(enc(c), 1'700'000'000'000'200);
  sdata(enc(ca), 1'700'000'000'000'300);
  cdata(send(1, "m1"), 1'700'000'000'001'000);
  cdata(send(1, "m1"), 1'700'000'000'002'000);  // the resend
  sdata(ack(1, 555), 1'700'000'000'002'100);
  sdata(ack(1, 556), 1'700'000'000'002'200);    // a non-idempotent server
  cdata(send(2, "m2"), 1'700'000'000'003'000);
  return b.bytes();
}

}  // namespace

TEST(CaptureCli, ImportInfoDecode) {
  TempDir dir;
  auto pcap = dir.path / "in.pcap";
  std::ofstream(pcap, std::ios::binary) << build_pcap();
  auto wk = dir.path / "out.wkcap";
  auto imp = wkit_run(dir, "capture import " + pcap.string() + " --out " + wk.string() + " -o json");
  ASSERT_EQ(imp.code, 0) << imp.err;
  auto ij = nlohmann::json::parse(imp.out);
  EXPECT_EQ(ij["connections"], 1);
  EXPECT_EQ(ij["frames"], 7);
  ASSERT_TRUE(fs::exists(wk));

  for (const auto& input : {wk, pcap}) {  // info reads both forms the same way
    auto info = wkit_run(dir, "capture info " + input.string() + " -o json");
    ASSERT_EQ(info.code, 0) << info.err;
    auto j = nlohmann::json::parse(info.out);
    EXPECT_EQ(j["frames"], 7);
    EXPECT_EQ(j["users"], nlohmann::json::array({"alice"}));
    EXPECT_EQ(j["frames_by_type"]["SEND"], 3);
    ASSERT_EQ(j["resends"].size(), 1u);
    EXPECT_EQ(j["resends"][0]["client_msg_no"], "m1");
    EXPECT_EQ(j["resends"][0]["sends"], 2);
    ASSERT_EQ(j["duplicate_message_ids"].size(), 1u);
    EXPECT_EQ(j["duplicate_message_ids"][0]["message_ids"], nlohmann::json::array({555, 556}));
    ASSERT_EQ(j["unacked_sends"].size(), 1u);
    EXPECT_EQ(j["unacked_sends"][0]["client_msg_no"], "m2");
    EXPECT_EQ(j["encrypted_payloads"], 3);
  }
  auto text = wkit_run(dir, "capture info " + wk.string());
  ASSERT_EQ(text.code, 0);
  EXPECT_NE(text.out.find("DUPLICATE"), std::string::npos);

  auto dec = wkit_run(dir, "decode --input wkcap " + wk.string() + " -o jsonl");
  ASSERT_EQ(dec.code, 0) << dec.err;
  std::istringstream lines(dec.out);
  std::vector<nlohmann::json> frames;
  for (std::string l; std::getline(lines, l);) frames.push_back(nlohmann::json::parse(l));
  ASSERT_EQ(frames.size(), 7u);
  EXPECT_EQ(frames[0]["frame_type"], "CONNECT");
  EXPECT_EQ(frames[0]["direction"], "c2s");
  EXPECT_EQ(frames[2]["frame_type"], "SEND");
  EXPECT_EQ(frames[2]["payload_state"], "encrypted");
  EXPECT_EQ(frames[2]["connection_id"], 1);
  // auto-detected by magic, pcap directly
  auto dec2 = wkit_run(dir, "decode " + pcap.string() + " -o jsonl");
  ASSERT_EQ(dec2.code, 0) << dec2.err;
  EXPECT_EQ(std::count(dec2.out.begin(), dec2.out.end(), '\n'), 7);
}

TEST(CaptureCli, TruncatedCaptureWarnsWithOffsetAndKeepsRecords) {
  TempDir dir;
  auto pcap = dir.path / "in.pcap";
  std::ofstream(pcap, std::ios::binary) << build_pcap();
  auto wk = dir.path / "out.wkcap";
  ASSERT_EQ(wkit_run(dir, "capture import " + pcap.string() + " --out " + wk.string()).code, 0);
  std::string full = slurp(wk);
  auto cut = dir.path / "cut.wkcap";
  std::ofstream(cut, std::ios::binary).write(full.data(), full.size() - 3);
  auto info = wkit_run(dir, "capture info " + cut.string() + " -o json");
  ASSERT_EQ(info.code, 0) << info.err;
  EXPECT_NE(info.err.find("file ends inside the record at byte"), std::string::npos) << info.err;
  auto j = nlohmann::json::parse(info.out);
  EXPECT_TRUE(j.contains("truncated"));
  EXPECT_GE(j["frames"].get<int>(), 6);
}

TEST(CaptureCli, BadInputExits4WithoutOutputFile) {
  TempDir dir;
  auto junk = dir.path / "junk.pcap";
  std::ofstream(junk) << "definitely not a capture\n";
  auto out = dir.path / "o.wkcap";
  auto imp = wkit_run(dir, "capture import " + junk.string() + " --out " + out.string());
  EXPECT_EQ(imp.code, 4);
  EXPECT_NE(imp.err.find("byte 0"), std::string::npos) << imp.err;
  EXPECT_EQ(std::count(imp.err.begin(), imp.err.end(), '\n'), 1);
  EXPECT_FALSE(fs::exists(out));
  EXPECT_EQ(std::distance(fs::directory_iterator(dir.path), fs::directory_iterator()), 3);  // junk + stdout/stderr
  auto info = wkit_run(dir, "capture info " + junk.string());
  EXPECT_EQ(info.code, 4);
  // A .wkcap whose second record is corrupt: error names the byte offset.
  auto pcap = dir.path / "in.pcap";
  std::ofstream(pcap, std::ios::binary) << build_pcap();
  auto wk = dir.path / "good.wkcap";
  ASSERT_EQ(wkit_run(dir, "capture import " + pcap.string() + " --out " + wk.string()).code, 0);
  std::string bytes = slurp(wk);
  size_t hdr_len = static_cast<uint8_t>(bytes[8]);
  size_t rec1 = 8 + 1 + hdr_len;
  bytes[rec1] = '\x7F';       // first record's length prefix now claims 127 bytes...
  bytes[rec1 + 1] = '\xFF';   // ...and its body starts with an invalid tag
  auto bad = dir.path / "bad.wkcap";
  std::ofstream(bad, std::ios::binary) << bytes;
  auto r = wkit_run(dir, "capture info " + bad.string());
  EXPECT_EQ(r.code, 4) << r.err;
  EXPECT_NE(r.err.find("byte " + std::to_string(rec1)), std::string::npos) << r.err;
}

TEST(CaptureCli, ImportRefusesAnExistingOutputUnlessForced) {
  TempDir dir;
  auto pcap = dir.path / "in.pcap";
  std::ofstream(pcap, std::ios::binary) << build_pcap();
  auto wk = dir.path / "out.wkcap";
  std::ofstream(wk) << "keep me";
  auto imp = wkit_run(dir, "capture import " + pcap.string() + " --out " + wk.string());
  EXPECT_EQ(imp.code, 2);
  EXPECT_EQ(imp.err, "wkit capture import: " + wk.string() + " exists (use --force to replace it)\n");
  EXPECT_EQ(slurp(wk), "keep me");
  EXPECT_EQ(files_in(dir.path), 4u);  // in, out, stdout, stderr: no temporary file
  auto forced = wkit_run(dir, "capture import " + pcap.string() + " --out " + wk.string() + " --force");
  ASSERT_EQ(forced.code, 0) << forced.err;
  auto info = wkit_run(dir, "capture info " + wk.string() + " -o json");
  ASSERT_EQ(info.code, 0) << info.err;
  EXPECT_EQ(nlohmann::json::parse(info.out)["frames"], 7);
  EXPECT_EQ(files_in(dir.path), 4u);
}

// `-o` is the summary format, as everywhere; `-o FILE` (the spelling before
// --out) still writes FILE for one release, with one warning line.
TEST(CaptureCli, DashOIsTheFormatAndTheOldFileSpellingWarns) {
  TempDir dir;
  auto pcap = dir.path / "in.pcap";
  std::ofstream(pcap, std::ios::binary) << build_pcap();
  const std::string warning_start = "wkit capture import: warning: -o FILE for the output file is deprecated";

  // The old spelling of both flags at once: file through -o, format through --output.
  auto old_wk = dir.path / "old.wkcap";
  auto old = wkit_run(dir, "capture import -o " + old_wk.string() + " " + pcap.string() + " --output json");
  ASSERT_EQ(old.code, 0) << old.err;
  EXPECT_EQ(nlohmann::json::parse(old.out)["frames"], 7);
  EXPECT_EQ(old.err.rfind(warning_start, 0), 0u) << old.err;
  EXPECT_NE(old.err.find("write --out " + old_wk.string()), std::string::npos) << old.err;
  EXPECT_EQ(std::count(old.err.begin(), old.err.end(), '\n'), 1) << old.err;
  ASSERT_TRUE(fs::exists(old_wk));

  // The new spelling: no warning, and `-o json` is never a file named json.
  auto new_wk = dir.path / "new.wkcap";
  auto now = wkit_run(dir, "capture import " + pcap.string() + " -o json --out " + new_wk.string());
  ASSERT_EQ(now.code, 0) << now.err;
  EXPECT_EQ(now.err, "");
  EXPECT_EQ(nlohmann::json::parse(now.out)["output"], new_wk.string());
  EXPECT_EQ(slurp(new_wk), slurp(old_wk));
  EXPECT_FALSE(fs::exists(dir.path / "json"));

  // Refused (exit 2, nothing written): a format without --out, a value that
  // is neither a format nor a path, and two output files.
  const size_t files_before = files_in(dir.path);
  auto no_out = wkit_run(dir, "capture import " + pcap.string() + " -o json");
  EXPECT_EQ(no_out.code, 2);
  EXPECT_NE(no_out.err.find("--out FILE is required"), std::string::npos) << no_out.err;
  auto yaml = wkit_run(dir, "capture import " + pcap.string() + " -o yaml --out " + (dir.path / "y.wkcap").string());
  EXPECT_EQ(yaml.code, 2);
  EXPECT_NE(yaml.err.find("'yaml' is not a format (text or json)"), std::string::npos) << yaml.err;
  auto both = wkit_run(dir, "capture import " + pcap.string() + " -o " + (dir.path / "a.wkcap").string() + " --out " +
                                (dir.path / "b.wkcap").string());
  EXPECT_EQ(both.code, 2);
  EXPECT_NE(both.err.find("give the output file once, as --out FILE"), std::string::npos) << both.err;
  EXPECT_EQ(files_in(dir.path), files_before);
}

TEST(CaptureCli, ImportNeverWritesOverItsInput) {
  TempDir dir;
  auto pcap = dir.path / "in.pcap";
  const std::string bytes = build_pcap();
  std::ofstream(pcap, std::ios::binary) << bytes;
  fs::create_symlink(pcap, dir.path / "link.pcap");
  for (const auto& out : {pcap, dir.path / "." / "in.pcap", dir.path / "link.pcap"}) {
    for (std::string force : {"", " --force"}) {
      auto imp = wkit_run(dir, "capture import " + pcap.string() + " --out " + out.string() + force);
      EXPECT_EQ(imp.code, 2) << out;
      EXPECT_EQ(imp.err.rfind("wkit capture import: " + out.string() + " is also an input (" + pcap.string() + ")", 0),
                0u)
          << imp.err;
      EXPECT_EQ(std::count(imp.err.begin(), imp.err.end(), '\n'), 1);
    }
  }
  EXPECT_EQ(slurp(pcap), bytes);
  EXPECT_EQ(files_in(dir.path), 4u);  // in, link, stdout, stderr
}

TEST(CaptureCli, CorruptPcapExits4NamingPacketAndOffsetOrIsSkipped) {
  TempDir dir;
  std::string bytes = build_pcap();
  auto offsets = record_offsets(bytes);
  ASSERT_EQ(offsets.size(), 9u);
  uint32_t huge = 0x7FFFFFF0;
  std::memcpy(bytes.data() + offsets[5] + 8, &huge, 4);  // the captured length of the 6th packet (the resend)
  auto pcap = dir.path / "bad.pcap";
  std::ofstream(pcap, std::ios::binary) << bytes;
  auto wk = dir.path / "out.wkcap";
  auto imp = wkit_run(dir, "capture import " + pcap.string() + " --out " + wk.string());
  EXPECT_EQ(imp.code, 4);
  EXPECT_NE(imp.err.find("packet 6 at byte " + std::to_string(offsets[5]) + ": corrupt record"), std::string::npos)
      << imp.err;
  EXPECT_EQ(std::count(imp.err.begin(), imp.err.end(), '\n'), 1);
  EXPECT_FALSE(fs::exists(wk));
  EXPECT_EQ(files_in(dir.path), 3u);  // bad.pcap, stdout, stderr: nothing half written

  auto skipped = wkit_run(dir, "capture import " + pcap.string() + " --out " + wk.string() + " --skip-bad -o json");
  ASSERT_EQ(skipped.code, 0) << skipped.err;
  auto j = nlohmann::json::parse(skipped.out);
  EXPECT_EQ(j["packets"], 8);
  EXPECT_EQ(j["skipped_bad_records"], 1);
  EXPECT_EQ(j["skipped_bad_bytes"], offsets[6] - offsets[5]);
  ASSERT_EQ(j["bad_records"].size(), 1u);
  EXPECT_NE(j["bad_records"][0].get<std::string>().find("packet 6 at byte " + std::to_string(offsets[5])),
            std::string::npos);
  EXPECT_NE(skipped.err.find("skipped 1 corrupt record(s)"), std::string::npos) << skipped.err;
  // The connection goes on after the skipped packet: a gap, not a guess.
  EXPECT_EQ(j["connections"], 1);
  EXPECT_EQ(j["gaps"], 1);

  auto text = wkit_run(dir, "capture import " + pcap.string() + " --out " + wk.string() + " --skip-bad --force");
  ASSERT_EQ(text.code, 0) << text.err;
  EXPECT_NE(text.out.find("corrupt records skipped 1 (" + std::to_string(offsets[6] - offsets[5]) + " bytes)"),
            std::string::npos)
      << text.out;
}

TEST(CaptureCli, CutOffPcapImportsWhatIsThereAndSaysWhere) {
  TempDir dir;
  std::string bytes = build_pcap();
  auto offsets = record_offsets(bytes);
  auto pcap = dir.path / "cut.pcap";
  std::ofstream(pcap, std::ios::binary) << bytes.substr(0, offsets.back() + 20);
  auto wk = dir.path / "out.wkcap";
  auto imp = wkit_run(dir, "capture import " + pcap.string() + " --out " + wk.string() + " -o json");
  ASSERT_EQ(imp.code, 0) << imp.err;
  EXPECT_NE(imp.err.find("is cut off at byte " + std::to_string(offsets.back()) + ", inside packet 9"),
            std::string::npos)
      << imp.err;
  auto j = nlohmann::json::parse(imp.out);
  EXPECT_EQ(j["packets"], 8);
  EXPECT_EQ(j["file_truncated_offset"], offsets.back());
  EXPECT_TRUE(fs::exists(wk));
}

TEST(CaptureCli, ProxyCaptureRefusesAnExistingFileAndRenamesOnStop) {
  TempDir dir;
  auto cap = dir.path / "rec.wkcap";
  std::ofstream(cap) << "an earlier capture";
  // Port 1 on loopback: nothing listens there (the proxy refuses before relaying anything).
  auto refused = wkit::testing::run_wkit(
      {"proxy", "--listen", "tcp://127.0.0.1:0", "--upstream", "tcp://127.0.0.1:1", "--capture", cap.string()},
      std::chrono::seconds(20));
  EXPECT_EQ(refused.code, 2);
  EXPECT_EQ(refused.err, "wkit proxy: " + cap.string() + " exists (use --force to replace it)\n");
  EXPECT_EQ(slurp(cap), "an earlier capture");

  wkit::testing::ProxyProcess proxy("tcp://127.0.0.1:0", "tcp://127.0.0.1:1", {"--capture", cap.string(), "--force"});
  auto line = proxy.process().wait_stderr([](const std::string& l) { return l.find("written as") != std::string::npos; });
  ASSERT_TRUE(line);
  const std::string temp_prefix = cap.string() + ".tmp-";
  auto at = line->find(temp_prefix);
  ASSERT_NE(at, std::string::npos) << *line;
  std::string temp = line->substr(at, temp_prefix.size() + 6);
  // One client through the proxy (the upstream is down: CONNACK 15), which
  // also shows the proxy is serving, with its signal handling in place.
  auto sent = wkit::testing::run_wkit({"send", "-s", proxy.url(), "-u", "alice", "--to", "bob", "--text", "x"});
  EXPECT_EQ(sent.code, 3) << sent.err;
  EXPECT_TRUE(fs::exists(temp)) << temp;
  EXPECT_EQ(slurp(cap), "an earlier capture");  // replaced only when the proxy stops
  ASSERT_EQ(proxy.stop(), 0);
  EXPECT_FALSE(fs::exists(temp));
  auto info = wkit_run(dir, "capture info " + cap.string() + " -o json");
  ASSERT_EQ(info.code, 0) << info.err;
  EXPECT_EQ(nlohmann::json::parse(info.out)["frames_by_type"]["CONNACK"], 1);
  EXPECT_EQ(files_in(dir.path), 3u);  // rec.wkcap, stdout, stderr
}

TEST(CaptureCli, KilledProxyLeavesItsCaptureUnderTheTemporaryName) {
  TempDir dir;
  auto cap = dir.path / "rec.wkcap";
  wkit::testing::ProxyProcess proxy("tcp://127.0.0.1:0", "tcp://127.0.0.1:1", {"--capture", cap.string()});
  auto line = proxy.process().wait_stderr([](const std::string& l) { return l.find("written as") != std::string::npos; });
  ASSERT_TRUE(line);
  auto at = line->find(cap.string() + ".tmp-");
  ASSERT_NE(at, std::string::npos) << *line;
  std::string temp = line->substr(at, cap.string().size() + 11);
  EXPECT_EQ(proxy.process().signal_and_wait(SIGKILL), 128 + SIGKILL);
  EXPECT_FALSE(fs::exists(cap));
  EXPECT_EQ(slurp(temp).substr(0, 8), std::string("\x89WKCAP\r\n"));
  auto info = wkit_run(dir, "capture info " + temp + " -o json");  // readable as it is
  ASSERT_EQ(info.code, 0) << info.err;
  EXPECT_EQ(nlohmann::json::parse(info.out)["records"], 0);
}

namespace {

// One connection whose client sends `n` SENDs: a pcap big enough that the
// import is still running when the test interrupts it.
std::string build_big_pcap(uint32_t n) {
  proto::Connect c;
  c.version = 6;
  c.uid = "alice";
  c.client_key = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
  wkit::testing::PcapBuilder b;
  wkit::testing::PcapBuilder::Flow f;
  uint32_t c2s = 0;
  uint64_t t = 1'700'000'000'000'000;
  b.syn(f, t);
  b.synack(f, t + 1);
  auto cdata = [&](const std::string& bytes) {
    b.data(f, true, c2s, bytes, t += 10);
    c2s += static_cast<uint32_t>(bytes.size());
  };
  cdata(enc(c));
  for (uint32_t i = 1; i <= n; ++i) {
    proto::Send s;
    s.client_seq = i;
    const std::string cmn = "m" + std::to_string(i);
    s.client_msg_no = cmn;
    s.channel_id = "bob";
    s.channel_type = 1;
    s.payload.data = "ZW5jcnlwdGVk";
    cdata(enc(s));
  }
  return b.bytes();
}

}  // namespace

// SIGINT while importing: the summary says so, exit 130, and neither the
// output nor its temporary file is left (nothing half-imported appears).
TEST(CaptureCli, SigintStopsTheImportAndWritesNothing) {
  TempDir dir;
  auto pcap = dir.path / "big.pcap";
  std::ofstream(pcap, std::ios::binary) << build_big_pcap(1'500'000);
  auto wk = dir.path / "out.wkcap";
  wkit::testing::Process imp({WKIT_BINARY, "capture", "import", pcap.string(), "--out", wk.string(), "-o", "json"});
  // The temporary output appears with the first record: the import is under way.
  bool started = false;
  for (int i = 0; i < 400 && !started; ++i) {
    for (auto& e : fs::directory_iterator(dir.path))
      started = started || e.path().filename().string().rfind("out.wkcap.tmp", 0) == 0;
    if (!started) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_TRUE(started) << imp.stderr_text();
  auto code = imp.signal_and_wait(SIGINT);
  ASSERT_TRUE(code.has_value());
  if (*code == 0) GTEST_SKIP() << "the import finished before the signal: nothing to check";
  EXPECT_EQ(*code, 130) << imp.stderr_text();
  std::string out;
  for (auto& l : imp.stdout_lines()) out += l + "\n";
  auto j = nlohmann::json::parse(out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << out;
  EXPECT_EQ(j["interrupted"], "SIGINT");
  EXPECT_TRUE(j["output"].is_null());
  EXPECT_GT(j["records_read"].get<uint64_t>(), 0u);
  EXPECT_NE(imp.stderr_text().find("wkit capture import: SIGINT: stopping"), std::string::npos) << imp.stderr_text();
  EXPECT_FALSE(fs::exists(wk));
  EXPECT_EQ(files_in(dir.path), 1u);  // big.pcap only: no temporary file left
}
