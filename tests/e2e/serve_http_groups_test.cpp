// `wkit serve --listen http://...`: groups made over the HTTP API (POST
// /channel, /channel/subscriber_add, /channel/subscriber_remove) behave like
// --group groups for binary clients, HTTP sends and messagesync, survive a
// restart of a file store; conversations list a uid's channels in the 3.x
// (/conversation/list) and 2.x (/conversation/sync) shapes; bad requests
// name the field and change nothing (docs/serve.md "HTTP API").
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "../support/temp_dir.hpp"
#include "support/api_serve.hpp"
#include "support/http_client.hpp"
#include "support/process.hpp"
#include "support/wkit_commands.hpp"

using namespace wkit::testing;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

json send(const std::string& http, const std::string& from, const std::string& to, int type, const std::string& cmn,
          const std::string& payload_b64 = "aGk=") {
  auto r = http_post(http, "/message/send",
                     json{{"from_uid", from}, {"channel_id", to}, {"channel_type", type}, {"client_msg_no", cmn},
                          {"payload", payload_b64}}
                         .dump());
  if (r.status != 200) throw std::runtime_error("send: " + r.body);
  return r.json();
}

std::unique_ptr<Process> start_recv(const std::string& tcp, const std::string& uid, int count) {
  auto p = std::make_unique<Process>(std::vector<std::string>{WKIT_BINARY, "recv", "-s", tcp, "-u", uid, "--count",
                                                              std::to_string(count), "--timeout", "30s", "-o", "jsonl"});
  if (!p->wait_stderr([](const std::string& l) { return l.find("receiving as") != std::string::npos; }, 20s))
    throw std::runtime_error("recv did not connect: " + p->stderr_text());
  return p;
}

std::vector<json> recvs(Process& p) {
  std::vector<json> out;
  for (auto& l : p.stdout_lines())
    if (l.find("\"type\":\"recv\"") != std::string::npos) out.push_back(json::parse(l));
  return out;
}

// (channel_id, channel_type, last seq) of each conversation of a 3.x list page.
std::vector<std::tuple<std::string, int, uint64_t>> listed(const json& page) {
  std::vector<std::tuple<std::string, int, uint64_t>> out;
  for (auto& c : page["conversations"])
    out.emplace_back(c["channel_id"], c["channel_type"], c["last_message"]["message_seq"]);
  return out;
}

json list(const std::string& http, const json& body) {
  auto r = http_post(http, "/conversation/list", body.dump());
  if (r.status != 200) throw std::runtime_error("conversation/list: " + r.body);
  return r.json();
}

