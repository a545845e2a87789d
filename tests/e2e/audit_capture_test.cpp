// `wkit audit` of a capture agrees with `wkit audit` of the server's store:
// client `wkit send` (forced resends) and `wkit recv` -> `wkit proxy
// --capture X.wkcap` -> `wkit serve --data D`. With --dedup off both audits
// find the same duplicate client_msg_nos with the same message_id sets; with
// --dedup on (and a dropped SENDACK forcing a resend) both are clean.
#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "support/process.hpp"
#include "support/serve_process.hpp"
#include "support/wkit_commands.hpp"

using nlohmann::json;
using wkit::testing::Process;
using wkit::testing::ProxyProcess;
using wkit::testing::Done;
using wkit::testing::run_wkit;
using wkit::testing::ServeProcess;
using wkit::testing::TempDir;

namespace {

std::unique_ptr<Process> start_recv(const std::string& url) {
  auto p = std::make_unique<Process>(
      std::vector<std::string>{WKIT_BINARY, "recv", "-s", url, "-u", "bob", "--timeout", "60s", "-o", "jsonl"});
  if (!p->wait_stderr([](const std::string& l) { return l.find("receiving as") != std::string::npos; },
                      std::chrono::seconds(20)))
    throw std::runtime_error("recv did not connect: " + p->stderr_text());
  return p;
}

// client_msg_no -> its message_ids, from a report's duplicate_client_msg_no.
std::map<std::string, std::set<std::string>> duplicates(const json& report) {
  std::map<std::string, std::set<std::string>> out;
  for (auto& item : report["findings"]["duplicate_client_msg_no"]["items"])
    for (auto& m : item["messages"]) out[item["client_msg_no"]].insert(m["message_idstr"].get<std::string>());
  return out;
}

struct Audits {
  json capture, store;
  int capture_code = -1, store_code = -1;
};

// Records a session through the proxy into `serve_args`' server, then audits
// the capture and the store.
Audits record_and_audit(const std::vector<std::string>& serve_args, const std::vector<std::string>& proxy_faults,
                        const std::vector<std::string>& send_args, int expect_recvs, json& sent) {
  TempDir dir;
  const std::string cap = (dir.path / "incident.wkcap").string();
  const std::string data = (dir.path / "D").string();
  std::vector<std::string> sargs = serve_args;
  sargs.insert(sargs.end(), {"--data", data});
  ServeProcess serve(sargs);
  std::vector<std::string> proxy_args = {"--capture", cap};
  proxy_args.insert(proxy_args.end(), proxy_faults.begin(), proxy_faults.end());
  ProxyProcess proxy("tcp://127.0.0.1:0", serve.tcp(), proxy_args);
  const std::string url = proxy.url();
  auto rx = start_recv(url);
  std::vector<std::string> args = {"send", "-s", url, "-u", "alice", "--to", "bob", "-o", "json"};
  args.insert(args.end(), send_args.begin(), send_args.end());
  auto s = run_wkit(args);
  EXPECT_NE(s.out, "") << s.err;
  sent = json::parse(s.out, nullptr, false);
  // Every RECV has passed the proxy once bob printed it.
  int recvs = 0;
  EXPECT_TRUE(rx->wait_stdout(
      [&](const std::string& l) {
        auto j = json::parse(l, nullptr, false);
        return j.is_object() && j.value("type", "") == "recv" && ++recvs == expect_recvs;
      },
      std::chrono::seconds(30)))
      << "bob printed " << recvs << " RECVs: " << rx->stderr_text();
  rx->signal_and_wait(SIGTERM);
  EXPECT_EQ(proxy.stop(), 0) << proxy.process().stderr_text();
  EXPECT_EQ(serve.stop(), 0);

  Audits a;
  auto c = run_wkit({"audit", cap, "-o", "json"});
  auto d = run_wkit({"audit", data + "/wkit.db", "-o", "json"});
  a.capture_code = c.code;
  a.store_code = d.code;
  a.capture = json::parse(c.out, nullptr, false);
  a.store = json::parse(d.out, nullptr, false);
  EXPECT_FALSE(a.capture.is_discarded()) << c.err << c.out;
  EXPECT_FALSE(a.store.is_discarded()) << d.err << d.out;
  return a;
}

}  // namespace

