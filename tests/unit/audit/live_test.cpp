// Live audits without a server: messagesync pages read into records, the
// 2.x/3.x differences (timestamp 0, empty system from_uid, person channel
// ids) and the whole run through a fake transport. The real server:
// tests/e2e/audit_live_test.cpp.
#include <csignal>

#include "audit_test_util.hpp"
#include "wkit/audit/live.hpp"
#include "wkit/util/channel.hpp"
#include "wkit/util/ids.hpp"

namespace wkit::audit::test {
namespace {

using nlohmann::json;

json message(uint64_t id, uint64_t seq, const std::string& cmn, const std::string& from, int64_t ts = 1796000000,
             const std::string& channel = "g1", int type = 2) {
  return {{"message_id", id},         {"message_idstr", std::to_string(id)}, {"client_msg_no", cmn},
          {"message_seq", seq},       {"from_uid", from},                    {"channel_id", channel},
          {"channel_type", type},     {"timestamp", ts},                     {"payload", "aGk="},
          {"header", {{"no_persist", 0}, {"red_dot", 0}, {"sync_once", 0}}}};
}

std::string page(const std::vector<json>& msgs, int more) {
  return json{{"start_message_seq", 1}, {"end_message_seq", 0}, {"more", more}, {"messages", msgs}}.dump();
}

struct Seen {
  std::vector<uint64_t> seqs;
  std::vector<std::string> cmns;
  std::vector<std::pair<uint64_t, std::string>> malformed;
};

Result<LivePage> read(std::string body, Seen& s, uint64_t start = 1) {
  return read_messagesync_page(
      body, start,
      [&](RawFields& f, uint64_t seq) {
        s.seqs.push_back(seq);
        s.cmns.emplace_back(f.client_msg_no.value_or("?"));
      },
      [&](uint64_t seq, std::string_view what) { s.malformed.emplace_back(seq, std::string(what)); });
}

TEST(AuditLivePage, ReadsMessagesInOrderWithMore) {
  Seen s;
  auto p = read(page({message(11, 3, "a", "u1"), message(12, 4, "b", "u1")}, 1), s, 3);
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_EQ(p->messages, 2u);
  EXPECT_EQ(p->last_seq, 4u);
  EXPECT_TRUE(p->more);
  EXPECT_EQ(s.seqs, (std::vector<uint64_t>{3, 4}));
  EXPECT_EQ(s.cmns, (std::vector<std::string>{"a", "b"}));
}

TEST(AuditLivePage, EmptyAndNullPagesEnd) {
  Seen s;
  auto p = read(page({}, 0), s);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->messages, 0u);
  EXPECT_FALSE(p->more);
  auto q = read(R"({"more":1,"messages":null})", s);
  ASSERT_TRUE(q);
  EXPECT_EQ(q->messages, 0u);
}

TEST(AuditLivePage, AnswersThatAreNotMessagesyncAreErrors) {
  Seen s;
  for (const char* body : {"not json", "[1,2]", R"({"status":200})", R"({"messages":{}})", R"({"messages":[1]})",
                           R"({"messages":[{"message_id":1,"client_msg_no":"a"}]})"}) {
    auto p = read(body, s);
    ASSERT_FALSE(p) << body;
    EXPECT_EQ(p.error().kind, ErrorKind::bad_input) << body;
    EXPECT_NE(p.error().message.find("not a messagesync answer"), std::string::npos) << p.error().message;
  }
  // Seqs that do not go up from the start would page forever.
  auto back = read(page({message(11, 5, "a", "u1"), message(12, 5, "b", "u1")}, 1), s, 5);
  ASSERT_FALSE(back);
  EXPECT_NE(back.error().message.find("not ascending"), std::string::npos);
  auto before = read(page({message(11, 2, "a", "u1")}, 1), s, 3);
  ASSERT_FALSE(before);
}

TEST(AuditLivePage, AMessageWithABadFieldIsMalformedAtItsSeq) {
  Seen s;
  json bad = message(13, 2, "b", "u1");
  bad["timestamp"] = json::array();
  auto p = read(page({message(12, 1, "a", "u1"), bad}, 0), s);
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_EQ(s.seqs, (std::vector<uint64_t>{1}));
  ASSERT_EQ(s.malformed.size(), 1u);
  EXPECT_EQ(s.malformed[0].first, 2u);
}

TEST(AuditLiveFields, PersonChannelsGetTheirStoredIdAndTimeComesFromTheIdWhenZero) {
  LiveOptions o;
  o.login_uid = "alice";
  auto v = live_channel_view(o, LiveChannel{"bob", 1});
  EXPECT_EQ(v.canonical_id, util::person_channel_id("alice", "bob"));
  EXPECT_EQ(live_channel_view(o, LiveChannel{"x@y", 1}).canonical_id, "x@y");
  EXPECT_EQ(live_channel_view(o, LiveChannel{"g1", 2}).canonical_id, "g1");

  util::SnowflakeGenerator gen(3);
  const int64_t id = gen.next_at(1796000123456);
  RawFields f;
  f.message_id = static_cast<uint64_t>(id);
  f.channel_id = "bob";
  f.channel_type = 1;
  f.timestamp = 0;  // WuKongIM 3.x
  EXPECT_TRUE(adapt_live_fields(v, f));
  EXPECT_EQ(f.timestamp, 1796000123);
  EXPECT_EQ(f.channel_id, v.canonical_id);
  f.timestamp = 5;
  EXPECT_FALSE(adapt_live_fields(v, f));
  EXPECT_EQ(f.timestamp, 5);

  RawFields g;
  g.from_uid = "";
  adapt_live_fields(v, g);
  EXPECT_EQ(g.from_uid, "");  // 3.x: empty stays empty
  o.api_compat = 2;
  adapt_live_fields(live_channel_view(o, LiveChannel{"g1", 2}), g);
  EXPECT_EQ(g.from_uid, "____system");  // 2.x writes "" for the system uid
}

TEST(AuditLiveFlags, ChannelsRatesAndFiles) {
  auto c = parse_live_channel("g1:2");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->id, "g1");
  EXPECT_EQ(c->type, 2);
  auto named = parse_live_channel("a:b:group");  // the last ':' splits
  ASSERT_TRUE(named);
  EXPECT_EQ(named->id, "a:b");
  EXPECT_EQ(named->type, 2);
  for (const char* bad : {"g1", ":2", "g1:0", "g1:x", "g1:300"}) EXPECT_FALSE(parse_live_channel(bad)) << bad;
  EXPECT_DOUBLE_EQ(parse_live_rate("20/s").value(), 20);
  EXPECT_DOUBLE_EQ(parse_live_rate("0.5/s").value(), 0.5);
  EXPECT_DOUBLE_EQ(parse_live_rate("30/m").value(), 0.5);
  for (const char* bad : {"", "0", "0.5", "20", "x/s", "0/s", "100000/s"}) EXPECT_FALSE(parse_live_rate(bad)) << bad;
  EXPECT_NE(parse_live_rate("20").error().message.find("write 20/s"), std::string::npos);

