#include "wkit/app/dedup_index.hpp"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <string>

using wkit::app::DedupIndex;

TEST(DedupIndex, FindsWhatWasInsertedAcrossGrowth) {
  DedupIndex idx;
  std::map<std::string, DedupIndex::Id> truth;
  for (int i = 0; i < 50000; ++i) {
    std::string key = "\x01" "alice@bob" + std::string(1, '\0') + "alice" + std::string(1, '\0') + std::to_string(i);
    bool inserted = false;
    auto id = idx.find_or_insert(key, inserted);
    ASSERT_TRUE(inserted) << i;
    idx.at(id).message_id = 1000 + i;
    truth[key] = id;
  }
  EXPECT_EQ(idx.size(), 50000u);
  for (const auto& [key, id] : truth) {
    bool inserted = true;
    ASSERT_EQ(idx.find_or_insert(key, inserted), id);
    ASSERT_FALSE(inserted);
  }
  bool inserted = false;
  auto id = idx.find_or_insert(std::string("\x01" "alice@bob") + '\0' + "alice" + '\0' + "7", inserted);
  EXPECT_FALSE(inserted);
  EXPECT_EQ(idx.at(id).message_id, 1007);
}

TEST(DedupIndex, KeysDifferingOnlyAfterNulBytesAreDistinct) {
  DedupIndex idx;
  bool a = false, b = false;
  auto ia = idx.find_or_insert(std::string("x\0y", 3), a);
  auto ib = idx.find_or_insert(std::string("x\0z", 3), b);
  EXPECT_TRUE(a);
  EXPECT_TRUE(b);
  EXPECT_NE(ia, ib);
}

TEST(DedupIndex, EraseLeavesOtherKeysOfTheProbeRunReachable) {
  DedupIndex idx;
  std::mt19937_64 rng(7);
  std::vector<std::string> keys;
  std::vector<DedupIndex::Id> ids;
  for (int i = 0; i < 3000; ++i) {
    keys.push_back("k" + std::to_string(rng()));
    bool ins = false;
    ids.push_back(idx.find_or_insert(keys.back(), ins));
    idx.at(ids.back()).message_seq = i;
  }
  for (int i = 0; i < 3000; i += 3) idx.erase(ids[i]);
  EXPECT_EQ(idx.size(), 2000u);
  for (int i = 0; i < 3000; ++i) {
    bool ins = false;
    auto id = idx.find_or_insert(keys[i], ins);
    if (i % 3 == 0) {
      EXPECT_TRUE(ins) << "erased key " << i << " must be new again";
      EXPECT_EQ(idx.at(id).message_seq, 0u);
    } else {
      EXPECT_FALSE(ins) << i;
      EXPECT_EQ(idx.at(id).message_seq, static_cast<uint64_t>(i));
    }
  }
}
