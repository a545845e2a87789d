#include "wkit/audit/name_table.hpp"

#include <gtest/gtest.h>

#include <string>

#include "wkit/audit/record.hpp"

namespace wkit::audit {
namespace {

TEST(AuditNameTable, InternsManyNamesWithTypesAndFirstNameWins) {
  NameTable table(true);
  NameBatch batch;
  constexpr int kNames = 200000;  // past several doublings of every stripe
  for (int i = 0; i < kNames; ++i) {
    const std::string id = "u" + std::to_string(i) + "@u" + std::to_string(i + 1);
    batch.push(channel_key(id, 1), id, i % 3 == 0 ? -i : i);
    if (i % 8192 == 8191) {
      table.add(batch);
      batch.clear();
    }
  }
  // The same hash again under another name: the first one stays.
  batch.push(channel_key("u7@u8", 1), "changed", 99);
  table.add(batch);
  batch.clear();
  EXPECT_EQ(table.size(), size_t(kNames));
  for (int i : {0, 1, 7, 8191, 8192, 123457, kNames - 1}) {
    const std::string id = "u" + std::to_string(i) + "@u" + std::to_string(i + 1);
    const auto n = table.find(channel_key(id, 1));
    EXPECT_EQ(n.text, id);
    EXPECT_EQ(n.type, i % 3 == 0 ? -i : i);
  }
  EXPECT_EQ(table.find(channel_key("nobody", 1)).text, "");
}

TEST(AuditNameTable, UntypedNamesEmptyNamesAndHashZero) {
  NameTable table(false);
  NameBatch batch;
  batch.push(0, "zero", 5);
  batch.push(1, "", 0);
  batch.push(2, std::string(300, 'x'), 0);  // a size that takes two varint bytes
  table.add(batch);
  EXPECT_EQ(table.size(), 3u);
  EXPECT_EQ(table.find(0).text, "zero");
  EXPECT_EQ(table.find(0).type, 0);  // untyped: no type kept
  EXPECT_EQ(table.find(1).text, "");
  EXPECT_EQ(table.find(2).text, std::string(300, 'x'));
  EXPECT_EQ(table.find(3).text, "");
}

TEST(AuditNameTable, RecentHashesPassEachNewHashOnce) {
  RecentHashes recent;
  EXPECT_TRUE(recent.fresh(0));
  EXPECT_FALSE(recent.fresh(0));
  EXPECT_TRUE(recent.fresh(1));  // slot 1 never matches before it held 1
  EXPECT_FALSE(recent.fresh(1));
  EXPECT_TRUE(recent.fresh(1 + 4096));  // same slot, another hash
  EXPECT_TRUE(recent.fresh(1));
}

}  // namespace
}  // namespace wkit::audit
