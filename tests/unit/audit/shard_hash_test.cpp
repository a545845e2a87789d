// The hashes that decide shards (--shard K/N) and spill partitions are
// defined by the bytes alone: XXH3-64 plus fixed arithmetic. These literal
// values must hold on every machine and build, or partial reports made on
// different ones would not merge (docs/audit.md "Sharded audits").
#include <gtest/gtest.h>

#include <string>

#include "audit_test_util.hpp"
#include "wkit/audit/record.hpp"

namespace wkit::audit {
namespace {

TEST(ShardHash, StringHashIsXxh3) {
  // XXH3_64bits("") is the published test value of XXH3.
  EXPECT_EQ(hash_bytes(""), 0x2D06800538D394C2ULL);
  EXPECT_EQ(hash_bytes("abc"), 0x78AF5F94892F3950ULL);
  EXPECT_EQ(hash_bytes("abc", 0xc3), 0xC33BB0C63A32C9E8ULL);
  EXPECT_EQ(client_msg_no_hash("abc"), hash_bytes("abc", 0xc3));
  EXPECT_EQ(channel_key("g7", 2), 0x7791D442657C00F1ULL);
}

struct CmnKey {
  const char* channel_id;
  int type;
  const char* from_uid;
  const char* client_msg_no;
  uint32_t shards[3][2];  // per scope (sender, channel, global): shard of 4, shard of 7 (0-based)
};

// Shards of the duplicate_client_msg_no grouping, 0-based.
const CmnKey kCmnKeys[] = {
    {"g1", 2, "u1", "cmn-1", {{1, 3}, {1, 1}, {3, 3}}},
    {"g1", 2, "u2", "cmn-1", {{2, 3}, {1, 1}, {3, 3}}},
    {"g1", 2, "u1", "cmn-2", {{0, 6}, {2, 1}, {3, 5}}},
    {"u1@u2", 1, "u1", "c-0001", {{0, 2}, {1, 4}, {1, 0}}},
    {"u1@u2", 1, "u2", "c-0001", {{1, 3}, {1, 4}, {1, 0}}},
    {"\xe7\xbe\xa4", 2, "\xe7\x94\xa8\xe6\x88\xb7", "\xe6\xb6\x88\xe6\x81\xaf-42", {{0, 6}, {3, 1}, {2, 4}}},
    {"room-9", 3, "bot", "6bc2f0e4-7a1d-4a9e-9f1e-0c2d4b5a6e7f", {{0, 6}, {3, 5}, {1, 5}}},
    {"g2000", 2, "u1999_4", "m-1999-0003", {{1, 2}, {0, 5}, {3, 2}}},
};

Record cmn_record(const CmnKey& k) {
  Record r{};
  r.channel = channel_key(k.channel_id, k.type);
  r.from = sender_hash(k.from_uid);
  r.cmn_hash = client_msg_no_hash(k.client_msg_no);
  return r;
}

TEST(ShardHash, ClientMsgNoKeysToShards) {
  for (const auto& k : kCmnKeys)
    for (int scope = 0; scope < 3; ++scope) {
      SCOPED_TRACE(std::string(k.channel_id) + " " + k.from_uid + " " + k.client_msg_no + " scope " +
                   scope_name(static_cast<Scope>(scope)));
      EXPECT_EQ(shard_of(cmn_record(k), kByClientMsgNo, scope, 4), k.shards[scope][0]);
      EXPECT_EQ(shard_of(cmn_record(k), kByClientMsgNo, scope, 7), k.shards[scope][1]);
    }
}

TEST(ShardHash, MessageIdsToShards) {
  const struct {
    uint64_t id;
    uint32_t of4, of7;
  } ids[] = {{1ULL, 2, 1}, {1700000001000000208ULL, 1, 0}, {9223372036854775813ULL, 1, 3}, {18446744073709551615ULL, 1, 0}};
  for (const auto& v : ids) {
    Record r{};
    r.message_id = v.id;
    EXPECT_EQ(shard_of(r, kByMessageId, 0, 4), v.of4) << v.id;
    EXPECT_EQ(shard_of(r, kByMessageId, 0, 7), v.of7) << v.id;
  }
}

TEST(ShardHash, ChannelsToShards) {
  const struct {
    const char* id;
    int type;
    uint32_t of4, of7;
  } channels[] = {{"g1", 2, 0, 6},    {"g2", 2, 3, 2},     {"g3", 2, 3, 0},      {"g7", 2, 2, 4},
                  {"u1@u2", 1, 0, 0}, {"u2@u3", 1, 0, 1},  {"\xe7\xbe\xa4", 2, 0, 1}, {"", 0, 1, 4},
                  {"room-9", 3, 0, 0}, {"g2000", 2, 0, 4}};
  for (const auto& c : channels) {
    Record r{};
    r.channel = channel_key(c.id, c.type);
    EXPECT_EQ(shard_of(r, kByChannel, 0, 4), c.of4) << c.id;
    EXPECT_EQ(shard_of(r, kByChannel, 0, 7), c.of7) << c.id;
  }
}

// The same numbers through a real audit: each finding is reported by the
// shard the table above names, and by no other.
TEST(ShardHash, RunAuditReportsEachGroupInItsShard) {
  test::TempDir dir;
  const std::string in = dir.file("x.jsonl");
  test::write_file(in,
                   // duplicate_client_msg_no: key (g1, 2, u1, cmn-1), scope sender -> shard 2 of 4
                   R"({"message_id":11,"client_msg_no":"cmn-1","message_seq":1,"from_uid":"u1","channel_id":"g1","channel_type":2,"timestamp":100,"payload":"YQ=="})"
                   "\n"
                   R"({"message_id":12,"client_msg_no":"cmn-1","message_seq":2,"from_uid":"u1","channel_id":"g1","channel_type":2,"timestamp":101,"payload":"Yg=="})"
                   "\n"
                   // message_id_collision: 1700000001000000208 -> shard 2 of 4
                   R"({"message_id":1700000001000000208,"client_msg_no":"x-1","message_seq":1,"from_uid":"u5","channel_id":"g3","channel_type":2,"timestamp":100,"payload":"Yw=="})"
                   "\n"
                   R"({"message_id":1700000001000000208,"client_msg_no":"x-2","message_seq":2,"from_uid":"u5","channel_id":"g3","channel_type":2,"timestamp":102,"payload":"ZA=="})"
                   "\n"
                   // seq_anomaly (conflict) in channel g7 -> shard 3 of 4
                   R"({"message_id":31,"client_msg_no":"s-1","message_seq":5,"from_uid":"u6","channel_id":"g7","channel_type":2,"timestamp":100,"payload":"ZQ=="})"
                   "\n"
                   R"({"message_id":32,"client_msg_no":"s-2","message_seq":5,"from_uid":"u7","channel_id":"g7","channel_type":2,"timestamp":103,"payload":"Zg=="})"
                   "\n");
  const std::string expected_shard[] = {"duplicate_client_msg_no", "message_id_collision", "seq_anomaly"};
  const uint32_t in_shard[] = {1, 1, 2};  // 0-based, from the tables above
  for (uint32_t k = 0; k < 4; ++k) {
    AuditOptions o;
    o.inputs = {in};
    o.shard = k;
    o.shards = 4;
    const auto r = test::audit_ok(o);
    for (int f = 0; f < 3; ++f)
      EXPECT_EQ(test::count(r, expected_shard[f].c_str()), in_shard[f] == k ? 1u : 0u)
          << expected_shard[f] << " in shard " << k + 1 << "/4";
  }
}

}  // namespace
}  // namespace wkit::audit