  TempDir dir;
  write_file(dir.file("ch.txt"), "# channels\ng1:2\n\n  bob:1   # a person\n");
  auto list = read_live_channels(dir.file("ch.txt"));
  ASSERT_TRUE(list) << list.error().message;
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[1].id, "bob");
  write_file(dir.file("bad.txt"), "g1:2\nnope\n");
  auto bad = read_live_channels(dir.file("bad.txt"));
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("bad.txt:2"), std::string::npos) << bad.error().message;
}

// A fake server: pages of one group channel, `limit` at a time (pull_mode 1).
struct FakeServer {
  std::vector<json> messages;  // ascending seq
  std::vector<json> requests;
  int status = 200;
  LiveFetch fetch() {
    return [this](const std::string& body) -> Result<LiveReply> {
      json req = json::parse(body);
      requests.push_back(req);
      if (status != 200) return LiveReply{status, R"({"msg":"no such thing","status":400})"};
      const uint64_t start = req["start_message_seq"], limit = req["limit"];
      std::vector<json> out;
      for (auto& m : messages)
        if (m["message_seq"].get<uint64_t>() >= start && out.size() < limit) out.push_back(m);
      const bool more = !out.empty() && out.back()["message_seq"] != messages.back()["message_seq"];
      return LiveReply{200, page(out, more ? 1 : 0)};
    };
  }
};

