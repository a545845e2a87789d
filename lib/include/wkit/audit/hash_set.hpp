#pragma once
// A set of 64-bit hashes: open addressing with linear probing in one flat
// array (0 marks an empty slot, so the value 0 is stored as 1). Lookups of
// already-mixed hashes touch one cache line; no allocation but the doubling.
#include <cstdint>
#include <vector>

namespace wkit::audit {

class HashSet64 {
 public:
  // True when `h` was not in the set (and is now).
  bool insert(uint64_t h) {
    if (h == 0) h = 1;
    if ((used_ + 1) * 2 > slots_.size()) grow();
    const size_t mask = slots_.size() - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
      if (slots_[i] == h) return false;
      if (slots_[i] == 0) {
        slots_[i] = h;
        ++used_;
        return true;
      }
    }
  }
  bool contains(uint64_t h) const {
    if (h == 0) h = 1;
    if (slots_.empty()) return false;
    const size_t mask = slots_.size() - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
      if (slots_[i] == h) return true;
      if (slots_[i] == 0) return false;
    }
  }
  // Starts loading the slot of `h` (insert() soon after will not wait for it).
  void prefetch(uint64_t h) const {
    if (!slots_.empty()) __builtin_prefetch(&slots_[(h == 0 ? 1 : h) & (slots_.size() - 1)]);
  }
  size_t size() const { return used_; }

 private:
  void grow() {
    std::vector<uint64_t> old = std::move(slots_);
    slots_.assign(old.empty() ? 1024 : old.size() * 2, 0);
    used_ = 0;
    for (uint64_t h : old)
      if (h) insert(h);
  }
  std::vector<uint64_t> slots_;
  size_t used_ = 0;
};

}  // namespace wkit::audit
