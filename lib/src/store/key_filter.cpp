#include "key_filter.hpp"

namespace wkit::store {

namespace {

constexpr int kBitsPerKey = 10;
constexpr int kProbes = 7;  // bits set per key, all in one 512-bit block

// Splits the hash into the bit positions inside a block (9 bits each) from
// a second, remixed hash, so they do not repeat the block choice.
uint64_t remix(uint64_t h) {
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  return h;
}

}  // namespace

void KeyFilter::reset(uint64_t capacity) {
  capacity_ = capacity;
  count_ = 0;
  const uint64_t blocks = (capacity * kBitsPerKey + 511) / 512;
  blocks_.assign(blocks ? blocks : 1, Block{});
}

const KeyFilter::Block& KeyFilter::block_of(uint64_t hash) const {
  // Multiply-shift maps the hash's high bits onto [0, blocks).
  return blocks_[static_cast<uint64_t>((static_cast<unsigned __int128>(hash) * blocks_.size()) >> 64)];
}

void KeyFilter::add(uint64_t hash) {
  Block& b = const_cast<Block&>(block_of(hash));
  uint64_t bits = remix(hash);
  for (int i = 0; i < kProbes; ++i, bits >>= 9) b.words[(bits >> 6) & 7] |= 1ULL << (bits & 63);
  ++count_;
}

bool KeyFilter::may_contain(uint64_t hash) const {
  if (blocks_.empty()) return true;
  const Block& b = block_of(hash);
  uint64_t bits = remix(hash);
  for (int i = 0; i < kProbes; ++i, bits >>= 9)
    if (!(b.words[(bits >> 6) & 7] & (1ULL << (bits & 63)))) return false;
  return true;
}

}  // namespace wkit::store
