// `wkit serve --listen http://...`: WuKongIM's HTTP API (docs/serve.md
// "HTTP API") against real processes: backend sends that dedup with the
// binary path (3.x) or never (2.x), delivery to online clients, tokens,
// channel heads, routes, health, metrics, and bad requests that store nothing.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
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

std::string send_body(const std::string& cmn, const std::string& payload_b64, const std::string& to = "bob") {
  return json{{"from_uid", "alice"}, {"channel_id", to},     {"channel_type", 1},
              {"client_msg_no", cmn}, {"payload", payload_b64}}
      .dump();
}

std::unique_ptr<Process> start_recv(const std::string& url, std::vector<std::string> extra) {
  std::vector<std::string> argv = {WKIT_BINARY, "recv", "-s", url};
  argv.insert(argv.end(), extra.begin(), extra.end());
  auto p = std::make_unique<Process>(argv);
  if (!p->wait_stderr([](const std::string& l) { return l.find("receiving as") != std::string::npos; }, 20s))
    throw std::runtime_error("recv did not connect: " + p->stderr_text());
  return p;
}

uint64_t metric(const std::string& text, const std::string& name) {
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (line.rfind(name + " ", 0) == 0) return std::stoull(line.substr(name.size() + 1));
  throw std::runtime_error("no metric " + name + " in:\n" + text);
}

TEST(ServeHttpApi, Send3xIsIdempotentSharedWithBinaryAndDelivered) {
  ApiServe srv;
  auto rx = start_recv(srv.tcp(), {"-u", "bob", "--count", "2", "--timeout", "20s", "-o", "jsonl"});
  auto first = http_post(srv.http(), "/message/send", send_body("c1", "aGk="));  // "hi"
  ASSERT_EQ(first.status, 200) << first.body;
  auto a = first.json();
  EXPECT_EQ(a["reason"], 1) << first.body;
  EXPECT_EQ(a["message_seq"], 1);
  EXPECT_EQ(a["message_idstr"], std::to_string(a["message_id"].get<int64_t>()));
  // The resend: the original id, nothing stored.
  auto again = http_post(srv.http(), "/message/send", send_body("c1", "aGk=")).json();
  EXPECT_EQ(again["message_id"], a["message_id"]);
  EXPECT_EQ(again["message_seq"], 1);
  EXPECT_EQ(again["reason"], 1);
  // Same key, other payload: a conflict (reason 15), as for a SEND.
  auto conflict = http_post(srv.http(), "/message/send", send_body("c1", "aGl4")).json();
  EXPECT_EQ(conflict["reason"], 15);
  // A client SEND with the same (from_uid, channel, client_msg_no, payload) gets the same id.
  auto bin = run_wkit({"send", "-s", srv.tcp(), "-u", "alice", "--to", "bob", "--text", "hi", "--raw-payload",
                       "--client-msg-no", "c1", "-o", "jsonl"},
                      30s);
  ASSERT_EQ(bin.code, 0) << bin.out << bin.err;
  auto lines = jsonl(bin.out);
  ASSERT_FALSE(lines.empty());
  EXPECT_EQ(lines[0]["message_idstrs"][0], a["message_idstr"]) << bin.out;
  auto second = http_post(srv.http(), "/message/send", send_body("c2", "eW8=")).json();  // "yo"
  EXPECT_EQ(second["reason"], 1);
  EXPECT_EQ(second["message_seq"], 2);
  EXPECT_NE(second["message_id"], a["message_id"]);
  ASSERT_EQ(rx->wait_exit(30s), std::optional<int>(0)) << rx->stderr_text();
  std::vector<json> got;
  for (auto& l : rx->stdout_lines())
    if (l.find("\"type\":\"recv\"") != std::string::npos) got.push_back(json::parse(l));
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0]["payload"], "hi");
  EXPECT_EQ(got[0]["from_uid"], "alice");
  EXPECT_EQ(got[0]["message_idstr"], a["message_idstr"]);
  EXPECT_EQ(got[1]["payload"], "yo");
  EXPECT_EQ(got[1]["message_idstr"], second["message_idstr"]);
  auto head = http_get(srv.http(), "/channel/max_message_seq?channel_id=bob&channel_type=1&login_uid=alice");
  EXPECT_EQ(head.json()["message_seq"], 2) << head.body;
  std::string canonical = wkit::util::person_channel_id("alice", "bob");  // "x@y", CRC32 order
  canonical.replace(canonical.find('@'), 1, "%40");
  head = http_get(srv.http(), "/channel/max_message_seq?channel_id=" + canonical + "&channel_type=1");
  EXPECT_EQ(head.json()["message_seq"], 2) << head.body;
  auto m = http_get(srv.http(), "/metrics");
  EXPECT_EQ(m.status, 200);
  EXPECT_EQ(m.content_type.rfind("text/plain; version=0.0.4", 0), 0u) << m.content_type;
  EXPECT_EQ(metric(m.body, "wkit_messages_stored_total"), 2u) << m.body;
  EXPECT_EQ(metric(m.body, "wkit_stored_messages"), 2u);
  EXPECT_EQ(metric(m.body, "wkit_dedup_hits_total"), 2u);  // the HTTP resend and the binary SEND
  EXPECT_EQ(metric(m.body, "wkit_dedup_conflicts_total"), 1u);
  EXPECT_EQ(metric(m.body, "wkit_recvs_total"), 2u);
  // At least one commit per stored message's batch; the +Inf bucket holds them all.
  const uint64_t commits = metric(m.body, "wkit_store_commit_seconds_count");
  EXPECT_GE(commits, 1u);
  EXPECT_EQ(metric(m.body, "wkit_store_commit_seconds_bucket{le=\"+Inf\"}"), commits);
  EXPECT_LE(metric(m.body, "wkit_store_commit_seconds_bucket{le=\"0.0001\"}"), commits);
  EXPECT_EQ(srv.stop(), std::optional<int>(0));
}

