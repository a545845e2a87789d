// Key lookup: the FieldMap hash table and the JSON parser's word-load key
// scan must find exactly the names a plain string compare would, for keys of
// every length around the 8- and 16-byte word edges, escaped keys, prefixes
// of names and --map precedence.
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "wkit/audit/field_map.hpp"
#include "wkit/audit/json_message.hpp"
#include "wkit/audit/text_pipeline.hpp"

namespace wkit::audit {
namespace {

FieldMap make(const std::vector<std::pair<std::string, std::string>>& maps,
              const std::vector<std::pair<Field, std::string>>& extra = {}) {
  auto m = FieldMap::make(maps, extra);
  EXPECT_TRUE(static_cast<bool>(m));
  return std::move(*m);
}

TEST(AuditFieldMap, DefaultNamesPrefixesAndUnknownKeys) {
  const FieldMap m = make({});
  EXPECT_EQ(m.lookup("message_id"), Field::message_id);
  EXPECT_EQ(m.lookup("message_idstr"), Field::message_idstr);
  EXPECT_EQ(m.lookup("client_msg_no"), Field::client_msg_no);
  EXPECT_EQ(m.lookup("is_deleted"), Field::is_deleted);
  for (const char* k : {"", "m", "message", "message_i", "message_ids", "message_idst", "message_idstrx", "Message_id",
                        "header", "setting", "expire"})
    EXPECT_EQ(m.lookup(k), Field::none) << k;
  EXPECT_EQ(m.lookup(std::string_view("message_id\0", 11)), Field::none);
}

TEST(AuditFieldMap, MappedNamesOfEveryLengthAndPrecedence) {
  // Mapped names of 1..40 bytes, each an extension of the previous one.
  std::string name;
  for (size_t n = 1; n <= 40; ++n) {
    name += static_cast<char>('a' + n % 26);
    const FieldMap m = make({{"from_uid", name}});
    EXPECT_EQ(m.lookup(name), Field::from_uid) << n;
    EXPECT_EQ(m.lookup(name.substr(0, n - 1)), Field::none) << n;
    EXPECT_EQ(m.lookup(name + "x"), Field::none) << n;
    EXPECT_EQ(m.lookup("from_uid"), Field::none) << "a mapped field loses its default name";
  }
  // The first mapping of a name wins, for short and long names alike.
  const FieldMap m = make({{"channel_id", "room"}, {"from_uid", "room"},
                           {"payload", "a_name_longer_than_sixteen"}, {"timestamp", "a_name_longer_than_sixteen"}});
  EXPECT_EQ(m.lookup("room"), Field::channel_id);
  EXPECT_EQ(m.lookup("a_name_longer_than_sixteen"), Field::payload);
  // Extra defaults of a format come after the given names.
  const FieldMap sql = make({}, {{Field::payload, "content"}});
  EXPECT_EQ(sql.lookup("content"), Field::payload);
  EXPECT_EQ(sql.lookup("payload"), Field::payload);
}

// The JSON parser: keys as written, escaped keys, keys around 8 and 16 bytes.
struct Parsed {
  std::string error, from_uid, channel_id;
  std::optional<uint64_t> message_id;
};
Parsed parse(const FieldMap& m, const std::string& json) {
  JsonMessageParser p(m);
  const std::string buf = json + std::string(kChunkPadding, ' ');
  RawFields f;
  Parsed out;
  out.error = p.parse(buf.data(), json.size(), f);
  out.from_uid = f.from_uid;
  out.channel_id = f.channel_id;
  out.message_id = f.message_id;
  return out;
}

TEST(AuditFieldMap, JsonKeysAroundWordEdges) {
  for (size_t n = 1; n <= 20; ++n) {
    const std::string key(n, 'k');
    const FieldMap m = make({{"from_uid", key}});
    // The key, and keys one byte shorter and longer, in one object.
    const std::string json = "{\"" + key.substr(0, n - 1) + "\":\"short\",\"" + key + "\":\"hit\",\"" + key +
                             "k\":\"long\"}";
    Parsed r = parse(m, json);
    ASSERT_EQ(r.error, "") << n;
    EXPECT_EQ(r.from_uid, "hit") << n;
    // Written with an escape, the key is the same name.
    r = parse(m, "{\"\\u006b" + key.substr(1) + "\":\"esc\"}");
    ASSERT_EQ(r.error, "") << n;
    EXPECT_EQ(r.from_uid, "esc") << n;
  }
  const FieldMap m = make({});
  Parsed r = parse(m, R"({"message_id":7,"message_i":8,"message_ids":9,"chan\nnel_id":"x","channel_id":"g"})");
  ASSERT_EQ(r.error, "");
  EXPECT_EQ(r.message_id, 7u);
  EXPECT_EQ(r.channel_id, "g");
  // An escaped backslash at the end of a key is part of it.
  r = parse(m, R"({"channel_id\\":"no","from_uid":"u"})");
  ASSERT_EQ(r.error, "");
  EXPECT_EQ(r.channel_id, "");
  EXPECT_EQ(r.from_uid, "u");
}

// One parser over many objects: the key at each place is first compared with
// the previous object's key there; a near miss must fall back to the lookup.
TEST(AuditFieldMap, KeyOrderChangesBetweenObjects) {
  const FieldMap m = make({});
  JsonMessageParser p(m);
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({"channel_id":"a","from_uid":"u1"})", "a/u1"},
      {R"({"channel_id":"b","from_uid":"u2"})", "b/u2"},
      {R"({"channel_idx":"no","from_ui":"no","channel_id":"c","from_uid":"u3"})", "c/u3"},
      {R"({"channel_i":"no","from_uidx":"no","from_uid":"u4","channel_id":"d"})", "d/u4"},
      {R"({"from_uid":"u5","channel_id":"e"})", "e/u5"},
      {R"({"channel_id":"f","from_uid":"u6"})", "f/u6"},
      {R"({"channel_id":"g","from_uid":"u7","a_key_longer_than_16":1})", "g/u7"},
      {R"({"channel_id":"h","from_uid\\":"no","from_uid":"u8"})", "h/u8"},
      // A near miss of the previous object's key at the last place.
      {R"({"from_uid":"u9","channel_id":"i"})", "i/u9"},
      {R"({"from_uid":"u10","channel_idx":"no"})", "/u10"},
      {R"({"from_uid":"u11","channel_id":"j"})", "j/u11"},
      {R"({"from_uid":"u12","channel_i":"no"})", "/u12"},
      {R"({"from_uid":"u13","channel_iD":"no"})", "/u13"},
  };
  for (int round = 0; round < 2; ++round)
    for (auto& [json, want] : cases) {
      const std::string buf = json + std::string(kChunkPadding, ' ');
      RawFields f;
      ASSERT_EQ(p.parse(buf.data(), json.size(), f), "") << json;
      EXPECT_EQ(std::string(f.channel_id) + "/" + std::string(f.from_uid), want) << json;
    }
}

}  // namespace
}  // namespace wkit::audit
