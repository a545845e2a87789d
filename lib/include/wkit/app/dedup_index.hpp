#pragma once
// The in-memory idempotency index of `wkit serve`: idempotency key (bytes) ->
// the message it was first stored as. One lookup per SEND, so its layout is
// chosen for the miss (a new key, the common case): an open-addressing table
// of (64-bit key hash, entry number) probed linearly, so a miss costs one
// cache line instead of a walk over scattered nodes; keys are appended to one
// arena and entries to one vector, so an insert allocates nothing once the
// containers have grown. Keys are compared in full on a hash match: exact.
//
// Entry numbers stay valid until the entry is erased (erase is rare: a
// failed commit); references to entries do not survive the next insert.
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

  DedupIndex();
  // Finds `key` or inserts a default entry for it; `inserted` says which.
  Id find_or_insert(std::string_view key, bool& inserted);
  Entry& at(Id id) { return entries_[id].entry; }
  void erase(Id id);
  size_t size() const { return live_; }

 private:
  struct Slot {
    uint64_t hash = 0;
    uint32_t id = kEmpty;
  };
  struct Stored {
    uint64_t key_offset = 0;
    uint32_t key_size = 0;
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