TEST(ServeHttpApi, Send2xNeverDedupsAndInventsClientMsgNo) {
  ApiServe srv({"--api-compat", "2", "--group", "g1=bob,carol"});
  auto one = http_post(srv.http(), "/message/send", send_body("same", "aGk="));
  ASSERT_EQ(one.status, 200) << one.body;
  auto two = http_post(srv.http(), "/message/send", send_body("same", "aGk="));
  auto a = one.json(), b = two.json();
  EXPECT_EQ(a["status"], 200) << one.body;
  EXPECT_EQ(a["data"]["client_msg_no"], "same");
  EXPECT_NE(a["data"]["message_id"], b["data"]["message_id"]) << "2.x stores a resend again";
  EXPECT_EQ(a["data"]["message_idstr"], std::to_string(a["data"]["message_id"].get<int64_t>()));
  auto invented = http_post(srv.http(), "/message/send",
                            json{{"from_uid", "alice"}, {"channel_id", "bob"}, {"channel_type", 1}, {"payload", "aGk="}}
                                .dump())
                      .json();
  const std::string cmn = invented["data"]["client_msg_no"];
  EXPECT_EQ(cmn.size(), 33u) << cmn;
  EXPECT_EQ(cmn.back(), '0');
  // 2.x sends as the system device: no membership check, from_uid defaults to the system uid.
  auto system = http_post(srv.http(), "/message/send",
                          R"({"channel_id":"g1","channel_type":2,"payload":"aGk="})");
  EXPECT_EQ(system.json()["status"], 200) << system.body;
  auto alice = http_post(srv.http(), "/message/send",
                         R"({"from_uid":"alice","channel_id":"g1","channel_type":2,"payload":"aGk="})");
  EXPECT_EQ(alice.json()["status"], 200) << alice.body;
  auto head_g1 = http_get(srv.http(), "/channel/max_message_seq?channel_id=g1&channel_type=2");
  EXPECT_EQ(head_g1.json()["message_seq"], 2) << head_g1.body;
  auto head = http_get(srv.http(), "/channel/max_message_seq?channel_id=bob&channel_type=1&login_uid=alice");
  EXPECT_EQ(head.json()["message_seq"], 3);
}

