#include "wkit/app/dedup_index.hpp"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <string>

#include "wkit/app/dedup_window.hpp"
#include "wkit/store/idempotency_key.hpp"

using wkit::app::DedupIndex;
using wkit::app::DedupWindow;
using wkit::store::idempotency_hash;

namespace {

// find, then insert if absent: what the server does per SEND.
DedupIndex::Id find_or_insert(DedupIndex& idx, const std::string& key, bool& inserted) {
  const uint64_t h = idempotency_hash(key);
  auto id = idx.find(key, h);
  inserted = id == DedupIndex::kNone;
  return inserted ? idx.insert(key, h) : id;
}

}  // namespace

TEST(DedupIndex, FindsWhatWasInsertedAcrossGrowth) {
  DedupIndex idx;
  std::map<std::string, DedupIndex::Id> truth;
  for (int i = 0; i < 50000; ++i) {
    std::string key = "\x01" "alice@bob" + std::string(1, '\0') + "alice" + std::string(1, '\0') + std::to_string(i);
    bool inserted = false;
    auto id = find_or_insert(idx, key, inserted);
    ASSERT_TRUE(inserted) << i;
    idx.at(id).message_id = 1000 + i;
    truth[key] = id;
  }
  EXPECT_EQ(idx.size(), 50000u);
  for (const auto& [key, id] : truth) {
    bool inserted = true;
    ASSERT_EQ(find_or_insert(idx, key, inserted), id);
    ASSERT_FALSE(inserted);
  }
  bool inserted = false;
  auto id = find_or_insert(idx, std::string("\x01" "alice@bob") + '\0' + "alice" + '\0' + "7", inserted);
  EXPECT_FALSE(inserted);
  EXPECT_EQ(idx.at(id).message_id, 1007);
}

TEST(DedupIndex, KeysDifferingOnlyAfterNulBytesAreDistinct) {
  DedupIndex idx;
  bool a = false, b = false;
  auto ia = find_or_insert(idx, std::string("x\0y", 3), a);
  auto ib = find_or_insert(idx, std::string("x\0z", 3), b);
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
    ids.push_back(find_or_insert(idx, keys.back(), ins));
    idx.at(ids.back()).message_seq = i;
  }
  for (int i = 0; i < 3000; i += 3) idx.erase(ids[i]);
  EXPECT_EQ(idx.size(), 2000u);
  for (int i = 0; i < 3000; ++i) {
    bool ins = false;
    auto id = find_or_insert(idx, keys[i], ins);
    if (i % 3 == 0) {
      EXPECT_TRUE(ins) << "erased key " << i << " must be new again";
      EXPECT_EQ(idx.at(id).message_seq, 0u);
    } else {
      EXPECT_FALSE(ins) << i;
      EXPECT_EQ(idx.at(id).message_seq, static_cast<uint64_t>(i));
    }
  }
}

// The window keeps at most `capacity` keys: older committed keys leave it
// for the filter (which must then say "maybe" for every one of them), and
// a key whose SEND is not committed is never dropped, however old.
TEST(DedupWindow, DropsOldCommittedKeysToTheFilterAndKeepsUncommittedOnes) {
  DedupWindow w(100);
  auto key = [](int i) { return "key-" + std::to_string(i); };
  {
    auto& e = w.insert(key(0), idempotency_hash(key(0)));
    e.message_id = 1;  // stays uncommitted
  }
  for (int i = 1; i < 1000; ++i) {
    auto& e = w.insert(key(i), idempotency_hash(key(i)));
    e.message_id = 1 + i;
    e.committed = true;
    ASSERT_LE(w.size(), 100u) << i;
  }
  EXPECT_GT(w.rotations(), 10u);
  auto* pending = w.find(key(0), idempotency_hash(key(0)));
  ASSERT_NE(pending, nullptr);
  EXPECT_EQ(pending->message_id, 1);
  EXPECT_FALSE(pending->committed);
  // The latest keys are still in memory; every dropped one is "maybe older".
  ASSERT_NE(w.find(key(999), idempotency_hash(key(999))), nullptr);
  int dropped = 0, unknown_maybe = 0;
  for (int i = 1; i < 1000; ++i)
    if (!w.find(key(i), idempotency_hash(key(i)))) {
      ++dropped;
      EXPECT_TRUE(w.older_may_hold(idempotency_hash(key(i)))) << i;
    }
  EXPECT_GT(dropped, 850);
  for (int i = 1000; i < 11000; ++i) unknown_maybe += w.older_may_hold(idempotency_hash(key(i)));
  EXPECT_LT(unknown_maybe, 500);  // a Bloom filter: few false "maybe"s
  // Erase finds a key in either generation.
  w.erase(key(0), idempotency_hash(key(0)));
  EXPECT_EQ(w.find(key(0), idempotency_hash(key(0))), nullptr);
}

TEST(DedupWindow, CapacityZeroKeepsEverything) {
  DedupWindow w(0);
  for (int i = 0; i < 5000; ++i) w.insert("k" + std::to_string(i), idempotency_hash("k" + std::to_string(i))).committed = true;
  EXPECT_EQ(w.size(), 5000u);
  EXPECT_EQ(w.rotations(), 0u);
  EXPECT_FALSE(w.older_may_hold(idempotency_hash("k1")));
}
