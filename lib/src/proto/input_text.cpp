#include "wkit/proto/input_text.hpp"

#include <algorithm>

#include "wkit/crypto/crypto.hpp"

namespace wkit::proto {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; }

bool is_base64_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
         c == '+' || c == '/' || c == '=';
}

std::string shown(char c) {
  const auto u = static_cast<unsigned char>(c);
  if (u >= 0x20 && u < 0x7f) return std::string("'") + c + "'";
  static constexpr char d[] = "0123456789abcdef";
  return std::string("byte 0x") + d[u >> 4] + d[u & 15];
}

}  // namespace

std::string_view input_format_name(InputFormat f) {
  switch (f) {
    case InputFormat::auto_detect: return "auto";
    case InputFormat::hex: return "hex";
    case InputFormat::base64: return "base64";
    case InputFormat::raw: return "raw";
    case InputFormat::jsonrpc: return "jsonrpc";
  }
  return "?";
}

bool input_format_from_name(std::string_view name, InputFormat& out) {
  for (auto f : {InputFormat::auto_detect, InputFormat::hex, InputFormat::base64, InputFormat::raw,
                 InputFormat::jsonrpc})
    if (input_format_name(f) == name) {
      out = f;
      return true;
    }
  return false;
}

// '{' first, then a "jsonrpc" or "method" member name (with any whitespace before its ':').
bool looks_like_jsonrpc(std::string_view head) {
  const size_t first = head.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos || head[first] != '{') return false;
  for (std::string_view key : {std::string_view("\"jsonrpc\""), std::string_view("\"method\"")}) {
    for (size_t at = head.find(key); at != std::string_view::npos; at = head.find(key, at + 1)) {
      const size_t colon = head.find_first_not_of(" \t\r\n", at + key.size());
      if (colon != std::string_view::npos && head[colon] == ':') return true;
    }
  }
  return false;
}

InputFormat detect_input_format(std::string_view head) {
  if (looks_like_jsonrpc(head)) return InputFormat::jsonrpc;
  bool hex = true, b64 = true;
  bool in_comment = false;
  for (size_t i = 0; i < head.size(); ++i) {
    const char c = head[i];
    const auto u = static_cast<unsigned char>(c);
    if (c == '\n') {
      in_comment = false;
      continue;
    }
    if (in_comment) {
      if (u < 0x20 && !is_blank(c)) return InputFormat::raw;  // control bytes: binary
      continue;
    }
    if (is_blank(c)) continue;
    if (u < 0x20 || u >= 0x7f) return InputFormat::raw;
    if (c == '#') {
      in_comment = true;
      b64 = false;
      continue;
    }
    const bool x_of_0x = (c == 'x' || c == 'X') && i > 0 && head[i - 1] == '0' &&
                         (i == 1 || is_blank(head[i - 2]) || head[i - 2] == '\n');
    if (hex_value(c) < 0 && !x_of_0x) hex = false;
    if (!is_base64_char(c)) b64 = false;
    if (!hex && !b64) return InputFormat::raw;
  }
  if (hex) return InputFormat::hex;
  return b64 ? InputFormat::base64 : InputFormat::raw;
}

TextInputDecoder::TextInputDecoder(InputFormat format) : format_(format) {}

Status TextInputDecoder::fail(std::string msg) {
  failed_ = true;
  error_line_ = line_no_;
  error_ = Error::input(std::move(msg));
  return error_;
}

void TextInputDecoder::mark(uint64_t first_byte) {
  if (lines_.empty() || lines_.back().line != line_no_) lines_.push_back({first_byte, line_no_});
}

Status TextInputDecoder::hex_line(std::string_view text, std::string& out) {
  const size_t start = out.size();
  int pending = -1;  // high nibble waiting for its low nibble
  size_t pending_col = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '#') break;
    if (is_blank(c)) continue;
    if (c == '0' && i + 1 < text.size() && (text[i + 1] == 'x' || text[i + 1] == 'X') &&
        pending < 0 && (i == 0 || is_blank(text[i - 1]))) {
      ++i;  // "0x" prefix
      continue;
    }
    const int v = hex_value(c);
    if (v < 0) {
      out.resize(start);
      return fail("column " + std::to_string(i + 1) + ": " + shown(c) + " is not a hex digit");
    }
    if (pending < 0) {
      pending = v;
      pending_col = i + 1;
    } else {
      out.push_back(static_cast<char>(pending << 4 | v));
      pending = -1;
    }
  }
  if (pending >= 0) {
    out.resize(start);
    return fail("column " + std::to_string(pending_col) +
                ": odd number of hex digits on the line (a digit has no partner)");
  }
  if (out.size() > start) {
    mark(bytes_out_);
    bytes_out_ += out.size() - start;
  }
  return std::nullopt;
}

Status TextInputDecoder::base64_line(std::string_view text, std::string& out) {
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (is_blank(c)) continue;
    if (!is_base64_char(c))
      return fail("column " + std::to_string(i + 1) + ": " + shown(c) +
                  " is not a base64 character");
    if (b64_pending_.empty()) b64_pending_line_ = line_no_;
    b64_pending_.push_back(c);
  }
  if (b64_pending_.size() % 4 != 0) return std::nullopt;  // wrapped: wait for the rest
  if (b64_pending_.empty()) return std::nullopt;
  const size_t start = out.size();
  if (auto err = crypto::base64_decode_to(b64_pending_, out)) {
    out.resize(start);
    return fail("invalid base64: " + err->describe());
  }
  b64_pending_.clear();
  if (out.size() > start) {
    // Bytes of a wrapped blob are attributed to the line it started on.
    const uint64_t keep = line_no_;
    line_no_ = b64_pending_line_;
    mark(bytes_out_);
    line_no_ = keep;
    bytes_out_ += out.size() - start;
  }
  return std::nullopt;
}

Status TextInputDecoder::line(std::string_view text, std::string& out) {
  ++line_no_;
  return format_ == InputFormat::base64 ? base64_line(text, out) : hex_line(text, out);
}

Status TextInputDecoder::feed(std::string_view text, std::string& out) {
  if (failed_) return error_;
  size_t pos = 0;
  for (;;) {
    const size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) break;
    Status st;
    if (!partial_.empty()) {
      partial_.append(text.substr(pos, nl - pos));
      st = line(partial_, out);
      partial_.clear();
    } else {
      st = line(text.substr(pos, nl - pos), out);
    }
    if (st) return st;
    pos = nl + 1;
  }
  partial_.append(text.substr(pos));
  return std::nullopt;
}

Status TextInputDecoder::finish(std::string& out) {
  if (failed_) return error_;
  if (!partial_.empty()) {
    std::string last;
    last.swap(partial_);
    if (auto st = line(last, out)) return st;
  }
  if (!b64_pending_.empty()) {
    line_no_ = b64_pending_line_;
    return fail("base64 text ends with " + std::to_string(b64_pending_.size() % 4) +
                " characters that do not complete a group of 4");
  }
  return std::nullopt;
}

uint64_t TextInputDecoder::line_of(uint64_t offset) const {
  auto it = std::upper_bound(lines_.begin(), lines_.end(), offset,
                             [](uint64_t off, const LineStart& l) { return off < l.offset; });
  if (it == lines_.begin()) return 0;
  return std::prev(it)->line;
}

void TextInputDecoder::forget_before(uint64_t offset) {
  // Keep the entry covering `offset` itself.
  while (lines_.size() >= 2 && lines_[1].offset <= offset) lines_.pop_front();
}

}  // namespace wkit::proto
