// `wkit send --via http --api URL` (docs/send.md "Sending through the HTTP
// API"): messages go through POST /message/send of a real `wkit serve`
// (http:// or https:// listener on port 0) with the retries, verdicts and
// outputs of a WKProto run: one message_id per message when the server
// de-duplicates, several with --dedup off or a 2.x API, a run that ends by
// itself when the server dies, and one clear line for an address that is
// not an HTTP API.
#include <gtest/gtest.h>

#include <csignal>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "../support/temp_dir.hpp"
#include "support/api_serve.hpp"
#include "support/process.hpp"
#include "support/test_certs.hpp"
#include "support/wkit_commands.hpp"

using namespace wkit::testing;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

struct HttpSendRun {
  Done done;
  std::vector<json> messages;  // the per-message lines
  json summary;
};

// alice -> bob through the API at `api`, -o jsonl.
HttpSendRun send_http(const std::string& api, std::vector<std::string> extra) {
  std::vector<std::string> args = {"send", "--via", "http", "--api", api, "-u", "alice", "--to", "bob", "-o", "jsonl"};
  args.insert(args.end(), extra.begin(), extra.end());
  HttpSendRun r;
  r.done = run_wkit(args, 90s);
  for (auto& j : jsonl(r.done.out)) {
    if (j["type"] == "send") r.messages.push_back(j);
    if (j["type"] == "summary") r.summary = j;
  }
  return r;
}

std::set<std::string> ids_of(const json& message) {
  std::set<std::string> ids;
  for (auto& id : message["message_idstrs"]) ids.insert(id.get<std::string>());
  return ids;
}

TEST(SendViaHttp, DedupOnKeepsOneMessageIdPerMessageAcrossRetries) {
  ApiServe srv;
  TempDir dir;
  const std::string hist = (dir.path / "http.hist").string();
  // Plain run: every message answered once, the histogram written.
  auto plain = send_http(srv.http(), {"--count", "5", "--window", "2", "--hist-out", hist});
  ASSERT_EQ(plain.done.code, 0) << plain.done.out << plain.done.err;
  ASSERT_EQ(plain.messages.size(), 5u) << plain.done.out;
  for (auto& m : plain.messages) {
    EXPECT_EQ(m["verdict"], "idempotent") << m.dump();
    EXPECT_EQ(m["attempts"], 1);
    EXPECT_EQ(m["sendacks"], 1);
    EXPECT_EQ(m["reason"], "success");
    EXPECT_GT(m["message_seq"].get<uint64_t>(), 0u) << m.dump();
  }
  EXPECT_EQ(plain.summary["via"], "http");
  EXPECT_EQ(plain.summary["server"], srv.http());
  EXPECT_EQ(plain.summary["acknowledged"], 5);
  EXPECT_EQ(plain.summary["latency"]["count"], 5);
  EXPECT_TRUE(std::filesystem::exists(hist));

  // Forced retries (a backend resending): 3 attempts, all answered with one
  // message_id; the store and bob (online over WKProto) see it once.
  auto forced = send_http(srv.http(), {"--count", "3", "--retries", "2", "--retry-interval", "50ms", "-s", srv.tcp(),
                                       "--verify", "--receiver", "bob", "--check-via", srv.http()});
  ASSERT_EQ(forced.done.code, 0) << forced.done.out << forced.done.err;
  ASSERT_EQ(forced.messages.size(), 3u) << forced.done.out;
  for (auto& m : forced.messages) {
    EXPECT_EQ(m["attempts"], 3) << m.dump();
    EXPECT_EQ(m["sendacks"], 3);
    EXPECT_EQ(ids_of(m).size(), 1u) << m.dump();
    EXPECT_EQ(m["store_message_ids"].size(), 1u) << m.dump();
    EXPECT_EQ(m["verdict"], "idempotent");
  }
  EXPECT_EQ(forced.summary["sends"], 9);
  EXPECT_EQ(forced.summary["verify"]["delivered"], 3) << forced.summary.dump();
  EXPECT_EQ(forced.summary["verify"]["duplicated"]["distinct_message_ids"], 0);

  // The first answer of each message lost on purpose: the resend after the
  // ack timeout is answered, the lost one leaves it unverified...
  const std::vector<std::string> lost = {"--drop-answers", "1", "--retry-mode", "on-timeout", "--retries", "1",
                                         "--ack-timeout", "300ms"};
  auto unsettled = send_http(srv.http(), lost);
  ASSERT_EQ(unsettled.done.code, 1) << unsettled.done.out << unsettled.done.err;
  ASSERT_EQ(unsettled.messages.size(), 1u);
  EXPECT_EQ(unsettled.messages[0]["attempts"], 2) << unsettled.done.out;
  EXPECT_EQ(unsettled.messages[0]["sendacks"], 1);
  EXPECT_EQ(unsettled.messages[0]["verdict"], "unverified");
  EXPECT_EQ(unsettled.summary["answers_dropped"], 1);
  // ... until the store settles it: one copy.
  auto args = lost;
  args.insert(args.end(), {"--check-via", srv.http()});
  auto settled = send_http(srv.http(), args);
  ASSERT_EQ(settled.done.code, 0) << settled.done.out << settled.done.err;
  EXPECT_EQ(settled.messages[0]["verdict"], "idempotent") << settled.done.out;
  EXPECT_EQ(settled.messages[0]["store_message_ids"].size(), 1u);

  // Text: a single message says what answered.
  auto text = run_wkit({"send", "--via", "http", "--api", srv.http(), "-u", "alice", "--to", "bob", "--text", "hi",
                        "--drop-answers", "1", "--ack-timeout", "300ms"},
                       60s);
  ASSERT_EQ(text.code, 1) << text.out << text.err;
  EXPECT_NE(text.out.find("verdict: unverified: 1 attempt(s), 0 answer(s)"), std::string::npos) << text.out;
  EXPECT_EQ(srv.stop(), std::optional<int>(0));
}