TEST(ServeHttpGroups, GroupsMadeOverHttpFanOutToBinaryClientsAndSurviveARestart) {
  TempDir dir;
  const std::string data = (dir.path / "store").string();
  auto srv = std::make_unique<ApiServe>(std::vector<std::string>{}, data);
  const std::string h = srv->http();
  // Bad requests: 400 naming the field, nothing made.
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"/channel", "{oops"},
      {"/channel", R"({"channel_type":2,"subscribers":["alice"]})"},
      {"/channel", R"({"channel_id":"g1","subscribers":["alice"]})"},
      {"/channel", R"({"channel_id":"g1","channel_type":1,"subscribers":["alice"]})"},
      {"/channel", R"({"channel_id":"g1","channel_type":2,"subscribers":"alice"})"},
      {"/channel", R"({"channel_id":"g1","channel_type":2,"subscribers":["alice","a@b"]})"},
      {"/channel", R"({"channel_id":"g1","channel_type":2,"subscribers":["alice"],"reset":2})"},
      {"/channel", R"({"channel_id":"g1","channel_type":2,"subscribers":["alice"],"disband":1})"},
      {"/channel/subscriber_add", R"({"channel_id":"g1","channel_type":2,"subscribers":[]})"},
      {"/channel/subscriber_remove", R"({"channel_id":"g1","channel_type":2,"subscribers":["alice"]})"},
  };
  const std::vector<std::string> names = {"JSON", "channel_id", "channel_type", "channel_type 1", "subscribers",
                                          "subscribers[1]", "reset", "disband", "subscribers", "no such group"};
  for (size_t i = 0; i < bad.size(); ++i) {
    auto r = http_post(h, bad[i].first, bad[i].second);
    EXPECT_EQ(r.status, 400) << bad[i].second << " -> " << r.body;
    EXPECT_NE(r.body.find(names[i]), std::string::npos) << bad[i].second << " -> " << r.body;
  }
  EXPECT_EQ(send(h, "alice", "g1", 2, "none")["reason"], 5) << "no group was made";
  EXPECT_EQ(http_get(h, "/channel").status, 405);

  auto made = http_post(h, "/channel", R"({"channel_id":"g1","channel_type":2,"subscribers":["alice","bob"]})");
  ASSERT_EQ(made.status, 200) << made.body;
  EXPECT_EQ(made.json(), json({{"status", 200}}));
  ASSERT_EQ(http_post(h, "/channel/subscriber_add", R"({"channel_id":"g1","channel_type":2,"subscribers":["carol"]})").status,
            200);
  auto bob = start_recv(srv->tcp(), "bob", 3);
  auto carol = start_recv(srv->tcp(), "carol", 2);
  EXPECT_EQ(send(h, "alice", "g1", 2, "g-1")["reason"], 1);
  ASSERT_EQ(http_post(h, "/channel/subscriber_remove", R"({"channel_id":"g1","channel_type":2,"subscribers":["carol"]})")
                .status,
            200);
  EXPECT_EQ(send(h, "alice", "g1", 2, "g-2")["message_seq"], 2);
  EXPECT_EQ(send(h, "carol", "g1", 2, "g-3")["reason"], 11) << "carol is no longer a member";
 // A binary SEND from a member goes through the same membership and fan-out.
  auto bin = run_wkit({"send", "-s", srv->tcp(), "-u", "alice", "--channel", "g1", "--channel-type", "2", "--text", "b",
                       "-o", "jsonl"},
                      30s);
  EXPECT_EQ(bin.code, 0) << bin.out << bin.err;
  // Delivered in commit order: had carol been a recipient of g-2, it would come before this.
  EXPECT_EQ(send(h, "alice", "carol", 1, "marker")["reason"], 1);
  ASSERT_EQ(bob->wait_exit(30s), std::optional<int>(0)) << bob->stderr_text();
  ASSERT_EQ(carol->wait_exit(30s), std::optional<int>(0)) << carol->stderr_text();
  auto to_bob = recvs(*bob), to_carol = recvs(*carol);
  ASSERT_EQ(to_bob.size(), 3u);
  EXPECT_EQ(to_bob[0]["client_msg_no"], "g-1");
  EXPECT_EQ(to_bob[1]["client_msg_no"], "g-2");
  EXPECT_EQ(to_bob[2]["channel_id"], "g1");
  EXPECT_EQ(to_bob[2]["from_uid"], "alice");
  ASSERT_EQ(to_carol.size(), 2u);
  EXPECT_EQ(to_carol[0]["client_msg_no"], "g-1");
  EXPECT_EQ(to_carol[1]["client_msg_no"], "marker");
  // messagesync (3.x) checks the new membership.
  auto sync_as = [&](const std::string& uid) {
    return http_post(h, "/channel/messagesync",
                     json{{"login_uid", uid}, {"channel_id", "g1"}, {"channel_type", 2}, {"limit", 10}}.dump());
  };
  EXPECT_EQ(sync_as("bob").status, 200);
  EXPECT_EQ(sync_as("carol").status, 400);

  // Conversations: alice's person channel with carol and g1, in (type, id) order, paged by cursor.
  auto all = list(h, {{"uid", "alice"}});
  EXPECT_EQ(listed(all), (std::vector<std::tuple<std::string, int, uint64_t>>{{"carol", 1, 1}, {"g1", 2, 3}}));
  EXPECT_EQ(all["done"], true);
  EXPECT_EQ(all["conversations"][1]["last_message"]["from_uid"], "alice");
  auto first = list(h, {{"uid", "alice"}, {"limit", 1}});
  EXPECT_EQ(listed(first).size(), 1u);
  EXPECT_EQ(first["done"], false);
  auto second = list(h, {{"uid", "alice"}, {"limit", 1}, {"cursor", first["next_cursor"]}});
  EXPECT_EQ(listed(second), (std::vector<std::tuple<std::string, int, uint64_t>>{{"g1", 2, 3}}));
  EXPECT_EQ(second["done"], true);
  EXPECT_EQ(listed(list(h, {{"uid", "carol"}})), (std::vector<std::tuple<std::string, int, uint64_t>>{{"alice", 1, 1}}))
      << "carol left g1";
  for (const char* body : {R"({"limit":5})", R"({"uid":"alice","limit":"5"})", R"({"uid":"alice","cursor":"@@"})"}) {
    auto r = http_post(h, "/conversation/list", body);
    EXPECT_EQ(r.status, 400) << body << " -> " << r.body;
  }
  EXPECT_EQ(http_post(h, "/conversation/sync", R"({"uid":"alice"})").status, 404) << "2.x only";
  ASSERT_EQ(srv->stop(), std::optional<int>(0));

  // The store keeps the group as the API left it.
  srv = std::make_unique<ApiServe>(std::vector<std::string>{}, data);
  EXPECT_EQ(send(srv->http(), "bob", "g1", 2, "after")["reason"], 1);
  EXPECT_EQ(send(srv->http(), "carol", "g1", 2, "after")["reason"], 11);
  EXPECT_EQ(listed(list(srv->http(), {{"uid", "bob"}})),
            (std::vector<std::tuple<std::string, int, uint64_t>>{{"g1", 2, 4}}));
  ASSERT_EQ(srv->stop(), std::optional<int>(0));
}