TEST(ServeHttpApi, BadRequestsGetOneMessageAndStoreNothing) {
  ApiServe srv;
  struct Case {
    std::string body;
    std::string says;
  };
  const std::vector<Case> cases = {
      {"{not json", "invalid request"},
      {"[1,2]", "invalid request"},
      {R"({"channel_id":"bob","channel_type":1,"payload":"aGk="})", "from_uid is required"},
      {R"({"from_uid":"alice","channel_type":1,"payload":"aGk="})", "invalid channel id"},
      {R"({"from_uid":"alice","channel_id":"bob","channel_type":1})", "payload is required"},
      {R"({"from_uid":"alice","channel_id":"bob","channel_type":1,"payload":"***"})", "invalid payload"},
      {R"({"from_uid":"alice","channel_id":"bob","channel_type":"one","payload":"aGk="})", "channel_type"},
      {R"({"from_uid":"alice","channel_id":"bob","channel_type":1,"payload":"aGk=","client_msg_no":7})",
       "client_msg_no must be a string"},
      {R"({"from_uid":"a@b","channel_id":"bob","channel_type":1,"payload":"aGk="})", "from_uid"},
  };
  for (const auto& c : cases) {
    auto r = http_post(srv.http(), "/message/send", c.body);
    EXPECT_EQ(r.status, 400) << c.body << " -> " << r.body;
    EXPECT_NE(r.body.find(c.says), std::string::npos) << c.body << " -> " << r.body;
  }
  // A refusal the hub decides (no such group) is HTTP 200 with the reason, as in 3.x.
  auto group = http_post(srv.http(), "/message/send",
                         R"({"from_uid":"alice","channel_id":"nogroup","channel_type":2,"payload":"aGk="})");
  EXPECT_EQ(group.status, 200);
  EXPECT_EQ(group.json()["reason"], 5) << group.body;
  auto token = http_post(srv.http(), "/user/token", R"({"uid":"alice"})");
  EXPECT_EQ(token.status, 400);
  EXPECT_NE(token.body.find("token is required"), std::string::npos) << token.body;
  EXPECT_EQ(http_get(srv.http(), "/message/send").status, 405);
  auto missing = http_get(srv.http(), "/no/such/thing");
  EXPECT_EQ(missing.status, 404);
  EXPECT_NE(missing.body.find("/no/such/thing"), std::string::npos);
  EXPECT_EQ(http_get(srv.http(), "/channel/max_message_seq?channel_id=bob&channel_type=1").status, 400);
  auto m = http_get(srv.http(), "/metrics").body;
  EXPECT_EQ(metric(m, "wkit_messages_stored_total"), 0u) << m;
  // Still serving.
  EXPECT_EQ(http_get(srv.http(), "/health").json()["status"], "ok");
}

TEST(ServeHttpApi, TokensRegisteredOverHttpAreChecked) {
  ApiServe srv({"--check-tokens"});
  auto no = run_wkit({"send", "-s", srv.tcp(), "-u", "carol", "-t", "secret", "--to", "bob", "--text", "hi"}, 30s);
  EXPECT_EQ(no.code, 3) << no.err;
  EXPECT_NE(no.err.find("auth_fail"), std::string::npos) << no.err;
  auto reg = http_post(srv.http(), "/user/token", R"({"uid":"carol","token":"secret","device_flag":0})");
  ASSERT_EQ(reg.status, 200) << reg.body;
  EXPECT_EQ(reg.json()["status"], 200);
  auto yes = run_wkit({"send", "-s", srv.tcp(), "-u", "carol", "-t", "secret", "--to", "bob", "--text", "hi"}, 30s);
  EXPECT_EQ(yes.code, 0) << yes.err;
  // Per (uid, device_flag): the web device has no token yet.
  auto web = run_wkit({"send", "-s", srv.tcp(), "-u", "carol", "-t", "secret", "--device-flag", "web", "--to", "bob",
                       "--text", "hi"},
                      30s);
  EXPECT_EQ(web.code, 3) << web.err;
}