TEST(SendViaHttp, DedupOffStoresEveryResend) {
  ApiServe srv({"--dedup", "off"});
  auto forced = send_http(srv.http(), {"--count", "2", "--retries", "2", "--retry-interval", "50ms"});
  ASSERT_EQ(forced.done.code, 1) << forced.done.out << forced.done.err;
  ASSERT_EQ(forced.messages.size(), 2u);
  for (auto& m : forced.messages) {
    EXPECT_EQ(m["verdict"], "duplicated") << m.dump();
    EXPECT_EQ(ids_of(m).size(), 3u) << m.dump();
  }
  EXPECT_EQ(forced.summary["verdict"], "duplicated");

  // A lost answer and a resend: the store holds two copies.
  auto settled = send_http(srv.http(), {"--drop-answers", "1", "--retry-mode", "on-timeout", "--retries", "1",
                                        "--ack-timeout", "300ms", "--check-via", srv.http()});
  ASSERT_EQ(settled.done.code, 1) << settled.done.out << settled.done.err;
  EXPECT_EQ(settled.messages[0]["sendacks"], 1);
  EXPECT_EQ(settled.messages[0]["verdict"], "duplicated") << settled.done.out;
  EXPECT_EQ(settled.messages[0]["store_message_ids"].size(), 2u);
  EXPECT_EQ(settled.summary["checked_via"]["settled"]["duplicated"], 1) << settled.summary.dump();
  EXPECT_EQ(srv.stop(), std::optional<int>(0));
}

TEST(SendViaHttp, ApiCompat2AnswersWithoutDedup) {
  // 2.x never de-duplicates HTTP sends, whatever --dedup says for WKProto:
  // every copy is stored again.
  ApiServe srv({"--api-compat", "2"});
  auto forced = send_http(srv.http(), {"--api-compat", "2", "--retries", "1", "--retry-interval", "50ms"});
  ASSERT_EQ(forced.done.code, 1) << forced.done.out << forced.done.err;
  ASSERT_EQ(forced.messages.size(), 1u);
  EXPECT_EQ(forced.messages[0]["sendacks"], 2) << forced.done.out;
  EXPECT_EQ(forced.messages[0]["verdict"], "duplicated");
  EXPECT_EQ(ids_of(forced.messages[0]).size(), 2u);
  EXPECT_EQ(forced.summary["api_compat"], 2);

  // Read as 3.x, a 2.x answer says nothing: unanswered, with one line saying why.
  auto wrong = send_http(srv.http(), {"--ack-timeout", "300ms"});
  ASSERT_EQ(wrong.done.code, 1) << wrong.done.out << wrong.done.err;
  EXPECT_EQ(wrong.messages[0]["verdict"], "unverified");
  EXPECT_NE(wrong.done.err.find("use --api-compat 2"), std::string::npos) << wrong.done.err;
  EXPECT_EQ(srv.stop(), std::optional<int>(0));
}

