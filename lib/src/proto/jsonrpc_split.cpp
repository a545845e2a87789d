#include <array>
#include <string_view>

#include "wkit/proto/jsonrpc.hpp"
#include "wkit/util/byte_scan.hpp"

namespace wkit::proto::jsonrpc {
namespace {

// Bytes that matter when finding where a value ends outside strings: the
// brackets and the quote (inside a string: its quote and the escape, found
// 16 bytes a step).
constexpr std::array<bool, 256> table_of(std::string_view bytes) {
  std::array<bool, 256> t{};
  for (char c : bytes) t[static_cast<unsigned char>(c)] = true;
  return t;
}
constexpr auto kStructural = table_of("\"{}[]");

}  // namespace

size_t value_length(std::string_view text) {
  if (text.empty() || (text[0] != '{' && text[0] != '[')) return 0;
  size_t depth = 0;
  bool in_string = false, escaped = false;
  const size_t n = text.size();
  for (size_t i = 0; i < n; ++i) {
    if (in_string) {
      if (!escaped) i = util::find_either(text.data(), i, n, '"', '\\');
    } else {
      while (i < n && !kStructural[static_cast<unsigned char>(text[i])]) ++i;
    }
    if (i >= n) break;
    const char c = text[i];
    if (in_string) {
      if (escaped) escaped = false;
      else if (c == '\\') escaped = true;
      else if (c == '"') in_string = false;
      continue;
    }
    switch (c) {
      case '"': in_string = true; break;
      case '{':
      case '[': ++depth; break;
      case '}':
      case ']':
        if (--depth == 0) return i + 1;
        break;
      default: break;
    }
  }
  return std::string_view::npos;
}

}  // namespace wkit::proto::jsonrpc
