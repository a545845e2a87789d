// Incident-ready `wkit audit` output, end to end (docs/audit.md "Report"):
// one-line explanations, cut lists that say what they cut and how to get all
// (--max-listed), -o jsonl for jq, and pcap inputs imported on the fly.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "../tools/audit_store_gen.hpp"
#include "support/audit_dir_test.hpp"

namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using namespace wkit::audit;

using wkit::testing::CliRun;

class AuditReport : public wkit::testing::AuditDirTest {
 protected:
  // 30 items of every kind: more than the text report lists.
  std::string export_with_many_findings() {
    gen::Plan p;
    p.rows = 6000;
    p.channels = 60;
    p.dup_cmn = p.collision = p.dup_row = p.seq_conflict = p.gap = p.regenerated = p.absorbed_ios =
        p.absorbed_android = p.missing = p.user_deleted = 30;
    p.malformed = 0;
    gen::generate(p, gen::Format::jsonl, file("export.jsonl"));
    return file("export.jsonl");
  }
};

const char* const kExplanations[][2] = {
    {"duplicate_client_msg_no", "the server stored a resend again"},
    {"message_id_collision", "one message_id names different messages"},
    {"duplicate_row", "the same message stored more than once"},
    {"seq_anomaly", "sync by seq skips or repeats messages"},
    {"suspected_regenerated_client_msg_no", "which defeats idempotency"},
    {"absorbed_duplicate", "the duplicate reached the device and was hidden there"},
    {"missing_client_msg_no", "the server cannot recognise their resends"},
};

TEST_F(AuditReport, EveryFindingIsExplainedInTextAndMarkdown) {
  const std::string db = export_with_many_findings();
  const CliRun text = wkit("audit --no-progress --check-gaps '" + db + "'");
  const CliRun md = wkit("audit --no-progress --check-gaps -o md '" + db + "'");
  ASSERT_EQ(text.code, 1) << text.err;
  for (const auto& [name, why] : kExplanations) {
    EXPECT_NE(text.out.find(std::string(name) + " (10 of "), std::string::npos) << name << "\n" << text.out;
    EXPECT_NE(text.out.find(why), std::string::npos) << name;
    EXPECT_NE(md.out.find(why), std::string::npos) << name;
  }
}

TEST_F(AuditReport, CutListsSayHowManyAndMaxListedShowsAll) {
  const std::string db = export_with_many_findings();
  const json full = json::parse(wkit("audit --no-progress -o json '" + db + "'").out);
  const size_t dups = full["findings"]["duplicate_client_msg_no"]["items"].size();
  ASSERT_GT(dups, 10u);
  const std::string note = "10 of " + std::to_string(dups) + " items shown; all of them: -o json or -o jsonl, or --max-listed 0";
  EXPECT_NE(wkit("audit --no-progress '" + db + "'").out.find(note), std::string::npos);
  const std::string md_note = "20 of " + std::to_string(dups) + " items shown";
  EXPECT_NE(wkit("audit --no-progress -o md '" + db + "'").out.find(md_note), std::string::npos);

  const CliRun three = wkit("audit --no-progress --max-listed 3 '" + db + "'");
  EXPECT_NE(three.out.find("duplicate_client_msg_no (3 of " + std::to_string(dups) + ")"), std::string::npos) << three.out;

  // 0: every item (each one's client_msg_no appears), no note about cutting.
  const CliRun all = wkit("audit --no-progress --max-listed 0 '" + db + "'");
  EXPECT_EQ(all.code, 1) << all.err;
  EXPECT_EQ(all.out.find("shown; all of them"), std::string::npos);
  EXPECT_NE(all.out.find("duplicate_client_msg_no (" + std::to_string(dups) + " of " + std::to_string(dups) + ")"),
            std::string::npos);
  for (const auto& item : full["findings"]["duplicate_client_msg_no"]["items"])
    EXPECT_NE(all.out.find("client_msg_no " + item["client_msg_no"].get<std::string>() + " "), std::string::npos);

  EXPECT_EQ(wkit("audit --max-listed -1 '" + db + "'").code, 2);
}