TEST(ServeHttpApi, HealthRouteAndReadyFile) {
  ApiServe srv;
  EXPECT_EQ(http_get(srv.http(), "/health").json()["status"], "ok");
  EXPECT_EQ(http_get(srv.http(), "/healthz").json()["status"], "ok");
  EXPECT_EQ(http_get(srv.http(), "/readyz").json()["ready"], true);
  auto route = http_get(srv.http(), "/route?uid=alice").json();
  EXPECT_EQ("tcp://" + route["tcp_addr"].get<std::string>(), srv.tcp()) << route.dump();
  EXPECT_EQ(route["ws_addr"], "");
  // A client pointed at the HTTP port by mistake is told so.
  auto wrong = run_wkit({"send", "-s", srv.http(), "-u", "alice", "--to", "bob", "--text", "hi"}, 30s);
  EXPECT_EQ(wrong.code, 3) << wrong.err;
  EXPECT_NE(wrong.err.find("HTTP API address"), std::string::npos) << wrong.err;
}

}  // namespace

namespace {

struct Page {
  int more = -1;
  std::vector<uint64_t> seqs;
  std::vector<json> messages;
};

Page sync_page(const std::string& http, const json& request) {
  auto r = http_post(http, "/channel/messagesync", request.dump());
  if (r.status != 200) throw std::runtime_error("messagesync " + std::to_string(r.status) + ": " + r.body);
  auto j = r.json();
  Page p;
  p.more = j["more"];
  for (auto& m : j["messages"]) {
    p.seqs.push_back(m["message_seq"]);
    p.messages.push_back(m);
  }
  return p;
}

}  // namespace

