#pragma once
// Grouping millions of hashed keys: one in-place pass distributes the
// elements into 256 buckets by a byte of the key (American flag sort), so
// that each bucket's work fits the cache.
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace wkit::audit {

// Moves the elements into 256 runs by byte_of (0..255), in place; returns
// where each run starts (start[256] = the size).
template <class T, class Byte>
std::array<size_t, 257> bucket_distribute(T* first, T* last, Byte byte_of) {
  std::array<size_t, 257> start{};
  for (T* i = first; i != last; ++i) ++start[static_cast<size_t>(byte_of(*i)) + 1];
  for (size_t b = 0; b < 256; ++b) start[b + 1] += start[b];
  std::array<size_t, 256> next;
  std::copy(start.begin(), start.begin() + 256, next.begin());
  for (size_t b = 0; b < 256; ++b)
    while (next[b] < start[b + 1]) {
      T& v = first[next[b]];
      const size_t d = static_cast<size_t>(byte_of(v));
      if (d == b) ++next[b];
      else std::swap(v, first[next[d]++]);
    }
  return start;
}

// Calls group(first, last) for every run of two or more elements with equal
// key(e), the run's elements next to each other and sorted by `comp` (which
// must order by key first); the other elements end up in unspecified order.
// Sorting everything finds the same runs, but most keys are unique: here each
// bucket costs two passes over a hash table that fits the cache, and only the
// repeated keys are sorted. `mixed(e)`: a well-mixed 64-bit hash of key(e)
// (its top byte picks the bucket, its low bits the slot).
// `table`: the hash table's storage, (key, count) with count 0 for an empty
// slot; pass one that lives across calls when there are many small calls.
using RepeatTable = std::vector<std::pair<uint64_t, uint64_t>>;
template <class T, class Key, class Mixed, class Comp, class Group>
void for_each_repeated(T* first, T* last, Key key, Mixed mixed, Comp comp, Group group, RepeatTable& table) {
  auto one_bucket = [&](T* bf, T* bl) {
    const size_t n = static_cast<size_t>(bl - bf);
    if (n < 2) return;
    size_t size = 16;
    while (size < 2 * n) size *= 2;
    table.assign(size, {0, 0});
    const size_t mask = size - 1;
    auto slot = [&](const T& e) -> std::pair<uint64_t, uint64_t>& {
      const uint64_t k = key(e);
      for (size_t i = mixed(e) & mask;; i = (i + 1) & mask)
        if (table[i].second == 0 || table[i].first == k) return table[i];
    };
    bool repeated = false;
    for (T* e = bf; e < bl; ++e) {
      auto& s = slot(*e);
      s.first = key(*e);
      repeated |= ++s.second == 2;
    }
    if (!repeated) return;
    T* m = std::partition(bf, bl, [&](const T& e) { return slot(e).second > 1; });
    std::sort(bf, m, comp);
    for (T* i = bf; i < m;) {
      T* j = i + 1;
      while (j < m && key(*j) == key(*i)) ++j;
      group(i, j);
      i = j;
    }
  };
  if (last - first < (1 << 14)) return one_bucket(first, last);
  const auto start = bucket_distribute(first, last, [&](const T& e) { return mixed(e) >> 56; });
  for (size_t b = 0; b < 256; ++b) one_bucket(first + start[b], first + start[b + 1]);
}
template <class T, class Key, class Mixed, class Comp, class Group>
void for_each_repeated(T* first, T* last, Key key, Mixed mixed, Comp comp, Group group) {
  RepeatTable table;
  for_each_repeated(first, last, key, mixed, comp, group, table);
}

}  // namespace wkit::audit