TEST(ServeHttpGroups, ConversationSync2xListsAUidsChannels) {
  ApiServe srv({"--api-compat", "2"});
  const std::string h = srv.http();
  ASSERT_EQ(http_post(h, "/channel", R"({"channel_id":"g2","channel_type":2,"subscribers":["alice","bob"]})").status, 200);
  send(h, "alice", "bob", 1, "p1");
  send(h, "alice", "bob", 1, "p2");
  send(h, "alice", "g2", 2, "g1");
  auto sync = [&](const json& body) {
    auto r = http_post(h, "/conversation/sync", body.dump());
    if (r.status != 200) throw std::runtime_error("conversation/sync: " + r.body);
    return r.json();
  };
  auto all = sync({{"uid", "bob"}, {"msg_count", 2}});
  ASSERT_TRUE(all.is_array()) << all;
  ASSERT_EQ(all.size(), 2u) << all;
  EXPECT_EQ(all[0]["channel_id"], "alice");
  EXPECT_EQ(all[0]["channel_type"], 1);
  EXPECT_EQ(all[0]["last_msg_seq"], 2);
  EXPECT_EQ(all[0]["last_client_msg_no"], "p2");
  ASSERT_EQ(all[0]["recents"].size(), 2u);
  EXPECT_EQ(all[0]["recents"][1]["client_msg_no"], "p2");
  EXPECT_EQ(all[1]["channel_id"], "g2");
  EXPECT_EQ(all[1]["last_msg_seq"], 1);
  EXPECT_EQ(sync({{"uid", "bob"}, {"exclude_channel_types", {2}}}).size(), 1u);
  auto page2 = sync({{"uid", "bob"}, {"page", 2}, {"page_size", 1}});
  ASSERT_EQ(page2.size(), 1u);
  EXPECT_EQ(page2[0]["channel_id"], "g2");
  EXPECT_TRUE(sync({{"uid", "dave"}}).empty());
  auto bad = http_post(h, "/conversation/sync", R"({"uid":"bob","exclude_channel_types":"2"})");
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.body.find("exclude_channel_types"), std::string::npos) << bad.body;
  EXPECT_EQ(http_post(h, "/conversation/list", R"({"uid":"bob"})").status, 404) << "3.x only";
}

}  // namespace