// messagesync over both stores: the range table of docs/serve.md, `more`,
// the peer as channel_id, and duplicates planted with --dedup off visible.
TEST(ServeHttpApi, MessageSyncPagesAChannelInBothStores) {
  TempDir dir;
  for (bool in_memory : {true, false}) {
    auto srv = std::make_unique<ApiServe>(std::vector<std::string>{"--dedup", "off"},
                                          in_memory ? std::string() : (dir.path / "store").string());
    for (int i = 1; i <= 5; ++i)
      ASSERT_EQ(http_post(srv->http(), "/message/send", send_body("m" + std::to_string(i), "aGk=")).json()["reason"], 1);
    // A resend stored again (dedup off): the duplicate an audit looks for.
    ASSERT_EQ(http_post(srv->http(), "/message/send", send_body("m3", "aGk=")).json()["reason"], 1);
    const json base = {{"login_uid", "bob"}, {"channel_id", "alice"}, {"channel_type", 1}};
    auto up = [&](uint64_t start, uint64_t end, int limit) {
      json r = base;
      r.update({{"start_message_seq", start}, {"end_message_seq", end}, {"limit", limit}, {"pull_mode", 1}});
      return sync_page(srv->http(), r);
    };
    auto p = up(1, 0, 4);
    EXPECT_EQ(p.seqs, (std::vector<uint64_t>{1, 2, 3, 4}));
    EXPECT_EQ(p.more, 1);
    EXPECT_EQ(p.messages[0]["channel_id"], "alice") << "the peer of login_uid";
    EXPECT_EQ(p.messages[0]["from_uid"], "alice");
    EXPECT_EQ(p.messages[0]["payload"], "aGk=");
    EXPECT_EQ(p.messages[0]["message_idstr"], std::to_string(p.messages[0]["message_id"].get<int64_t>()));
    EXPECT_GT(p.messages[0]["timestamp"].get<int64_t>(), 1700000000);
    p = up(5, 0, 4);
    EXPECT_EQ(p.seqs, (std::vector<uint64_t>{5, 6}));
    EXPECT_EQ(p.more, 0);
    EXPECT_EQ(p.messages[1]["client_msg_no"], "m3");
    EXPECT_NE(p.messages[1]["message_id"], up(3, 4, 1).messages.at(0)["message_id"]) << "two ids for m3";
    EXPECT_EQ(up(2, 4, 10).seqs, (std::vector<uint64_t>{2, 3}));  // [start, end)
    json newest = base;
    newest.update({{"start_message_seq", 0}, {"end_message_seq", 0}, {"limit", 2}});
    p = sync_page(srv->http(), newest);
    EXPECT_EQ(p.seqs, (std::vector<uint64_t>{5, 6}));
    EXPECT_EQ(p.more, 1);
    json down = base;
    down.update({{"start_message_seq", 5}, {"end_message_seq", 1}, {"limit", 3}, {"pull_mode", 0}});
    EXPECT_EQ(sync_page(srv->http(), down).seqs, (std::vector<uint64_t>{3, 4, 5}));  // (end, start], newest
    down["end_message_seq"] = 9;
    EXPECT_TRUE(sync_page(srv->http(), down).seqs.empty());
    // Another uid is not a member of alice and bob's channel (3.x).
    json other = base;
    other.update({{"login_uid", "carol"}, {"channel_id", wkit::util::person_channel_id("alice", "bob")},
                  {"start_message_seq", 1}, {"limit", 10}, {"pull_mode", 1}});
    auto refused = http_post(srv->http(), "/channel/messagesync", other.dump());
    EXPECT_EQ(refused.status, 400) << refused.body;
    EXPECT_NE(refused.body.find("membership"), std::string::npos) << refused.body;
    auto no_uid = http_post(srv->http(), "/channel/messagesync", R"({"channel_id":"alice","channel_type":1})");
    EXPECT_EQ(no_uid.status, 400);
    EXPECT_NE(no_uid.body.find("login_uid"), std::string::npos) << no_uid.body;
    EXPECT_TRUE(up(1, 0, 10).more == 0);
    EXPECT_EQ(srv->stop(), std::optional<int>(0));
  }
}

// `serve -o json` ends with the same counters as /metrics; text mode with a summary line.
TEST(ServeHttpApi, StopReportsTheCounters) {
  for (bool json_mode : {true, false}) {
    std::vector<std::string> argv = {WKIT_BINARY, "serve", "--in-memory", "--listen", "tcp://127.0.0.1:0"};
    if (json_mode) argv.insert(argv.end(), {"-o", "json"});
    Process srv(argv);
    auto line = srv.wait_stdout([](const std::string& l) { return l.find("tcp://") != std::string::npos; });
    ASSERT_TRUE(line) << srv.stderr_text();
    const std::string url = json_mode ? json::parse(*line)["url"].get<std::string>() : line->substr(10);
    auto d = run_wkit({"send", "-s", url, "-u", "alice", "--to", "bob", "--count", "3", "--retries", "1",
                       "--retry-interval", "20ms"},
                      30s);
    ASSERT_EQ(d.code, 0) << d.err;
    ASSERT_EQ(srv.signal_and_wait(SIGINT), std::optional<int>(0));
    auto out = srv.stdout_lines();
    if (json_mode) {
      auto last = json::parse(out.back());
      EXPECT_EQ(last["event"], "stopped");
      EXPECT_EQ(last["counters"]["sends_total"], 6) << out.back();
      EXPECT_EQ(last["counters"]["messages_stored_total"], 3);
      EXPECT_EQ(last["counters"]["dedup_hits_total"], 3);
      EXPECT_EQ(last["counters"]["stored_messages"], 3);
    } else {
      EXPECT_NE(srv.stderr_text().find("stopped after 6 SEND(s): 3 stored, 3 dedup hit(s)"), std::string::npos)
          << srv.stderr_text();
    }
  }
}
