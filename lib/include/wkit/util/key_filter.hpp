#pragma once
// A Bloom filter over 64-bit key hashes (`wkit serve`: the idempotency keys
// older than its in-memory window), so a new key (nearly every SEND) skips
// the disk lookup that would find nothing. A "maybe" still looks, so answers
// stay exact. About 10 bits per key; when it is full a segment of twice the
// size is added (a scalable Bloom filter), so it never has to be refilled
// while the server runs, until the segments reach `max_bytes`: then keys go
// into the last segment, which fills up, so memory stays bounded and only
// the share of "maybe"s (disk lookups) grows.
#include <cstddef>
#include <cstdint>
#include <vector>

namespace wkit::util {

class KeyFilter {
 public:
  // Empties the filter and sizes its first segment for `capacity` keys.
  void reset(uint64_t capacity);
  void set_max_bytes(uint64_t max_bytes) { max_bytes_ = max_bytes; }
  uint64_t bytes() const;
  void add(uint64_t hash);
  bool may_contain(uint64_t hash) const;
  uint64_t count() const { return count_; }
  size_t segments() const { return segments_.size(); }

 private:
  struct alignas(64) Block {
    uint64_t words[8];
  };
  // Blocked: the bits of a key are in one 512-bit block (one cache line).
  struct Segment {
    std::vector<Block> blocks;
    uint64_t count = 0, capacity = 0;
    explicit Segment(uint64_t capacity);
    Block& block_of(uint64_t hash);
    const Block& block_of(uint64_t hash) const;
  };
  std::vector<Segment> segments_;
  uint64_t count_ = 0;
  uint64_t max_bytes_ = UINT64_MAX;
};

}  // namespace wkit::util
