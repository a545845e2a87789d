#pragma once
// Finding the next byte of interest 16 bytes a step (SSE2, which every
// x86-64 has; a plain loop elsewhere). For the short fields of messages and
// records, where a memchr call per field costs more than it saves. Nothing
// here reads past `n`.
#include <cstddef>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace wkit::util {

// The index of the first byte in p[i, n) equal to `a` or `b`, or n.
inline std::size_t find_either(const char* p, std::size_t i, std::size_t n, char a, char b) {
#if defined(__SSE2__)
  const __m128i va = _mm_set1_epi8(a), vb = _mm_set1_epi8(b);
  for (; i + 16 <= n; i += 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
    const auto m = static_cast<unsigned>(_mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(v, va), _mm_cmpeq_epi8(v, vb))));
    if (m) return i + static_cast<std::size_t>(__builtin_ctz(m));
  }
#endif
  while (i < n && p[i] != a && p[i] != b) ++i;
  return i;
}

// The index of the first byte in p[i, n) that a JSON string reader must look
// at: the closing quote, a backslash, a control byte (< 0x20, not allowed
// unescaped) or a non-ASCII byte (UTF-8 to check); n if none.
inline std::size_t json_string_stop(const char* p, std::size_t i, std::size_t n) {
#if defined(__SSE2__)
  const __m128i quote = _mm_set1_epi8('"'), backslash = _mm_set1_epi8('\\'), space = _mm_set1_epi8(0x20);
  for (; i + 16 <= n; i += 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
    // Signed: bytes >= 0x80 are negative, so "less than 0x20" takes them too.
    const __m128i stop = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash)),
                                      _mm_cmplt_epi8(v, space));
    const auto m = static_cast<unsigned>(_mm_movemask_epi8(stop));
    if (m) return i + static_cast<std::size_t>(__builtin_ctz(m));
  }
#endif
  for (; i < n; ++i) {
    const auto u = static_cast<unsigned char>(p[i]);
    if (u == '"' || u == '\\' || u < 0x20 || u >= 0x80) break;
  }
  return i;
}

}  // namespace wkit::util
