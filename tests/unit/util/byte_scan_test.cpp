// The 16-bytes-a-step scans agree with a byte-by-byte reference at every
// position and length, and never read past the end they are given.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "wkit/util/byte_scan.hpp"

namespace {

using wkit::util::find_either;
using wkit::util::json_string_stop;

size_t byte_scan_reference_either(const std::string& s, size_t i, size_t n, char a, char b) {
  while (i < n && s[i] != a && s[i] != b) ++i;
  return i;
}
size_t byte_scan_reference_json(const std::string& s, size_t i, size_t n) {
  for (; i < n; ++i) {
    auto u = static_cast<unsigned char>(s[i]);
    if (u == '"' || u == '\\' || u < 0x20 || u >= 0x80) break;
  }
  return i;
}

TEST(ByteScan, AgreesWithByteByByteAtEveryPositionAndLength) {
  std::mt19937 rng(7);
  const std::string alphabet = std::string("abcdefgh,\n\"\\ \x01\x1f\x7f", 17) + "\xc3\xa9\x80\xff";
  for (int round = 0; round < 300; ++round) {
    const size_t len = rng() % 70;
    std::string s;
    for (size_t k = 0; k < len; ++k)
      s += rng() % 6 == 0 ? alphabet[rng() % alphabet.size()] : char('a' + rng() % 26);
    for (size_t i = 0; i <= len; ++i)
      for (size_t n = i; n <= len; ++n) {
        ASSERT_EQ(find_either(s.data(), i, n, ',', '\n'), byte_scan_reference_either(s, i, n, ',', '\n')) << s;
        ASSERT_EQ(json_string_stop(s.data(), i, n), byte_scan_reference_json(s, i, n)) << s;
      }
  }
}

// A stop byte right after `n` is not seen: the scans stay inside [i, n).
TEST(ByteScan, StopsAtTheGivenEnd) {
  std::string s(40, 'x');
  s[20] = '"';
  s[21] = ',';
  EXPECT_EQ(json_string_stop(s.data(), 0, 20), 20u);
  EXPECT_EQ(json_string_stop(s.data(), 0, 40), 20u);
  EXPECT_EQ(find_either(s.data(), 0, 21, ',', '\n'), 21u);
  EXPECT_EQ(find_either(s.data(), 0, 40, ',', '\n'), 21u);
}

}  // namespace
