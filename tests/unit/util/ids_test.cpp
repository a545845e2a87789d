// client_msg_no and Snowflake message_id generation.
#include <gtest/gtest.h>

#include <thread>
#include <unordered_set>

#include "wkit/util/ids.hpp"

namespace wu = wkit::util;

TEST(ClientMsgNo, ThirtyTwoLowercaseHexAndUnique) {
  std::unordered_set<std::string> seen;
  for (int i = 0; i < 100000; ++i) {
    std::string s = wu::random_client_msg_no();
    ASSERT_EQ(s.size(), 32u);
    for (char c : s) ASSERT_TRUE((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')) << s;
    ASSERT_TRUE(seen.insert(s).second) << "duplicate " << s;
  }
}

TEST(ClientMsgNo, BufferVariantWritesExactly32) {
  char buf[34];
  std::fill(std::begin(buf), std::end(buf), '#');
  wu::random_client_msg_no(buf);
  EXPECT_EQ(buf[32], '#');
  EXPECT_EQ(buf[33], '#');
  EXPECT_EQ(std::string_view(buf, 32).find('#'), std::string_view::npos);
}

TEST(ClientMsgNo, ThreadsDoNotRepeatEachOther) {
  constexpr int kThreads = 4, kPer = 20000;
  std::vector<std::vector<std::string>> out(kThreads);
  std::vector<std::thread> ts;
  for (int t = 0; t < kThreads; ++t)
    ts.emplace_back([&, t] {
      for (int i = 0; i < kPer; ++i) out[t].push_back(wu::random_client_msg_no());
    });
  for (auto& t : ts) t.join();
  std::unordered_set<std::string> all;
  for (auto& v : out)
    for (auto& s : v) all.insert(s);
  EXPECT_EQ(all.size(), size_t{kThreads} * kPer);
}

TEST(Snowflake, LayoutAndSplit) {
  wu::SnowflakeGenerator g(5);
  const int64_t t = wu::SnowflakeGenerator::kDefaultEpochMs + 123456789;
  int64_t a = g.next_at(t);
  EXPECT_EQ(a, (int64_t{123456789} << 22) | (5 << 12) | 0);
  int64_t b = g.next_at(t);
  EXPECT_EQ(b, a + 1);  // same millisecond: next sequence
  auto p = g.split(b);
  EXPECT_EQ(p.unix_ms, t);
  EXPECT_EQ(p.node, 5);
  EXPECT_EQ(p.sequence, 1);
}

TEST(Snowflake, NodeIdIsMaskedTo10Bits) {
  wu::SnowflakeGenerator g(1024 + 7);
  EXPECT_EQ(g.node(), 7);
  EXPECT_EQ(g.split(g.next()).node, 7);
}

TEST(Snowflake, MonotonicWhenTheClockStepsBack) {
  wu::SnowflakeGenerator g(1);
  const int64_t t = wu::SnowflakeGenerator::kDefaultEpochMs + 1000000;
  int64_t prev = g.next_at(t);
  for (int64_t clock : {t - 500, t - 1, t, t + 5, t + 2, t - 100000, t + 5}) {
    int64_t id = g.next_at(clock);
    EXPECT_GT(id, prev) << "clock " << clock;
    prev = id;
  }
  EXPECT_EQ(g.split(prev).unix_ms, t + 5);  // never went back in time
}

TEST(Snowflake, SequenceOverflowBorrowsTheNextMillisecond) {
  wu::SnowflakeGenerator g(3);
  const int64_t t = wu::SnowflakeGenerator::kDefaultEpochMs + 42;
  int64_t prev = -1;
  for (int i = 0; i < 4096 * 2 + 10; ++i) {
    int64_t id = g.next_at(t);
    ASSERT_GT(id, prev);
    prev = id;
  }
  auto p = g.split(prev);
  EXPECT_EQ(p.unix_ms, t + 2);
  EXPECT_EQ(p.sequence, 9);
}

TEST(Snowflake, ClockBeforeEpochStillUnique) {
  wu::SnowflakeGenerator g(0);
  int64_t a = g.next_at(0), b = g.next_at(0);
  EXPECT_GT(b, a);
}

TEST(Snowflake, UniqueAndIncreasingPerThreadAcrossThreads) {
  wu::SnowflakeGenerator g(9);
  constexpr int kThreads = 4, kPer = 50000;
  std::vector<std::vector<int64_t>> out(kThreads);
  std::vector<std::thread> ts;
  for (int t = 0; t < kThreads; ++t)
    ts.emplace_back([&, t] {
      for (int i = 0; i < kPer; ++i) out[t].push_back(g.next());
    });
  for (auto& t : ts) t.join();
  std::unordered_set<int64_t> all;
  for (auto& v : out) {
    for (size_t i = 1; i < v.size(); ++i) ASSERT_GT(v[i], v[i - 1]);
    all.insert(v.begin(), v.end());
  }
  EXPECT_EQ(all.size(), size_t{kThreads} * kPer);
}
