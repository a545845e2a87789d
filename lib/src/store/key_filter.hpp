#pragma once
// A blocked Bloom filter over the hashes of the idempotency keys the SQLite
// file has indexed, so appending a new key (nearly every SEND) skips the
// B-tree probe that would find nothing. A "maybe" still probes, so the
// answer stays exact; past its capacity the filter only says "maybe" more
// often. About 10 bits per key.
#include <cstdint>
#include <vector>

namespace wkit::store {

class KeyFilter {
 public:
  // Empties the filter and sizes it for `capacity` keys.
  void reset(uint64_t capacity);
  void add(uint64_t hash);
  bool may_contain(uint64_t hash) const;
  uint64_t count() const { return count_; }
  uint64_t capacity() const { return capacity_; }

 private:
  struct alignas(64) Block {
    uint64_t words[8];
  };
  const Block& block_of(uint64_t hash) const;
  std::vector<Block> blocks_;
  uint64_t count_ = 0, capacity_ = 0;
};

}  // namespace wkit::store
