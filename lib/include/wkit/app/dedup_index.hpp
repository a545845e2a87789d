#pragma once
// One generation of `wkit serve`'s in-memory idempotency keys
// (dedup_window.hpp): idempotency key (bytes) -> the message it was first
// stored as. One lookup per SEND, so its layout is chosen for the miss (a new
// key, the common case): an open-addressing table of (64-bit key hash, entry
// number) probed linearly, so a miss costs one cache line instead of a walk
// over scattered nodes; keys are appended to one arena and entries to one
// vector, so an insert allocates nothing once the containers have grown
// (clear() keeps their capacity). Keys are compared in full on a hash match:
// exact. The caller supplies the hash (store::idempotency_hash).
//
// Entry numbers stay valid until the entry is erased or the index cleared;
// references to entries do not survive the next insert.
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace wkit::app {

class DedupIndex {
 public:
  struct Waiter {
    uint64_t conn = 0;
    uint32_t client_seq = 0;
  };
  struct Entry {
    int64_t message_id = 0;
    uint64_t message_seq = 0;
    std::array<uint8_t, 32> hash{};
    bool committed = false;
    std::vector<Waiter> waiters;  // resends that arrived before the commit
  };
  using Id = uint32_t;
  static constexpr Id kNone = UINT32_MAX;

  DedupIndex();
  Id find(std::string_view key, uint64_t hash) const;
  // Inserts a default entry for `key`, which must not be present.
  Id insert(std::string_view key, uint64_t hash);
  Entry& at(Id id) { return entries_[id].entry; }
  void erase(Id id);
  void clear();
  size_t size() const { return live_; }
  // f(key, hash, entry) for every entry not erased.
  template <class F>
  void for_each(F&& f) {
    for (Stored& s : entries_)
      if (!s.erased) f(key_of(s), s.hash, s.entry);
  }

 private:
  struct Slot {
    uint64_t hash = 0;
    uint32_t id = kEmpty;
  };
  struct Stored {
    uint64_t key_offset = 0;
    uint64_t hash = 0;
    uint32_t key_size = 0;
    bool erased = false;
    Entry entry;
  };
  static constexpr uint32_t kEmpty = UINT32_MAX, kErased = UINT32_MAX - 1;
  std::string_view key_of(const Stored& s) const { return {arena_.data() + s.key_offset, s.key_size}; }
  void grow();

  std::vector<Slot> slots_;  // size is a power of two, at most half full
  std::vector<Stored> entries_;
  std::string arena_;
  size_t used_slots_ = 0, live_ = 0;
};

}  // namespace wkit::app
