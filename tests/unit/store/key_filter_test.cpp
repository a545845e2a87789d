#include "wkit/util/key_filter.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <string>

using wkit::util::KeyFilter;

namespace {
uint64_t h(const std::string& s) { return std::hash<std::string>{}(s); }
}  // namespace

TEST(KeyFilter, NeverForgetsAKeyAndRarelyClaimsANewOne) {
  KeyFilter f;
  f.reset(100000);
  for (int i = 0; i < 100000; ++i) f.add(h("key-" + std::to_string(i)));
  EXPECT_EQ(f.count(), 100000u);
  for (int i = 0; i < 100000; ++i) ASSERT_TRUE(f.may_contain(h("key-" + std::to_string(i)))) << i;
  int false_positives = 0;
  for (int i = 0; i < 100000; ++i) false_positives += f.may_contain(h("other-" + std::to_string(i)));
  // 10 bits and 7 probes per key: about 1 % at capacity.
  EXPECT_LT(false_positives, 3000);
}

TEST(KeyFilter, GrowsBySegmentsPastItsCapacityAndForgetsNothing) {
  KeyFilter f;
  f.reset(1000);
  for (int i = 0; i < 20000; ++i) f.add(h("key-" + std::to_string(i)));
  EXPECT_EQ(f.segments(), 5u);  // 1000 + 2000 + 4000 + 8000 + 16000
  for (int i = 0; i < 20000; ++i) ASSERT_TRUE(f.may_contain(h("key-" + std::to_string(i)))) << i;
  int false_positives = 0;
  for (int i = 0; i < 20000; ++i) false_positives += f.may_contain(h("other-" + std::to_string(i)));
  // Each segment at most ~1 % when full; five of them.
  EXPECT_LT(false_positives, 20000 * 5 / 100);
}

TEST(KeyFilter, EmptyOrResetHoldsNothingAndUnsizedSaysMaybe) {
  KeyFilter unsized;
  EXPECT_TRUE(unsized.may_contain(h("x")));
  KeyFilter f;
  f.reset(10);
  EXPECT_FALSE(f.may_contain(h("x")));
  f.add(h("x"));
  EXPECT_TRUE(f.may_contain(h("x")));
  f.reset(10);
  EXPECT_FALSE(f.may_contain(h("x")));
  EXPECT_EQ(f.count(), 0u);
}

// Past max_bytes no segment is added: memory stays put, no key is forgotten,
// only the share of false "maybe"s grows.
TEST(KeyFilter, StopsGrowingAtMaxBytesAndForgetsNothing) {
  KeyFilter f;
  f.reset(1000);
  f.set_max_bytes(4096);  // the first segment (1,280 bytes) and the second (2,560)
  for (int i = 0; i < 20000; ++i) f.add(h("key-" + std::to_string(i)));
  EXPECT_EQ(f.segments(), 2u);
  EXPECT_LE(f.bytes(), 4096u);
  EXPECT_EQ(f.count(), 20000u);
  for (int i = 0; i < 20000; ++i) ASSERT_TRUE(f.may_contain(h("key-" + std::to_string(i)))) << i;
  int false_positives = 0;
  for (int i = 0; i < 20000; ++i) false_positives += f.may_contain(h("other-" + std::to_string(i)));
  EXPECT_GT(false_positives, 20000 / 10);  // overfull: far above the designed 1 %
}
