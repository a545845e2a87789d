// Receiver accounting, ack policies, generated payloads and users files.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "wkit/app/client_deliveries.hpp"
#include "wkit/app/client_payload.hpp"
#include "wkit/app/client_receiver.hpp"
#include "wkit/app/client_send.hpp"

using namespace wkit::app;

namespace {

DeliveryInfo d(std::string_view cmn, int64_t id, uint64_t seq, std::string_view ch = "alice") {
  DeliveryInfo x;
  x.client_msg_no = cmn;
  x.channel_id = ch;
  x.from_uid = "alice";
  x.channel_type = 1;
  x.message_id = id;
  x.message_seq = seq;
  return x;
}

TEST(DeliveryTracker, ClassifiesRedeliveriesAndServerDuplicates) {
  DeliveryTracker t;
  EXPECT_STREQ(t.record(d("a", 100, 1), 0).kind(), "none");
  EXPECT_STREQ(t.record(d("b", 101, 2), 1).kind(), "none");
  // Same message again (unacked RECV resent): same message_id.
  auto again = t.record(d("a", 100, 1), 2);
  EXPECT_TRUE(again.dup_message_id);
  EXPECT_TRUE(again.dup_client_msg_no);
  EXPECT_STREQ(again.kind(), "redelivery");
  // Same client_msg_no under a new message_id: the server stored it twice.
  auto twice = t.record(d("b", 205, 3), 3);
  EXPECT_TRUE(twice.new_id_for_known_client_msg_no);
  EXPECT_FALSE(twice.dup_message_id);
  EXPECT_STREQ(twice.kind(), "server_duplicate");
  EXPECT_EQ(t.received(), 4u);
  EXPECT_EQ(t.unique(), 2u);
  EXPECT_EQ(t.dup_by_message_id(), 1u);
  EXPECT_EQ(t.dup_by_client_msg_no(), 2u);
  EXPECT_EQ(t.server_duplicates(), 1u);
  EXPECT_EQ(t.deliveries_of("a"), 2u);
  EXPECT_EQ(t.ids_by_client_msg_no().at("b").size(), 2u);
  auto j = t.summary_json();
  EXPECT_EQ(j["duplicates"]["server_created"], 1);
}

TEST(DeliveryTracker, WindowForgetsOldClientMsgNos) {
  DeliveryTracker t(1000);  // 1 us window
  t.record(d("a", 1, 1), 0);
  EXPECT_TRUE(t.record(d("a", 2, 2), 500).dup_client_msg_no);
  // 2000 ns after the last sighting: outside the window, not a duplicate by client_msg_no.
  EXPECT_FALSE(t.record(d("a", 3, 3), 2500).dup_client_msg_no);
}

TEST(DeliveryTracker, SeqGapsPerChannel) {
  DeliveryTracker t;
  for (uint64_t s : {3, 4, 7, 9}) t.record(d("m" + std::to_string(s), int64_t(s), s, "alice"), 0);
  for (uint64_t s : {1, 2}) t.record(d("n" + std::to_string(s), int64_t(100 + s), s, "carol"), 0);
  auto gaps = t.gaps();
  ASSERT_EQ(gaps.size(), 2u);
  auto& a = gaps[0].channel == "1:alice" ? gaps[0] : gaps[1];
  auto& c = gaps[0].channel == "1:alice" ? gaps[1] : gaps[0];
  EXPECT_EQ(a.min_seq, 3u);
  EXPECT_EQ(a.max_seq, 9u);
  EXPECT_EQ(a.missing, 3u);  // 5, 6, 8
  ASSERT_EQ(a.missing_ranges.size(), 2u);
  EXPECT_EQ(a.missing_ranges[0], (std::pair<uint64_t, uint64_t>{5, 6}));
  EXPECT_EQ(a.missing_ranges[1], (std::pair<uint64_t, uint64_t>{8, 8}));
  EXPECT_EQ(c.missing, 0u);
  EXPECT_EQ(t.summary_json()["seq_gaps"]["missing"], 3);
}

TEST(AckPolicy, Parses) {
  EXPECT_EQ(AckPolicy::parse("always").value().kind, AckPolicy::Kind::always);
  EXPECT_EQ(AckPolicy::parse("never").value().kind, AckPolicy::Kind::never);
  auto drop = AckPolicy::parse("drop:0.25");
  ASSERT_TRUE(drop.ok());
  EXPECT_EQ(drop->kind, AckPolicy::Kind::drop);
  EXPECT_DOUBLE_EQ(drop->p, 0.25);
  auto delay = AckPolicy::parse("delay:250ms");
  ASSERT_TRUE(delay.ok());
  EXPECT_EQ(delay->delay, std::chrono::milliseconds(250));
  for (auto bad : {"sometimes", "drop:", "drop:1.5", "drop:x", "delay:soon"}) {
    auto r = AckPolicy::parse(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().kind, wkit::ErrorKind::usage);
    EXPECT_NE(r.error().message.find(std::string("'") + bad + "'"), std::string::npos);
  }
}

TEST(Payload, TimedPayloadRoundTripsAndPads) {
  std::string p;
  make_timed_payload(1764547200123456789, 64, p);
  EXPECT_EQ(p.size(), 64u);
  EXPECT_EQ(timed_payload_ns(p), 1764547200123456789);
  std::string again;
  make_timed_payload(1764547200123456789, 64, again);
  EXPECT_EQ(p, again);  // a resend carries identical bytes
  make_timed_payload(5, 0, p);
  EXPECT_EQ(p, "wkit:ts=5;");
  EXPECT_FALSE(timed_payload_ns("hello"));
  EXPECT_FALSE(timed_payload_ns("wkit:ts=12"));
  EXPECT_FALSE(timed_payload_ns("wkit:ts=;"));
}

TEST(Payload, TextContentIsEscapedJson) {
  EXPECT_EQ(text_content("hi"), R"({"content":"hi","type":1})");
  auto j = nlohmann::json::parse(text_content("a\"b\n"));
  EXPECT_EQ(j["content"], "a\"b\n");
  EXPECT_EQ(j["type"], 1);
}

TEST(UsersFile, ReadsAndNamesBadLines) {
  auto dir = std::filesystem::temp_directory_path() / ("wkit-users-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto good = (dir / "good").string();
  std::ofstream(good) << "# load users\nalice:t1\n\nbob\r\n";
  auto users = read_users_file(good);
  ASSERT_TRUE(users.ok()) << users.error().message;
  ASSERT_EQ(users->size(), 2u);
  EXPECT_EQ((*users)[0].uid, "alice");
  EXPECT_EQ((*users)[0].token, "t1");
  EXPECT_EQ((*users)[1].uid, "bob");
  EXPECT_EQ((*users)[1].token, "");
  auto bad = (dir / "bad").string();
  std::ofstream(bad) << "alice\nbad uid:x\n";
  auto r = read_users_file(bad);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find(bad + ":2"), std::string::npos) << r.error().message;
  EXPECT_EQ(r.error().kind, wkit::ErrorKind::bad_input);
  EXPECT_FALSE(read_users_file((dir / "missing").string()).ok());
  std::filesystem::remove_all(dir);
}

TEST(Identity, SplitsUidAndToken) {
  auto a = parse_identity("bob:se:cret");
  EXPECT_EQ(a.uid, "bob");
  EXPECT_EQ(a.token, "se:cret");
  EXPECT_EQ(parse_identity("carol").token, "");
}

}  // namespace