TEST(AuditCapture, DedupOffCaptureAndStoreFindTheSameDuplicates) {
  json sent;
  auto a = record_and_audit({"--dedup", "off"}, {}, {"--text", "hi", "--count", "3", "--retries", "1"}, 6, sent);
  ASSERT_TRUE(a.capture.is_object() && a.store.is_object());
  EXPECT_EQ(sent["duplicates_created"], 3);  // every resend was stored again

  EXPECT_EQ(a.capture_code, 1);  // duplicate_client_msg_no fails by default
  EXPECT_EQ(a.store_code, 1);
  EXPECT_EQ(a.capture["inputs"][0]["format"], "wkcap");
  EXPECT_EQ(a.store["inputs"][0]["format"], "sqlite:wkit-store");
  const json& st = a.capture["inputs"][0]["capture"];
  EXPECT_EQ(st["sends"], 6);
  EXPECT_EQ(st["sendacks"], 6);
  EXPECT_EQ(st["acked_messages"], 6);
  EXPECT_EQ(st["refused_sendacks"], 0);
  EXPECT_EQ(st["unmatched_sendacks"], 0);
  EXPECT_EQ(st["recvs"], 6);                    // bob got every stored copy
  EXPECT_EQ(st["delivered_only_messages"], 0);  // ... all of them already known from the SENDACKs
  EXPECT_EQ(st["repeated_observations"], 6);
  EXPECT_EQ(a.capture["rows"], 6);
  EXPECT_EQ(a.store["rows"], 6);

  EXPECT_EQ(a.capture["summary"]["duplicate_client_msg_no"], 3);
  auto from_capture = duplicates(a.capture), from_store = duplicates(a.store);
  EXPECT_EQ(from_capture.size(), 3u);
  for (auto& [cmn, ids] : from_capture) EXPECT_EQ(ids.size(), 2u) << cmn;
  EXPECT_EQ(from_capture, from_store);
  // The same keys: the capture names the channel as the store does (a@b).
  const auto& ci = a.capture["findings"]["duplicate_client_msg_no"]["items"];
  const auto& si = a.store["findings"]["duplicate_client_msg_no"]["items"];
  ASSERT_EQ(ci.size(), si.size());
  std::set<std::string> ckeys, skeys;
  for (auto& i : ci) ckeys.insert(i["channel_id"].get<std::string>() + "/" + i["from_uid"].get<std::string>());
  for (auto& i : si) skeys.insert(i["channel_id"].get<std::string>() + "/" + i["from_uid"].get<std::string>());
  EXPECT_EQ(ckeys, skeys);
  EXPECT_EQ(a.capture["summary"]["message_id_collision"], a.store["summary"]["message_id_collision"]);
  EXPECT_EQ(a.capture["summary"]["duplicate_row"], 0);
}

TEST(AuditCapture, DedupOnWithADroppedSendackBothClean) {
  json sent;
  auto a = record_and_audit({"--dedup", "on"}, {"--fault", "drop:sendack:nth=1"},
                            {"--text", "hi", "--retries", "1", "--retry-mode", "on-timeout", "--ack-timeout", "1s"},
                            1, sent);
  ASSERT_TRUE(a.capture.is_object() && a.store.is_object());
  EXPECT_EQ(sent["sends"], 2);  // the dropped SENDACK forced a resend
  EXPECT_EQ(a.capture_code, 0) << a.capture.dump();
  EXPECT_EQ(a.store_code, 0);
  EXPECT_EQ(a.capture["result"], "clean");
  EXPECT_EQ(a.store["result"], "clean");
  const json& st = a.capture["inputs"][0]["capture"];
  EXPECT_EQ(st["sends"], 2);
  EXPECT_EQ(st["sendacks"], 2);  // the dropped one is recorded too: the server did answer it
  EXPECT_EQ(st["acked_messages"], 1);
  EXPECT_EQ(a.capture["rows"], 1);
  EXPECT_EQ(a.store["rows"], 1);
  for (const char* f : {"duplicate_client_msg_no", "message_id_collision", "duplicate_row"}) {
    EXPECT_EQ(a.capture["summary"][f], 0) << f;
    EXPECT_EQ(a.store["summary"][f], 0) << f;
  }
}
