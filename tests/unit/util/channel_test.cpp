// Canonical person channel ids and channel type names (docs/protocol.md section 5).
#include <gtest/gtest.h>

#include "wkit/util/channel.hpp"

namespace wu = wkit::util;

TEST(Crc32, IeeeCheckValue) {
  EXPECT_EQ(wu::crc32_ieee("123456789"), 0xcbf43926u);
  EXPECT_EQ(wu::crc32_ieee(""), 0u);
  EXPECT_EQ(wu::crc32_ieee("alice"), 0x278ebc47u);
  EXPECT_EQ(wu::crc32_ieee("bob"), 0xf5cbb140u);
}

// Expectations computed with Python's zlib.crc32.
TEST(PersonChannelId, LargerCrcFirstInEitherOrder) {
  struct Case {
    const char *a, *b, *canonical;
  };
  const Case cases[] = {
      {"alice", "bob", "bob@alice"},                // 0x278ebc47 < 0xf5cbb140
      {"u1", "u2", "u2@u1"},                        // 0x424f9f76 < 0xdb46cecc
      {"user-1000", "user-1001", "user-1000@user-1001"},  // 0x4db45c71 > 0x3ab36ce7
      {"a", "b", "a@b"},                            // 0xe8b7be43 > 0x71beeff9
      {"10001", "10002", "10002@10001"},            // 0x00bb4dd3 < 0x99b21c69
      {"", "x", "x@"},
      {"\xe5\xbc\xa0\xe4\xb8\x89", "\xe6\x9d\x8e\xe5\x9b\x9b", "\xe5\xbc\xa0\xe4\xb8\x89@\xe6\x9d\x8e\xe5\x9b\x9b"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(wu::person_channel_id(c.a, c.b), c.canonical) << c.a << " " << c.b;
    EXPECT_EQ(wu::person_channel_id(c.b, c.a), c.canonical) << c.b << " " << c.a;
  }
}

TEST(PersonChannelId, CrcTieGoesToLexicallyLarger) {
  // Known CRC32 collisions: both pairs hash equal (0x4ddb0c25, 0x69c8c72d).
  ASSERT_EQ(wu::crc32_ieee("plumless"), wu::crc32_ieee("buckeroo"));
  EXPECT_EQ(wu::person_channel_id("plumless", "buckeroo"), "plumless@buckeroo");
  EXPECT_EQ(wu::person_channel_id("buckeroo", "plumless"), "plumless@buckeroo");
  ASSERT_EQ(wu::crc32_ieee("codding"), wu::crc32_ieee("gnu"));
  EXPECT_EQ(wu::person_channel_id("codding", "gnu"), "gnu@codding");
  EXPECT_EQ(wu::person_channel_id("same", "same"), "same@same");
}

TEST(PersonChannelId, ToReplacesAndSplitRoundTrips) {
  std::string out = "old contents";
  wu::person_channel_id_to("alice", "bob", out);
  EXPECT_EQ(out, "bob@alice");
  auto parts = wu::split_person_channel_id(out);
  ASSERT_TRUE(parts.has_value());
  EXPECT_EQ(parts->first, "bob");
  EXPECT_EQ(parts->second, "alice");
  EXPECT_FALSE(wu::split_person_channel_id("group-1").has_value());
}

TEST(ChannelType, NamesAndParsing) {
  EXPECT_EQ(wu::channel_type_name(1), "person");
  EXPECT_EQ(wu::channel_type_name(2), "group");
  EXPECT_EQ(wu::channel_type_name(12), "agent_group");
  EXPECT_EQ(wu::channel_type_name(0), "unknown");
  EXPECT_EQ(wu::channel_type_name(200), "unknown");
  for (uint8_t t = 1; t <= 12; ++t) EXPECT_EQ(wu::parse_channel_type(wu::channel_type_name(t)), t);
  EXPECT_EQ(wu::parse_channel_type("7"), 7);
  EXPECT_EQ(wu::parse_channel_type("255"), 255);
  EXPECT_FALSE(wu::parse_channel_type("256").has_value());
  EXPECT_FALSE(wu::parse_channel_type("").has_value());
  EXPECT_FALSE(wu::parse_channel_type("persons").has_value());
  EXPECT_FALSE(wu::parse_channel_type("1x").has_value());
}
