#include "wkit/util/key_filter.hpp"

namespace wkit::util {

namespace {

constexpr int kBitsPerKey = 10;
constexpr int kProbes = 7;  // bits set per key, 9 bits of the remixed hash each

// A second hash for the bit positions inside the block, independent of the
// block choice (which uses the hash's high bits).
uint64_t remix(uint64_t h) {
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  return h;
}

}  // namespace

KeyFilter::Segment::Segment(uint64_t cap) : capacity(cap ? cap : 1) {
  blocks.assign((capacity * kBitsPerKey + 511) / 512, Block{});
}

const KeyFilter::Block& KeyFilter::Segment::block_of(uint64_t hash) const {
  // Multiply-shift maps the hash's high bits onto [0, blocks).
  return blocks[static_cast<uint64_t>((static_cast<unsigned __int128>(hash) * blocks.size()) >> 64)];
}

KeyFilter::Block& KeyFilter::Segment::block_of(uint64_t hash) {
  return const_cast<Block&>(static_cast<const Segment*>(this)->block_of(hash));
}

void KeyFilter::reset(uint64_t capacity) {
  segments_.clear();
  segments_.emplace_back(capacity);
  count_ = 0;
}

uint64_t KeyFilter::bytes() const {
  uint64_t n = 0;
  for (const Segment& s : segments_) n += s.blocks.size() * sizeof(Block);
  return n;
}

void KeyFilter::add(uint64_t hash) {
  if (segments_.empty()) segments_.emplace_back(1024);
  if (segments_.back().count >= segments_.back().capacity) {
    const uint64_t next = 2 * segments_.back().capacity;
    if (bytes() + (next * kBitsPerKey + 511) / 512 * sizeof(Block) <= max_bytes_) segments_.emplace_back(next);
  }
  Segment& s = segments_.back();
  Block& b = s.block_of(hash);
  uint64_t bits = remix(hash);
  for (int i = 0; i < kProbes; ++i, bits >>= 9) b.words[(bits >> 6) & 7] |= 1ULL << (bits & 63);
  ++s.count;
  ++count_;
}

bool KeyFilter::may_contain(uint64_t hash) const {
  if (segments_.empty()) return true;  // never sized: no claim
  const uint64_t bits0 = remix(hash);
  for (auto s = segments_.rbegin(); s != segments_.rend(); ++s) {
    const Block& b = s->block_of(hash);
    uint64_t bits = bits0;
    bool all = true;
    for (int i = 0; i < kProbes && all; ++i, bits >>= 9) all = b.words[(bits >> 6) & 7] & (1ULL << (bits & 63));
    if (all) return true;
  }
  return false;
}

}  // namespace wkit::util
