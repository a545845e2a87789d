#pragma once
// Channel and sender names by their 64-bit hash, interned once per audit.
// A store of mostly one-to-one chats has about as many channels as half its
// rows, so a name costs its bytes plus ~20: a 12-byte slot in a flat table
// and a varint-prefixed copy in a byte arena (no node, no std::string).
// Readers hand names over in batches; the table is striped by hash so two
// reader threads rarely wait for each other. Lookups (find) run only once
// reading is over, without a lock.
#include <array>
#include <cstdint>
#include <mutex>
#include <string_view>
#include <vector>

namespace wkit::audit {

// One reader's names since it last handed them over (reused, never shrunk).
class NameBatch {
 public:
  void push(uint64_t hash, std::string_view name, int64_t type);
  void clear();
  bool empty() const { return items_.empty(); }

 private:
  friend class NameTable;
  struct Item {
    uint64_t hash;
    int64_t type;
    uint32_t offset, size;  // in bytes_
  };
  std::vector<char> bytes_;
  std::vector<Item> items_;
  std::vector<uint32_t> by_stripe_;  // item indexes ordered by stripe (NameTable::add's scratch)
};

// A direct-mapped filter of the hashes a reader handed over recently: most
// records of a group chat need no batch entry. Fixed size, no allocation.
class RecentHashes {
 public:
  RecentHashes();
  // True the first time `hash` is seen since its slot last held another hash.
  bool fresh(uint64_t hash) {
    uint64_t& s = slots_[hash & (kSlots - 1)];
    if (s == hash) return false;
    s = hash;
    return true;
  }

 private:
  static constexpr size_t kSlots = 4096;
  std::array<uint64_t, kSlots> slots_;
};

class NameTable {
 public:
  struct Name {
    std::string_view text;
    int64_t type = 0;
  };
  // typed: each name carries a type (a channel's channel_type).
  explicit NameTable(bool typed) : typed_(typed) {}
  // Adds the batch's names whose hash is not in the table yet (the first
  // name of a hash wins); leaves the batch's scratch ordered by stripe.
  void add(NameBatch& batch);
  // The name of `hash`, or an empty one. Not while add() may run.
  Name find(uint64_t hash) const;
  size_t size() const;
  uint64_t bytes() const;  // slots and arenas, as allocated

 private:
  static constexpr unsigned kStripeBits = 6;
  static uint32_t stripe_of(uint64_t h) { return static_cast<uint32_t>(h >> (64 - kStripeBits)); }
  struct __attribute__((packed)) Slot {
    uint64_t hash;
    uint32_t offset;  // in the stripe's arena; kEmpty: a free slot
  };
  static constexpr uint32_t kEmpty = UINT32_MAX;
  struct Stripe {
    std::mutex mu;
    std::vector<Slot> slots;
    std::vector<char> arena;  // [varint zigzag type if typed][varint size][bytes]
    size_t used = 0;
  };
  void insert_locked(Stripe& s, const NameBatch::Item& item, const char* bytes);
  static void grow(Stripe& s);
  bool typed_;
  std::array<Stripe, 1u << kStripeBits> stripes_;
};

}  // namespace wkit::audit
