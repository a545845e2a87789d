#include "wkit/app/dedup_index.hpp"

namespace wkit::app {

DedupIndex::DedupIndex() : slots_(1024) {}

DedupIndex::Id DedupIndex::find(std::string_view key, uint64_t hash) const {
  const size_t mask = slots_.size() - 1;
  for (size_t i = hash & mask;; i = (i + 1) & mask) {
    const Slot& s = slots_[i];
    if (s.id == kEmpty) return kNone;
    if (s.id != kErased && s.hash == hash && key_of(entries_[s.id]) == key) return s.id;
  }
}

DedupIndex::Id DedupIndex::insert(std::string_view key, uint64_t hash) {
  const size_t mask = slots_.size() - 1;
  size_t i = hash & mask;
  while (slots_[i].id != kEmpty) i = (i + 1) & mask;
  const Id id = static_cast<Id>(entries_.size());
  Stored& st = entries_.emplace_back();
  st.key_offset = arena_.size();
  st.key_size = static_cast<uint32_t>(key.size());
  st.hash = hash;
  arena_.append(key);
  slots_[i] = Slot{hash, id};
  ++live_;
  if (++used_slots_ * 2 > slots_.size()) grow();
  return id;
}

void DedupIndex::erase(Id id) {
  Stored& st = entries_[id];
  const size_t mask = slots_.size() - 1;
  for (size_t i = st.hash & mask; slots_[i].id != kEmpty; i = (i + 1) & mask) {
    if (slots_[i].id == id) {
      slots_[i].id = kErased;  // a tombstone keeps later keys of the probe run reachable
      st.entry = Entry{};
      st.erased = true;
      --live_;
      return;
    }
  }
}

void DedupIndex::clear() {
  std::fill(slots_.begin(), slots_.end(), Slot{});
  entries_.clear();
  arena_.clear();
  used_slots_ = live_ = 0;
}

void DedupIndex::grow() {
  std::vector<Slot> old;
  old.swap(slots_);
  slots_.assign(old.size() * 2, Slot{});
  const size_t mask = slots_.size() - 1;
  used_slots_ = 0;
  for (const Slot& s : old) {
    if (s.id == kEmpty || s.id == kErased) continue;
    size_t i = s.hash & mask;
    while (slots_[i].id != kEmpty) i = (i + 1) & mask;
    slots_[i] = s;
    ++used_slots_;
  }
}

}  // namespace wkit::app
