#pragma once
// A small validating JSON scanner over one message, for the JSON-RPC codec:
// every error carries the byte offset, strings without escapes stay views,
// nothing allocates. RFC 8259 strict: UTF-8 only, no control characters in
// strings, no leading zeros, no trailing commas.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace wkit::proto::jsonrpc::detail {

enum class ValueKind : uint8_t { object, array, string, number, boolean, null, invalid };
std::string_view value_kind_name(ValueKind k);  // "an object", "a string", ...

class Scanner {
 public:
  Scanner(std::string_view text, size_t max_depth) : s_(text), max_depth_(max_depth) {}

  size_t pos() const { return pos_; }
  void set_pos(size_t p) { pos_ = p; }
  std::string_view text() const { return s_; }
  bool at_end() const { return pos_ >= s_.size(); }

  void skip_ws();
  // The kind of the value starting at pos() (after whitespace); invalid at end
  // or on a character no value starts with.
  ValueKind peek();

  // Object iteration: begin() consumes '{'; next_key() returns false at '}'
  // (consumed) or on error, and true with the key's raw text (between the
  // quotes) after consuming the ':' and the whitespace before the value.
  // `first` starts true for each object.
  bool begin_object();
  bool next_key(bool& first, std::string_view& raw_key, bool& key_escaped);

  // String at pos(): the raw contents between the quotes; `escaped` says
  // whether it holds backslash escapes (then unescape() it).
  bool read_string(std::string_view& raw, bool& escaped);
  // Number at pos(): its text, validated.
  bool read_number(std::string_view& token);
  bool read_bool(bool& v);
  bool read_null();
  // Any value, validated, skipped; `raw` is its exact text.
  bool skip_value(std::string_view* raw = nullptr);

  // Failure state: the first error wins.
  bool failed() const { return !error_.empty(); }
  const std::string& error() const { return error_; }
  size_t error_offset() const { return error_off_; }
  // The failure was running out of input (more bytes might complete it).
  bool hit_end() const { return hit_end_; }
  bool fail(size_t off, std::string msg);

 private:
  bool skip_value_at(size_t depth);
  bool expect(char c, const char* what);

  std::string_view s_;
  size_t pos_ = 0;
  size_t max_depth_;
  std::string error_;
  size_t error_off_ = 0;
  bool hit_end_ = false;
};

// Appends the unescaped form of a raw string (validated by the scanner) to
// `out`. Lone surrogates become U+FFFD, as Go's decoder does.
void unescape_to(std::string_view raw, std::string& out);

// ASCII case-insensitive comparison of a key to a name (Go's decoder matches
// struct fields this way).
bool key_is(std::string_view key, std::string_view name);

// Length of the valid UTF-8 sequence at s[i], 0 if none.
size_t utf8_len(std::string_view s, size_t i);

// Whether `text` is exactly one JSON value (surrounding whitespace allowed).
bool is_json_text(std::string_view text, size_t max_depth);

}  // namespace wkit::proto::jsonrpc::detail
