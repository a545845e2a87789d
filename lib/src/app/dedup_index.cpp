#include "wkit/app/dedup_index.hpp"

#include <functional>

namespace wkit::app {

DedupIndex::DedupIndex() : slots_(1024) {}

DedupIndex::Id DedupIndex::find_or_insert(std::string_view key, bool& inserted) {
  const uint64_t h = std::hash<std::string_view>{}(key);
  const size_t mask = slots_.size() - 1;
  size_t i = h & mask;
  for (;; i = (i + 1) & mask) {
    Slot& s = slots_[i];
    if (s.id == kEmpty) break;
    if (s.id != kErased && s.hash == h && key_of(entries_[s.id]) == key) {
      inserted = false;
      return s.id;
    }
  }
  inserted = true;
  const Id id = static_cast<Id>(entries_.size());
  Stored& st = entries_.emplace_back();
  st.key_offset = arena_.size();
  st.key_size = static_cast<uint32_t>(key.size());
  arena_.append(key);
  slots_[i] = Slot{h, id};
  ++live_;
  if (++used_slots_ * 2 > slots_.size()) grow();
  return id;
}

void DedupIndex::erase(Id id) {
  const Stored& st = entries_[id];
  const uint64_t h = std::hash<std::string_view>{}(key_of(st));
  const size_t mask = slots_.size() - 1;
  for (size_t i = h & mask; slots_[i].id != kEmpty; i = (i + 1) & mask) {
    if (slots_[i].id == id) {
      slots_[i].id = kErased;  // a tombstone keeps later keys of the probe run reachable
      entries_[id].entry = Entry{};
      --live_;
      return;
    }
  }
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
