#pragma once
// Frame input as people paste it: hex or base64 text (line oriented) or raw
// bytes, turned into one byte stream, remembering which text line each byte
// came from so errors can say "file:line".
//
// Hex: whitespace anywhere, an optional "0x" before a group of digits, and
// '#' starts a comment to the end of the line. Each line must hold an even
// number of digits. Lines are concatenated, so one frame per line, a stream
// per line and `xxd -p` output (frames wrapped across lines) all work.
// Base64: standard alphabet; whitespace ignored; text is decoded whenever the
// characters gathered so far are a multiple of 4 (one blob per line, or a
// blob wrapped at 76 columns by `base64`).
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>

#include "wkit/util/error.hpp"

namespace wkit::proto {

// jsonrpc: WuKongIM's JSON-RPC text messages (input_jsonrpc.hpp), not bytes.
enum class InputFormat : uint8_t { auto_detect, hex, base64, raw, jsonrpc };
std::string_view input_format_name(InputFormat f);  // "auto", "hex", "base64", "raw", "jsonrpc"
bool input_format_from_name(std::string_view name, InputFormat& out);

// Guesses from the first bytes of an input: jsonrpc if the first non-blank
// byte is '{' and a "jsonrpc" or "method" member name follows; hex if every
// character outside comments is a hex digit, whitespace or part of "0x";
// else base64 if every one is base64 alphabet, '=' or whitespace; else raw.
// Empty -> hex.
InputFormat detect_input_format(std::string_view head);

// Hex/base64 text -> bytes, incrementally (feed any chunking of the text).
class TextInputDecoder {
 public:
  explicit TextInputDecoder(InputFormat format);  // hex or base64

  // Decodes every complete line of `text` (with what earlier calls left),
  // appending bytes to `out`. On error: the message names the column; the
  // line is error_line(). After an error the decoder stays failed.
  Status feed(std::string_view text, std::string& out);
  // End of input: decodes an unterminated last line; leftover base64 that is
  // not a multiple of 4 characters is an error.
  Status finish(std::string& out);

  // 1-based text line the decoded byte at `offset` came from (0 if unknown).
  uint64_t line_of(uint64_t offset) const;
  // Drops line positions of bytes before `offset` (bounded memory on long inputs).
  void forget_before(uint64_t offset);
  uint64_t error_line() const { return error_line_; }
  uint64_t bytes_out() const { return bytes_out_; }

 private:
  Status line(std::string_view text, std::string& out);
  Status hex_line(std::string_view text, std::string& out);
  Status base64_line(std::string_view text, std::string& out);
  Status fail(std::string msg);
  void mark(uint64_t first_byte);

  InputFormat format_;
  std::string partial_;       // an incomplete line carried to the next feed
  std::string b64_pending_;   // base64 characters not yet a multiple of 4
  uint64_t b64_pending_line_ = 0;
  uint64_t line_no_ = 0;      // lines started so far
  uint64_t bytes_out_ = 0;
  uint64_t error_line_ = 0;
  bool failed_ = false;
  Error error_;
  struct LineStart {
    uint64_t offset;  // first decoded byte of the line
    uint64_t line;
  };
  std::deque<LineStart> lines_;
};

}  // namespace wkit::proto