AuditOptions live_options(FakeServer& s) {
  AuditOptions o;
  o.live.emplace();
  o.live->url = "http://fake:1";
  o.live->login_uid = "alice";
  o.live->channels = {{"g1", 2}};
  o.live->page_size = 2;
  o.live->rate = 10000;
  o.live->fetch = s.fetch();
  o.threads = 1;
  return o;
}

TEST(AuditLive, PagesThroughAChannelAndFindsADuplicateWithTimesFromIds) {
  FakeServer s;
  util::SnowflakeGenerator gen(1);
  const int64_t t0 = 1796000000000;
  s.messages = {message(gen.next_at(t0), 1, "a", "bob", 0), message(gen.next_at(t0 + 1000), 2, "b", "bob", 0),
                message(gen.next_at(t0 + 2000), 3, "a", "bob", 0), message(gen.next_at(t0 + 3000), 4, "c", "bob", 0),
                message(gen.next_at(t0 + 4000), 5, "d", "bob", 0)};
  auto r = audit_ok(live_options(s));
  EXPECT_EQ(r["rows"], 5u);
  EXPECT_EQ(r["status"], "findings");
  EXPECT_EQ(count(r, "duplicate_client_msg_no"), 1u);
  const json& item = r["findings"]["duplicate_client_msg_no"]["items"][0];
  EXPECT_EQ(item["first_time"], 1796000000);
  EXPECT_EQ(item["time_spread_s"], 2);
  EXPECT_EQ(item["messages"][1]["location"], "http://fake:1/g1:2:3");
  ASSERT_EQ(s.requests.size(), 3u);  // seqs 1-2, 3-4, 5 (more 0)
  EXPECT_EQ(s.requests[1]["start_message_seq"], 3);
  EXPECT_EQ(s.requests[0]["pull_mode"], 1);
  EXPECT_EQ(s.requests[0]["login_uid"], "alice");
  const json& live = r["inputs"][0]["live"];
  EXPECT_EQ(live["last_seq"], 5);
  EXPECT_EQ(live["pages"], 3);
  EXPECT_EQ(live["timestamps_from_message_id"], 5);
}

TEST(AuditLive, SinceSeqStartsLater) {
  FakeServer s;
  s.messages = {message(1, 1, "a", "bob"), message(2, 2, "b", "bob"), message(3, 3, "a", "bob")};
  auto o = live_options(s);
  o.live->since_seq = 2;
  auto r = audit_ok(o);
  EXPECT_EQ(r["rows"], 2u);
  EXPECT_EQ(r["status"], "clean");
  EXPECT_EQ(s.requests[0]["start_message_seq"], 2);
}

TEST(AuditLive, ANon200AnswerIsAConnectionErrorNamingTheChannel) {
  FakeServer s;
  s.status = 400;
  auto r = run_audit(live_options(s));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::connection);
  EXPECT_EQ(r.error().message, "http://fake:1/channel/messagesync channel g1:2: HTTP 400: no such thing");
}

TEST(AuditLive, StoppedBeforeTheFirstRequestIsUnverified) {
  FakeServer s;
  s.messages = {message(1, 1, "a", "bob")};
  std::atomic<int> stop{SIGINT};
  auto o = live_options(s);
  o.stop = &stop;
  auto r = audit_ok(o);
  EXPECT_EQ(r["status"], "unverified");
  EXPECT_EQ(r["interrupted"], "SIGINT");
  EXPECT_TRUE(s.requests.empty());
}

}  // namespace
}  // namespace wkit::audit::test
