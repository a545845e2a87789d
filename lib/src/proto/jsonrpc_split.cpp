#include <string_view>

#include "wkit/proto/jsonrpc.hpp"

namespace wkit::proto::jsonrpc {

size_t value_length(std::string_view text) {
  if (text.empty() || (text[0] != '{' && text[0] != '[')) return 0;
  size_t depth = 0;
  bool in_string = false, escaped = false;
  for (size_t i = 0; i < text.size(); ++i) {
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