TEST_F(AuditReport, JsonlIsOneFindingPerLineWithIdsAsStrings) {
  const std::string db = export_with_many_findings();
  const json full = json::parse(wkit("audit --no-progress --check-gaps -o json '" + db + "'").out);
  const CliRun lines = wkit("audit --no-progress --check-gaps -o jsonl '" + db + "'");
  EXPECT_EQ(lines.code, 1) << lines.err;  // the same verdict as the other formats
  std::istringstream in(lines.out);
  std::string line;
  std::map<std::string, size_t> per_kind;
  size_t n = 0;
  while (std::getline(in, line)) {
    const json j = json::parse(line);  // throws (fails) on a line that is not one JSON object
    const std::string kind = j.at("kind").get<std::string>();
    const json& item = full["findings"][kind]["items"][per_kind[kind]++];
    for (auto& [k, v] : item.items()) EXPECT_EQ(j.at(k), v) << kind << " " << k;  // the report's item, unchanged
    std::set<std::string> ids;
    for (const auto& m : item["messages"])
      if (m.contains("message_id")) ids.insert(std::to_string(m["message_id"].get<uint64_t>()));
    std::set<std::string> listed;
    for (const auto& s : j.at("message_idstrs")) listed.insert(s.get<std::string>());
    EXPECT_EQ(listed, ids) << line;
    EXPECT_EQ(listed.size(), j["message_idstrs"].size());  // each once
    ++n;
  }
  size_t items = 0;
  for (const char* k : {"duplicate_client_msg_no", "message_id_collision", "duplicate_row", "seq_anomaly",
                        "suspected_regenerated_client_msg_no", "absorbed_duplicate", "missing_client_msg_no"}) {
    items += full["findings"][k]["items"].size();
    EXPECT_EQ(per_kind[k], full["findings"][k]["items"].size()) << k;
  }
  EXPECT_EQ(n, items);
  EXPECT_GT(n, 200u);
}

TEST_F(AuditReport, PcapIsImportedOnTheFly) {
  const std::string pcap = std::string(WKIT_SOURCE_DIR) + "/tests/fuzz/corpus/fuzz_pcap_import/session.pcap";
  const CliRun direct = wkit("audit --no-progress -o json '" + pcap + "'");
  ASSERT_EQ(direct.code, 0) << direct.err;
  ASSERT_EQ(wkit("capture import '" + pcap + "' --out '" + file("s.wkcap") + "'").code, 0);
  const CliRun imported = wkit("audit --no-progress -o json '" + file("s.wkcap") + "'");
  ASSERT_EQ(imported.code, 0) << imported.err;
  const json a = json::parse(direct.out), b = json::parse(imported.out);
  EXPECT_EQ(a["inputs"][0]["format"], "pcap");
  EXPECT_EQ(a["inputs"][0]["pcap"]["connections"], 1);
  EXPECT_EQ(a["rows"], 1);
  EXPECT_EQ(a["inputs"][0]["capture"], b["inputs"][0]["capture"]);
  EXPECT_EQ(a["findings"], b["findings"]);
  EXPECT_EQ(a["status"], "clean");

  // Compressed, and cut off inside a packet: the lost packet is a skipped record.
  ASSERT_EQ(std::system(("gzip -c '" + pcap + "' > '" + file("s.pcap.gz") + "'").c_str()), 0);
  EXPECT_EQ(json::parse(wkit("audit --no-progress -o json '" + file("s.pcap.gz") + "'").out)["rows"], 1);
  ASSERT_EQ(std::system(("head -c 560 '" + pcap + "' > '" + file("cut.pcap") + "'").c_str()), 0);
  const CliRun cut = wkit("audit --no-progress -o json '" + file("cut.pcap") + "'");
  EXPECT_EQ(cut.code, 1);
  const json c = json::parse(cut.out);
  EXPECT_EQ(c["status"], "unverified");
  EXPECT_EQ(c["unreadable"]["skipped"], 1);

  // A capture without WKProto: refused with a hint, not reported clean.
  ASSERT_EQ(std::system(("head -c 24 '" + pcap + "' > '" + file("empty.pcap") + "'").c_str()), 0);
  const CliRun empty = wkit("audit --no-progress '" + file("empty.pcap") + "'");
  EXPECT_EQ(empty.code, 4);
  EXPECT_NE(empty.err.find("no WKProto connection"), std::string::npos) << empty.err;
  EXPECT_NE(empty.err.find("wkit capture import"), std::string::npos) << empty.err;
}

}  // namespace
