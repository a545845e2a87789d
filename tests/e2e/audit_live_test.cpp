// `wkit audit http://HOST:PORT`: live audits through POST /channel/messagesync
// of a real `wkit serve` (docs/audit.md "Live audit"): planted duplicates
// (--dedup off, the same client_msg_no sent twice) found over several pages
// in a group and a person channel, the same findings as the audit of the
// store file, exit codes of clean and duplicated stores, --since-seq, a
// wrong port, a non-member, WuKongIM 2.x answers, and SIGINT.
#include <gtest/gtest.h>

#include <algorithm>
#include <csignal>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "../support/temp_dir.hpp"
#include "support/api_serve.hpp"
#include "support/http_client.hpp"
#include "support/process.hpp"
#include "support/wkit_commands.hpp"
#include "wkit/util/channel.hpp"

using namespace wkit::testing;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

// `wkit serve` with the HTTP API and the group g1, and sends through it.
class LiveServe : public ApiServe {
 public:
  LiveServe(std::vector<std::string> extra, const std::string& data_dir = "")
      : ApiServe(with_group(std::move(extra)), data_dir) {}

  // POST /message/send; the answer's message_idstr (3.x) or data.message_idstr (2.x).
  std::string send(const std::string& from, const std::string& to, int type, const std::string& cmn) {
    json body = {{"channel_id", to}, {"channel_type", type}, {"client_msg_no", cmn}, {"payload", "aGk="}};
    if (!from.empty()) body["from_uid"] = from;
    auto r = http_post(http(), "/message/send", body.dump());
    if (r.status != 200) throw std::runtime_error("send failed: " + r.body);
    auto j = r.json();
    return j.contains("data") ? j["data"]["message_idstr"].get<std::string>() : j["message_idstr"].get<std::string>();
  }

 private:
  static std::vector<std::string> with_group(std::vector<std::string> extra) {
    extra.insert(extra.begin(), {"--group", "g1=alice,bob,carol"});
    return extra;
  }
};

// The duplicate_client_msg_no items as (client_msg_no, channel, from, {message_ids}).
std::set<std::tuple<std::string, std::string, std::string, std::set<std::string>>> live_duplicates(const json& report) {
  std::set<std::tuple<std::string, std::string, std::string, std::set<std::string>>> out;
  for (auto& item : report["findings"]["duplicate_client_msg_no"]["items"]) {
    std::set<std::string> ids;
    for (auto& m : item["messages"]) ids.insert(m["message_idstr"].get<std::string>());
    out.emplace(item["client_msg_no"], item["channel_id"], item["from_uid"], ids);
  }
  return out;
}

std::vector<std::string> live_args(const LiveServe& srv, std::vector<std::string> extra) {
  std::vector<std::string> a = {"audit", srv.http(), "--login-uid", "alice", "--channel", "g1:2",
                                "--channel", "bob:1", "--no-progress"};
  a.insert(a.end(), extra.begin(), extra.end());
  return a;
}

// Seven group messages from alice with m2 and m5 sent twice, and a person
// message from bob sent twice: three duplicated client_msg_nos.
void plant(LiveServe& srv) {
  for (int i = 0; i < 7; ++i) {
    srv.send("alice", "g1", 2, "m" + std::to_string(i));
    if (i == 2 || i == 5) srv.send("alice", "g1", 2, "m" + std::to_string(i));
  }
  srv.send("bob", "alice", 1, "p1");
  srv.send("bob", "alice", 1, "p1");
  srv.send("alice", "bob", 1, "p2");
}

