#pragma once
// Sorting millions of hashed keys: one in-place pass distributes the elements
// into 256 buckets by a byte of the key (American flag sort), then each
// bucket, small enough for the cache, is sorted with `comp`. Elements equal
// under `comp` must share a byte; the result equals std::sort's whenever the
// byte is monotone in `comp` (e.g. the top byte of the primary key).
#include <algorithm>
#include <array>
#include <cstddef>
#include <utility>

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

template <class T, class Byte, class Comp>
void bucket_sort(T* first, T* last, Byte byte_of, Comp comp) {
  if (last - first < (1 << 14)) return std::sort(first, last, comp);
  const auto start = bucket_distribute(first, last, byte_of);
  for (size_t b = 0; b < 256; ++b) std::sort(first + start[b], first + start[b + 1], comp);
}

}  // namespace wkit::audit
