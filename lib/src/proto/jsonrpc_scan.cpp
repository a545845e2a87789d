#include "jsonrpc_scan.hpp"

#include <array>

#include "wkit/util/byte_scan.hpp"
#include "wkit/util/utf8.hpp"

namespace wkit::proto::jsonrpc::detail {
namespace {

bool is_ws(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string shown(char c) {
  const auto u = static_cast<unsigned char>(c);
  if (u >= 0x20 && u < 0x7f) return std::string("'") + c + "'";
  static constexpr char d[] = "0123456789abcdef";
  return std::string("byte 0x") + d[u >> 4] + d[u & 15];
}

void put_utf8(uint32_t cp, std::string& out) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | cp >> 6));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | cp >> 12));
    out.push_back(static_cast<char>(0x80 | (cp >> 6 & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | cp >> 18));
    out.push_back(static_cast<char>(0x80 | (cp >> 12 & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp >> 6 & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

uint32_t hex4(std::string_view s, size_t i) {
  uint32_t v = 0;
  for (size_t k = 0; k < 4; ++k) v = v << 4 | static_cast<uint32_t>(hex_digit(s[i + k]));
  return v;
}

}  // namespace

std::string_view value_kind_name(ValueKind k) {
  switch (k) {
    case ValueKind::object: return "an object";
    case ValueKind::array: return "an array";
    case ValueKind::string: return "a string";
    case ValueKind::number: return "a number";
    case ValueKind::boolean: return "a boolean";
    case ValueKind::null: return "null";
    case ValueKind::invalid: return "no value";
  }
  return "?";
}

size_t utf8_len(std::string_view s, size_t i) { return util::utf8_seq_len(s, i); }

bool key_is(std::string_view key, std::string_view name) {
  if (key.size() != name.size()) return false;
  for (size_t i = 0; i < key.size(); ++i) {
    char a = key[i], b = name[i];
    if (a >= 'A' && a <= 'Z') a = static_cast<char>(a - 'A' + 'a');
    if (b >= 'A' && b <= 'Z') b = static_cast<char>(b - 'A' + 'a');
    if (a != b) return false;
  }
  return true;
}

bool Scanner::fail(size_t off, std::string msg) {
  if (error_.empty()) {
    error_ = std::move(msg);
    error_off_ = off;
    hit_end_ = off >= s_.size();
  }
  return false;
}

void Scanner::skip_ws() {
  while (pos_ < s_.size() && is_ws(s_[pos_])) ++pos_;
}

ValueKind Scanner::peek() {
  skip_ws();
  if (pos_ >= s_.size()) return ValueKind::invalid;
  switch (s_[pos_]) {
    case '{': return ValueKind::object;
    case '[': return ValueKind::array;
    case '"': return ValueKind::string;
    case 't': case 'f': return ValueKind::boolean;
    case 'n': return ValueKind::null;
    default:
      return s_[pos_] == '-' || is_digit(s_[pos_]) ? ValueKind::number : ValueKind::invalid;
  }
}

bool Scanner::expect(char c, const char* what) {
  skip_ws();
  if (pos_ >= s_.size()) return fail(pos_, std::string("unexpected end of input, expected ") + what);
  if (s_[pos_] != c) return fail(pos_, "expected " + std::string(what) + ", got " + shown(s_[pos_]));
  ++pos_;
  return true;
}

bool Scanner::begin_object() { return expect('{', "'{'"); }

bool Scanner::next_key(bool& first_member, std::string_view& raw_key, bool& key_escaped) {
  // pos_ is just after '{' or after a member's value.
  skip_ws();
  if (pos_ >= s_.size()) return fail(pos_, "unexpected end of input inside an object");
  const bool first = first_member;
  first_member = false;
  if (s_[pos_] == '}') {
    ++pos_;
    return false;
  }
  if (!first) {
    if (s_[pos_] != ',') return fail(pos_, "expected ',' or '}' after a member, got " + shown(s_[pos_]));
    ++pos_;
    skip_ws();
    if (pos_ < s_.size() && s_[pos_] == '}') return fail(pos_, "trailing comma before '}'");
  }
  if (pos_ >= s_.size()) return fail(pos_, "unexpected end of input, expected a member name");
  if (s_[pos_] != '"') return fail(pos_, "expected a member name (a string), got " + shown(s_[pos_]));
  if (!read_string(raw_key, key_escaped)) return false;
  if (!expect(':', "':' after a member name")) return false;
  skip_ws();
  return true;
}

bool Scanner::read_string(std::string_view& raw, bool& escaped) {
  const size_t open = pos_;
  ++pos_;  // the opening quote
  escaped = false;
  const size_t n = s_.size();
  while (pos_ < n) {
    pos_ = util::json_string_stop(s_.data(), pos_, n);  // plain ASCII skipped 16 bytes a step
    if (pos_ >= n) break;
    const char c = s_[pos_];
    const auto u = static_cast<unsigned char>(c);
    if (c == '"') {
      raw = s_.substr(open + 1, pos_ - open - 1);
      ++pos_;
      return true;
    }
    if (c == '\\') {
      escaped = true;
      if (pos_ + 1 >= s_.size()) return fail(s_.size(), "unexpected end of input in a string escape");
      const char e = s_[pos_ + 1];
      if (e == 'u') {
        if (pos_ + 6 > s_.size()) return fail(s_.size(), "unexpected end of input in a \\u escape");
        for (size_t k = 2; k < 6; ++k)
          if (hex_digit(s_[pos_ + k]) < 0)
            return fail(pos_ + k, "bad \\u escape: " + shown(s_[pos_ + k]) + " is not a hex digit");
        pos_ += 6;
      } else if (e == '"' || e == '\\' || e == '/' || e == 'b' || e == 'f' || e == 'n' || e == 'r' || e == 't') {
        pos_ += 2;
      } else {
        return fail(pos_, "invalid escape \\" + std::string(1, e));
      }
      continue;
    }
    if (u < 0x20) return fail(pos_, "control character " + shown(c) + " in a string (must be escaped)");
    if (u >= 0x80) {
      const size_t n = utf8_len(s_, pos_);
      if (n == 0) return fail(pos_, "invalid UTF-8 in a string");
      pos_ += n;
      continue;
    }
    ++pos_;
  }
  return fail(s_.size(), "unexpected end of input in a string (starts at byte " + std::to_string(open) + ")");
}

bool Scanner::read_number(std::string_view& token) {
  const size_t start = pos_;
  if (pos_ < s_.size() && s_[pos_] == '-') ++pos_;
  if (pos_ >= s_.size()) return fail(pos_, "unexpected end of input in a number");
  if (s_[pos_] == '0') {
    ++pos_;
    if (pos_ < s_.size() && is_digit(s_[pos_])) return fail(pos_, "leading zero in a number");
  } else if (is_digit(s_[pos_])) {
    while (pos_ < s_.size() && is_digit(s_[pos_])) ++pos_;
  } else {
    return fail(pos_, "expected a digit, got " + shown(s_[pos_]));
  }
  if (pos_ < s_.size() && s_[pos_] == '.') {
    ++pos_;
    if (pos_ >= s_.size() || !is_digit(s_[pos_])) return fail(pos_, "expected a digit after '.'");
    while (pos_ < s_.size() && is_digit(s_[pos_])) ++pos_;
  }
  if (pos_ < s_.size() && (s_[pos_] == 'e' || s_[pos_] == 'E')) {
    ++pos_;
    if (pos_ < s_.size() && (s_[pos_] == '+' || s_[pos_] == '-')) ++pos_;
    if (pos_ >= s_.size() || !is_digit(s_[pos_])) return fail(pos_, "expected a digit in the exponent");
    while (pos_ < s_.size() && is_digit(s_[pos_])) ++pos_;
  }
  token = s_.substr(start, pos_ - start);
  return true;
}

bool Scanner::read_bool(bool& v) {
  if (s_.substr(pos_, 4) == "true") {
    pos_ += 4;
    v = true;
    return true;
  }
  if (s_.substr(pos_, 5) == "false") {
    pos_ += 5;
    v = false;
    return true;
  }
  const std::string_view want = s_[pos_] == 't' ? "true" : "false";
  if (want.substr(0, s_.size() - pos_) == s_.substr(pos_)) return fail(s_.size(), "unexpected end of input in a literal");
  return fail(pos_, "invalid literal (expected " + std::string(want) + ")");
}

bool Scanner::read_null() {
  if (s_.substr(pos_, 4) == "null") {
    pos_ += 4;
    return true;
  }
  if (std::string_view("null").substr(0, s_.size() - pos_) == s_.substr(pos_))
    return fail(s_.size(), "unexpected end of input in a literal");
  return fail(pos_, "invalid literal (expected null)");
}

bool Scanner::skip_value(std::string_view* raw) {
  skip_ws();
  const size_t start = pos_;
  if (!skip_value_at(0)) return false;
  if (raw) *raw = s_.substr(start, pos_ - start);
  return true;
}

bool Scanner::skip_value_at(size_t depth) {
  switch (peek()) {
    case ValueKind::object: {
      if (depth >= max_depth_) return fail(pos_, "nested deeper than " + std::to_string(max_depth_) + " levels");
      ++pos_;
      std::string_view k;
      bool esc, first = true;
      for (;;) {
        if (!next_key(first, k, esc)) return !failed();
        if (!skip_value_at(depth + 1)) return false;
      }
    }
    case ValueKind::array: {
      if (depth >= max_depth_) return fail(pos_, "nested deeper than " + std::to_string(max_depth_) + " levels");
      ++pos_;
      skip_ws();
      if (pos_ < s_.size() && s_[pos_] == ']') {
        ++pos_;
        return true;
      }
      for (;;) {
        if (!skip_value_at(depth + 1)) return false;
        skip_ws();
        if (pos_ >= s_.size()) return fail(pos_, "unexpected end of input inside an array");
        if (s_[pos_] == ']') {
          ++pos_;
          return true;
        }
        if (s_[pos_] != ',') return fail(pos_, "expected ',' or ']' in an array, got " + shown(s_[pos_]));
        ++pos_;
        skip_ws();
        if (pos_ < s_.size() && s_[pos_] == ']') return fail(pos_, "trailing comma before ']'");
      }
    }
    case ValueKind::string: {
      std::string_view r;
      bool e;
      return read_string(r, e);
    }
    case ValueKind::number: {
      std::string_view t;
      return read_number(t);
    }
    case ValueKind::boolean: {
      bool b;
      return read_bool(b);
    }
    case ValueKind::null: return read_null();
    case ValueKind::invalid:
      if (pos_ >= s_.size()) return fail(pos_, "unexpected end of input, expected a value");
      return fail(pos_, "expected a value, got " + shown(s_[pos_]));
  }
  return false;
}

void unescape_to(std::string_view raw, std::string& out) {
  for (size_t i = 0; i < raw.size();) {
    const char c = raw[i];
    if (c != '\\') {
      const size_t next = raw.find('\\', i);
      const size_t end = next == std::string_view::npos ? raw.size() : next;
      out.append(raw.data() + i, end - i);
      i = end;
      continue;
    }
    const char e = raw[i + 1];
    switch (e) {
      case 'b': out.push_back('\b'); break;
      case 'f': out.push_back('\f'); break;
      case 'n': out.push_back('\n'); break;
      case 'r': out.push_back('\r'); break;
      case 't': out.push_back('\t'); break;
      case 'u': {
        uint32_t cp = hex4(raw, i + 2);
        i += 6;
        if (cp >= 0xD800 && cp <= 0xDBFF && i + 6 <= raw.size() && raw[i] == '\\' && raw[i + 1] == 'u') {
          const uint32_t lo = hex4(raw, i + 2);
          if (lo >= 0xDC00 && lo <= 0xDFFF) {
            put_utf8(0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00), out);
            i += 6;
            continue;
          }
        }
        if (cp >= 0xD800 && cp <= 0xDFFF) cp = 0xFFFD;
        put_utf8(cp, out);
        continue;
      }
      default: out.push_back(e); break;  // " \ /
    }
    i += 2;
  }
}

bool is_json_text(std::string_view text, size_t max_depth) {
  Scanner sc(text, max_depth);
  if (!sc.skip_value()) return false;
  sc.skip_ws();
  return sc.at_end();
}

}  // namespace wkit::proto::jsonrpc::detail