TEST(AuditLive, FindsPlantedDuplicatesOverPagesLikeTheStoreFileAudit) {
  TempDir dir;
  LiveServe srv({"--dedup", "off"}, dir.path.string());
  plant(srv);
  auto live = run_wkit(live_args(srv, {"--page-size", "3", "-o", "json"}));
  ASSERT_EQ(live.code, 1) << live.err;
  const json r = json::parse(live.out);
  EXPECT_EQ(r["status"], "findings");
  EXPECT_EQ(r["rows"], 12u);  // 9 group + 3 person
  EXPECT_EQ(r["summary"]["duplicate_client_msg_no"], 3u);
  ASSERT_EQ(r["inputs"].size(), 2u);
  EXPECT_EQ(r["inputs"][0]["name"], srv.http() + "/g1:2");
  EXPECT_EQ(r["inputs"][0]["live"]["last_seq"], 9);
  EXPECT_GE(r["inputs"][0]["live"]["pages"], 3);  // 9 messages, 3 a page
  EXPECT_EQ(r["inputs"][1]["live"]["stored_channel_id"], wkit::util::person_channel_id("alice", "bob"));
  // The person channel is grouped under its stored a@b id, as in the store.
  bool person = false;
  for (auto& item : r["findings"]["duplicate_client_msg_no"]["items"])
    if (item["client_msg_no"] == "p1") {
      person = true;
      EXPECT_EQ(item["channel_id"], wkit::util::person_channel_id("alice", "bob"));
      EXPECT_EQ(item["from_uid"], "bob");
      EXPECT_EQ(item["messages"][0]["location"], srv.http() + "/bob:1:1");
    }
  EXPECT_TRUE(person);

  // -o jsonl and -o text read the same findings.
  auto lines = run_wkit(live_args(srv, {"--page-size", "3", "-o", "jsonl", "--fail-on", "none"}));
  EXPECT_EQ(lines.code, 0) << lines.err;
  size_t dup_lines = 0;
  for (auto& j : jsonl(lines.out)) dup_lines += j["kind"] == "duplicate_client_msg_no";
  EXPECT_EQ(dup_lines, 3u);
  auto text = run_wkit(live_args(srv, {"--max-listed", "1"}));
  EXPECT_EQ(text.code, 1);
  EXPECT_NE(text.out.find("1 of 3 items shown"), std::string::npos) << text.out;

  ASSERT_EQ(srv.stop(), 0);
  auto file = run_wkit({"audit", "--no-progress", "-o", "json", dir.path.string() + "/wkit.db"});
  ASSERT_EQ(file.code, 1) << file.err;
  const json f = json::parse(file.out);
  EXPECT_EQ(f["rows"], r["rows"]);
  EXPECT_EQ(live_duplicates(r), live_duplicates(f));
  EXPECT_EQ(f["summary"], r["summary"]);
}

TEST(AuditLive, ShardsOfALiveAuditMergeToTheWholeReport) {
  LiveServe srv({"--dedup", "off"});
  plant(srv);
  TempDir dir;
  std::vector<std::string> parts;
  for (int k = 1; k <= 2; ++k) {
    auto p = run_wkit(live_args(srv, {"--shard", std::to_string(k) + "/2", "-o", "json"}));
    ASSERT_LE(p.code, 1) << p.err;
    parts.push_back(dir.path.string() + "/part" + std::to_string(k) + ".json");
    std::ofstream(parts.back()) << p.out;
  }
  auto merged = run_wkit({"audit", "merge", "-o", "json", parts[0], parts[1]});
  ASSERT_EQ(merged.code, 1) << merged.err;
  auto whole = run_wkit(live_args(srv, {"-o", "json"}));
  EXPECT_EQ(json::parse(merged.out)["summary"], json::parse(whole.out)["summary"]);
  EXPECT_EQ(live_duplicates(json::parse(merged.out)), live_duplicates(json::parse(whole.out)));
}

TEST(AuditLive, ACleanStoreExitsZeroAndSinceSeqSkipsEarlierMessages) {
  {
    LiveServe srv({});  // --dedup on: the resend gets the original id
    srv.send("alice", "g1", 2, "m1");
    srv.send("alice", "g1", 2, "m1");
    srv.send("alice", "g1", 2, "m2");
    auto r = run_wkit(live_args(srv, {"-o", "json"}));
    EXPECT_EQ(r.code, 0) << r.err << r.out;
    EXPECT_EQ(json::parse(r.out)["status"], "clean");
    EXPECT_EQ(json::parse(r.out)["rows"], 2u);
  }
  LiveServe srv({"--dedup", "off"});
  srv.send("alice", "g1", 2, "m1");  // seq 1
  srv.send("alice", "g1", 2, "m2");  // seq 2
  srv.send("alice", "g1", 2, "m1");  // seq 3: the duplicate of seq 1
  auto all = run_wkit({"audit", srv.http(), "--login-uid", "bob", "--channel", "g1:2", "-o", "json"});
  EXPECT_EQ(all.code, 1) << all.err;
  auto later = run_wkit(
      {"audit", srv.http(), "--login-uid", "bob", "--channel", "g1:2", "--since-seq", "2", "-o", "json"});
  EXPECT_EQ(later.code, 0) << later.err << later.out;
  const json l = json::parse(later.out);
  EXPECT_EQ(l["rows"], 2u);
  EXPECT_EQ(l["inputs"][0]["live"]["since_seq"], 2);
  EXPECT_EQ(l["status"], "clean");
}

