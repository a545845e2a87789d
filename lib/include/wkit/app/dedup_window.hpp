#pragma once
// The idempotency keys `wkit serve` answers resends from without asking the
// store: every key whose SEND is not committed yet, and the latest committed
// ones, at most `capacity` in all (--dedup-window). Resends come seconds or
// minutes after the original, so nearly every one is answered from here;
// memory stays bounded however many messages the store holds.
//
// Two generations: inserts go to the newer; once it holds capacity/2 keys the
// older is dropped. Its committed keys' hashes go to a Bloom filter (never
// refilled, about 10 bits per key), its uncommitted entries move to the new
// generation (their SEND is still in the store's queue). A key found in
// neither generation is new unless older_may_hold(): then the store's
// on-disk index decides (MessageStore::find_dedup). With capacity 0 nothing
// is dropped (the in-memory store has no index on disk).
#include <algorithm>
#include <cstdint>
#include <string_view>

#include "wkit/app/dedup_index.hpp"
#include "wkit/util/key_filter.hpp"

namespace wkit::app {

class DedupWindow {
 public:
  using Entry = DedupIndex::Entry;
  // The filter of older keys stops growing at 64 MiB (about 50M keys at its
  // designed rate of false "maybe"s; beyond, more SENDs look on disk).
  static constexpr uint64_t kOlderFilterMaxBytes = 64ull << 20;
  explicit DedupWindow(uint64_t capacity = 0) : capacity_(capacity) { older_.set_max_bytes(kOlderFilterMaxBytes); }
  void set_capacity(uint64_t capacity) { capacity_ = capacity; }
  // Sizes the filter for about `keys` older keys (grows beyond if needed).
  void reserve_older(uint64_t keys) {
    older_.reset(std::min<uint64_t>(keys, kOlderFilterMaxBytes * 8 / 10 / 2));
  }

  // The entry of `key`, or nullptr; valid until the next insert().
  Entry* find(std::string_view key, uint64_t hash);
  // A default entry for `key` (not present), valid until the next insert().
  Entry& insert(std::string_view key, uint64_t hash);
  // Forgets `key` (its SEND was not stored).
  void erase(std::string_view key, uint64_t hash);
  // Whether a key found in neither generation may have been stored before.
  bool older_may_hold(uint64_t hash) const { return older_.count() > 0 && older_.may_contain(hash); }
  // A key stored before the window (startup: the store's on-disk keys).
  void add_older(uint64_t hash) { older_.add(hash); }

  size_t size() const { return newer_.size() + older_gen_.size(); }
  uint64_t rotations() const { return rotations_; }

 private:
  void rotate();

  uint64_t capacity_;
  DedupIndex newer_, older_gen_;
  util::KeyFilter older_;
  uint64_t rotations_ = 0;
};

}  // namespace wkit::app
