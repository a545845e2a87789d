#pragma once
// UTF-8 validation, one code point at a time (JSON text in and out).
#include <cstddef>
#include <string_view>

namespace wkit::util {

// Length of the valid UTF-8 sequence at s[i] (1..4), or 0 if none starts
// there: overlong forms, surrogates and values above U+10FFFF are invalid.
size_t utf8_seq_len(std::string_view s, size_t i);

}  // namespace wkit::util