TEST(AuditLive, AWrongPortOrANonMemberIsExit3OnOneLine) {
  LiveServe srv({"--dedup", "off"});
  srv.send("alice", "g1", 2, "m1");
  // A port nothing listens on: bind one, note it, close it.
  std::string dead;
  {
    boost::asio::io_context io;
    boost::asio::ip::tcp::acceptor acc(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
    dead = "http://127.0.0.1:" + std::to_string(acc.local_endpoint().port());
  }
  auto r = run_wkit({"audit", dead, "--login-uid", "alice", "--channel", "g1:2"});
  EXPECT_EQ(r.code, 3);
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_NE(r.err.find(dead + "/channel/messagesync channel g1:2: cannot connect"), std::string::npos) << r.err;
  EXPECT_TRUE(r.out.empty());

  auto outsider = run_wkit({"audit", srv.http(), "--login-uid", "dave", "--channel", "g1:2"});
  EXPECT_EQ(outsider.code, 3);
  EXPECT_EQ(std::count(outsider.err.begin(), outsider.err.end(), '\n'), 1) << outsider.err;
  EXPECT_NE(outsider.err.find("channel g1:2: HTTP 400: valid channel membership required"), std::string::npos)
      << outsider.err;

  auto usage = run_wkit({"audit", srv.http(), "--channel", "g1:2"});
  EXPECT_EQ(usage.code, 2);
  EXPECT_NE(usage.err.find("--login-uid"), std::string::npos);
}

// --uids: each uid's channels found through its conversations (3.x
// /conversation/list, 2.x /conversation/sync), a person channel seen from
// both sides audited once, a group made over the HTTP API included.
TEST(AuditLive, UidsDiscoverPersonAndGroupChannelsInBothApiLines) {
  TempDir dir;
  for (const std::string compat : {"3", "2"}) {
    ApiServe srv({"--dedup", "off", "--api-compat", compat});
    ASSERT_EQ(http_post(srv.http(), "/channel", R"({"channel_id":"g7","channel_type":2,"subscribers":["alice","bob","carol"]})")
                  .status,
              200);
    auto send = [&](const std::string& from, const std::string& to, int type, const std::string& cmn) {
      json body = {{"from_uid", from}, {"channel_id", to}, {"channel_type", type}, {"client_msg_no", cmn}, {"payload", "aGk="}};
      ASSERT_EQ(http_post(srv.http(), "/message/send", body.dump()).status, 200);
    };
    send("alice", "g7", 2, "m1");
    send("alice", "g7", 2, "m1");  // stored twice (--dedup off)
    send("alice", "g7", 2, "m2");
    send("bob", "alice", 1, "p1");
    send("bob", "alice", 1, "p1");
    send("carol", "dave", 1, "q1");
    auto r = run_wkit({"audit", srv.http(), "--api-compat", compat, "--uids", "alice,bob", "--no-progress", "-o", "json"});
    ASSERT_EQ(r.code, 1) << compat << ": " << r.err;
    const json j = json::parse(r.out);
    EXPECT_EQ(j["rows"], 5u) << compat;  // g7 and alice@bob; carol@dave is nobody's here
    EXPECT_EQ(j["summary"]["duplicate_client_msg_no"], 2u) << compat;
    std::set<std::string> names;
    for (auto& in : j["inputs"]) names.insert(in["name"].get<std::string>());
    EXPECT_EQ(names.size(), 2u) << r.out;
    EXPECT_TRUE(names.count(srv.http() + "/g7:2")) << r.out;
    std::set<std::tuple<std::string, std::string>> dup_channels;
    for (auto& item : j["findings"]["duplicate_client_msg_no"]["items"])
      dup_channels.emplace(item["channel_id"], item["client_msg_no"]);
    EXPECT_EQ(dup_channels, (std::set<std::tuple<std::string, std::string>>{
                                {"g7", "m1"}, {wkit::util::person_channel_id("alice", "bob"), "p1"}}));
    if (compat == "3") {
      const std::string uids = (dir.path / "uids.txt").string();
      std::ofstream(uids) << "# who to look at\ncarol\n";
      auto file = run_wkit({"audit", srv.http(), "--uids-file", uids, "--no-progress", "-o", "json"});
      EXPECT_EQ(file.code, 1) << file.err;  // g7 (carol is a member) holds m1 twice
      EXPECT_EQ(json::parse(file.out)["rows"], 4u) << file.out;  // g7 and carol@dave
      auto nobody = run_wkit({"audit", srv.http(), "--uids", "erin", "--no-progress"});
      EXPECT_EQ(nobody.code, 2) << nobody.err;
      EXPECT_NE(nobody.err.find("--uids"), std::string::npos) << nobody.err;
    }
    ASSERT_EQ(srv.stop(), std::optional<int>(0));
  }
}

TEST(AuditLive, Api2xSystemMessagesAreAuditedUnderTheSystemUid) {
  TempDir dir;
  LiveServe srv({"--api-compat", "2"}, dir.path.string());  // 2.x never deduplicates
  // From the system uid (no from_uid) to alice: a person channel.
  srv.send("", "alice", 1, "s1");
  srv.send("", "alice", 1, "s1");
  srv.send("alice", "g1", 2, "a1");
  auto live = run_wkit({"audit", srv.http(), "--api-compat", "2", "--login-uid", "alice", "--channel",
                        "____system:1", "--channel", "g1:2", "-o", "json"});
  ASSERT_EQ(live.code, 1) << live.err;
  const json r = json::parse(live.out);
  ASSERT_EQ(r["summary"]["duplicate_client_msg_no"], 1u);
  EXPECT_EQ(r["rows"], 3u);
  EXPECT_EQ(r["findings"]["duplicate_client_msg_no"]["items"][0]["from_uid"], "____system");
  EXPECT_EQ(r["findings"]["duplicate_client_msg_no"]["items"][0]["channel_id"],
            wkit::util::person_channel_id("alice", "____system"));
  ASSERT_EQ(srv.stop(), 0);
  auto file = run_wkit({"audit", "--no-progress", "-o", "json", dir.path.string() + "/wkit.db"});
  EXPECT_EQ(live_duplicates(r), live_duplicates(json::parse(file.out)));
}

TEST(AuditLive, SigintReportsWhatWasReadMarkedInterrupted) {
  LiveServe srv({"--dedup", "off"});
  for (int i = 0; i < 6; ++i) srv.send("alice", "g1", 2, "m" + std::to_string(i));
  // One message a request, one request a second: still reading when the signal comes.
  Process audit({WKIT_BINARY, "audit", srv.http(), "--login-uid", "alice", "--channel", "g1:2", "--channel", "bob:1",
                 "--page-size", "1", "--rate", "1/s", "-o", "json"});
  std::this_thread::sleep_for(1500ms);
  auto code = audit.signal_and_wait(SIGINT);
  ASSERT_EQ(code, 1) << audit.stderr_text();
  std::string out;
  for (auto& l : audit.stdout_lines()) out += l + "\n";
  const json r = json::parse(out);
  EXPECT_EQ(r["interrupted"], "SIGINT");
  EXPECT_EQ(r["status"], "unverified");
  EXPECT_LT(r["rows"].get<uint64_t>(), 6u);
  EXPECT_EQ(r["inputs"][1]["not_read"], true);
  EXPECT_NE(audit.stderr_text().find("SIGINT: stopping, reporting what was read"), std::string::npos);
}

}  // namespace
