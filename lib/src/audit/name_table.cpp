#include "wkit/audit/name_table.hpp"

#include <cstring>

namespace wkit::audit {

namespace {
void name_put_varint(std::vector<char>& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}
uint64_t name_get_varint(const char*& p) {
  uint64_t v = 0;
  for (unsigned shift = 0;; shift += 7) {
    const auto b = static_cast<uint8_t>(*p++);
    v |= uint64_t(b & 0x7f) << shift;
    if (!(b & 0x80)) return v;
  }
}
uint64_t name_zigzag(int64_t v) { return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63); }
int64_t name_unzigzag(uint64_t v) { return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1); }
}  // namespace

void NameBatch::push(uint64_t hash, std::string_view name, int64_t type) {
  const auto offset = static_cast<uint32_t>(bytes_.size());
  bytes_.insert(bytes_.end(), name.begin(), name.end());
  items_.push_back({hash, type, offset, static_cast<uint32_t>(name.size())});
}

void NameBatch::clear() {
  bytes_.clear();
  items_.clear();
}

RecentHashes::RecentHashes() {
  // Slot i starts with a value whose low bits are not i: no hash matches it.
  for (size_t i = 0; i < kSlots; ++i) slots_[i] = i ^ 1;
}

void NameTable::add(NameBatch& batch) {
  const auto& items = batch.items_;
  if (items.empty()) return;
  // Counting sort of the items by stripe, so each stripe is locked once.
  std::array<uint32_t, (1u << kStripeBits) + 1> start{};
  for (auto& it : items) ++start[stripe_of(it.hash) + 1];
  for (size_t k = 0; k < stripes_.size(); ++k) start[k + 1] += start[k];
  auto next = start;
  batch.by_stripe_.resize(items.size());
  for (uint32_t i = 0; i < items.size(); ++i) batch.by_stripe_[next[stripe_of(items[i].hash)]++] = i;
  for (size_t k = 0; k < stripes_.size(); ++k) {
    if (start[k] == start[k + 1]) continue;
    Stripe& s = stripes_[k];
    std::lock_guard lk(s.mu);
    for (uint32_t j = start[k]; j < start[k + 1]; ++j) {
      // The slots of a table of a million names miss the cache: load a few ahead.
      if (j + 4 < start[k + 1] && !s.slots.empty())
        __builtin_prefetch(&s.slots[items[batch.by_stripe_[j + 4]].hash & (s.slots.size() - 1)]);
      insert_locked(s, items[batch.by_stripe_[j]], batch.bytes_.data());
    }
  }
}

void NameTable::insert_locked(Stripe& s, const NameBatch::Item& item, const char* bytes) {
  if ((s.used + 1) * 10 > s.slots.size() * 7) grow(s);
  const size_t mask = s.slots.size() - 1;
  size_t i = item.hash & mask;
  for (; s.slots[i].offset != kEmpty; i = (i + 1) & mask)
    if (s.slots[i].hash == item.hash) return;
  // Offsets are 32-bit: a stripe past 4 GiB of names (never in practice) keeps no more.
  if (s.arena.size() + item.size + 20 >= kEmpty) return;
  const auto offset = static_cast<uint32_t>(s.arena.size());
  if (typed_) name_put_varint(s.arena, name_zigzag(item.type));
  name_put_varint(s.arena, item.size);
  s.arena.insert(s.arena.end(), bytes + item.offset, bytes + item.offset + item.size);
  s.slots[i] = Slot{item.hash, offset};
  ++s.used;
}

void NameTable::grow(Stripe& s) {
  std::vector<Slot> old = std::move(s.slots);
  s.slots.assign(old.empty() ? 64 : old.size() * 2, Slot{0, kEmpty});
  const size_t mask = s.slots.size() - 1;
  for (const Slot& o : old) {
    if (o.offset == kEmpty) continue;
    size_t i = o.hash & mask;
    while (s.slots[i].offset != kEmpty) i = (i + 1) & mask;
    s.slots[i] = o;
  }
}

NameTable::Name NameTable::find(uint64_t hash) const {
  const Stripe& s = stripes_[stripe_of(hash)];
  if (s.slots.empty()) return {};
  const size_t mask = s.slots.size() - 1;
  for (size_t i = hash & mask; s.slots[i].offset != kEmpty; i = (i + 1) & mask) {
    if (s.slots[i].hash != hash) continue;
    const char* p = s.arena.data() + s.slots[i].offset;
    Name n;
    if (typed_) n.type = name_unzigzag(name_get_varint(p));
    const uint64_t size = name_get_varint(p);
    n.text = std::string_view(p, size);
    return n;
  }
  return {};
}

size_t NameTable::size() const {
  size_t n = 0;
  for (auto& s : stripes_) n += s.used;
  return n;
}

uint64_t NameTable::bytes() const {
  uint64_t n = 0;
  for (auto& s : stripes_) n += s.slots.capacity() * sizeof(Slot) + s.arena.capacity();
  return n;
}

}  // namespace wkit::audit