TEST(SendViaHttp, ServerKilledMidRunEndsTheRunByItself) {
  ApiServe srv;
  Process send({WKIT_BINARY, "send", "--via", "http", "--api", srv.http(), "-u", "alice", "--to", "bob", "--duration",
                "60s", "--rate", "50/s", "--ack-timeout", "500ms", "--reconnect-budget", "1s", "-o", "json"});
  std::this_thread::sleep_for(1500ms);
  srv.process().kill_now();
  auto code = send.wait_exit(30s);
  ASSERT_TRUE(code.has_value()) << "the run did not end by itself";
  EXPECT_EQ(*code, 3) << send.stderr_text();
  std::string out;
  for (auto& l : send.stdout_lines()) out += l + "\n";
  const json s = json::parse(out);
  EXPECT_EQ(s["verdict"], "error") << out;
  EXPECT_NE(s["error"].get<std::string>().find("--reconnect-budget"), std::string::npos) << out;
  EXPECT_GT(s["acknowledged"].get<uint64_t>(), 0u) << out;
  // What was sent when the server went away is not called a success.
  EXPECT_GE(s["verdicts"]["unverified"].get<uint64_t>() + s["verdicts"]["failed"].get<uint64_t>(), 1u) << out;
  EXPECT_EQ(s["exit_code"], 3);
}

TEST(SendViaHttp, AnAddressThatIsNotAnHttpApiIsOneLine) {
  ApiServe srv;
  struct Case {
    std::string api, says;
  };
  for (const Case& c : {Case{"http://127.0.0.1:1", "cannot connect"},
                        Case{"http://" + srv.tcp().substr(6), "not an HTTP API address?"}}) {
    auto r = run_wkit({"send", "--via", "http", "--api", c.api, "-u", "alice", "--to", "bob", "--connect-timeout",
                       "2s", "--ack-timeout", "2s"},
                      60s);
    EXPECT_EQ(r.code, 3) << c.api << "\n" << r.out << r.err;
    EXPECT_EQ(count_lines(r.err), 1u) << r.err;
    EXPECT_EQ(r.err.rfind("wkit send: " + c.api + ": ", 0), 0u) << r.err;
    EXPECT_NE(r.err.find(c.says), std::string::npos) << r.err;
  }
  for (const std::vector<std::string>& usage :
       {std::vector<std::string>{"--via", "http"}, {"--via", "http", "--api", srv.tcp()}, {"--api", srv.http()}}) {
    std::vector<std::string> args = {"send", "-u", "alice", "--to", "bob"};
    args.insert(args.end(), usage.begin(), usage.end());
    auto r = run_wkit(args, 30s);
    EXPECT_EQ(r.code, 2) << r.err;
    EXPECT_NE(r.err.find("--api"), std::string::npos) << r.err;
  }
  EXPECT_EQ(srv.stop(), std::optional<int>(0));
}

TEST(SendViaHttp, HttpsWithTheTestCa) {
  TempDir dir;
  TestCerts certs(dir.path.string());
  Process srv({WKIT_BINARY, "serve", "--in-memory", "--listen", "https://127.0.0.1:0", "--tls-cert", certs.cert_file(),
               "--tls-key", certs.key_file()});
  auto line = srv.wait_stdout([](const std::string& l) { return l.rfind("listening https://", 0) == 0; });
  ASSERT_TRUE(line) << srv.stderr_text();
  const std::string api = line->substr(10);

  auto ok = send_http(api, {"--ca-file", certs.ca_file(), "--count", "3", "--retries", "1", "--retry-interval", "50ms",
                            "--check-via", api});
  ASSERT_EQ(ok.done.code, 0) << ok.done.out << ok.done.err;
  ASSERT_EQ(ok.messages.size(), 3u);
  for (auto& m : ok.messages) {
    EXPECT_EQ(m["verdict"], "idempotent") << m.dump();
    EXPECT_EQ(m["sendacks"], 2);
    EXPECT_EQ(m["store_message_ids"].size(), 1u);
  }

  auto untrusted = run_wkit({"send", "--via", "http", "--api", api, "--ca-file", certs.other_ca_file(), "-u", "alice",
                             "--to", "bob"},
                            60s);
  EXPECT_EQ(untrusted.code, 3) << untrusted.out << untrusted.err;
  EXPECT_EQ(count_lines(untrusted.err), 1u) << untrusted.err;
  EXPECT_NE(untrusted.err.find("certificate verify failed"), std::string::npos) << untrusted.err;
  EXPECT_EQ(srv.signal_and_wait(SIGTERM), std::optional<int>(0)) << srv.stderr_text();
}

}  // namespace
