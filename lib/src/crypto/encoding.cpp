// base64 (strict), hex and MD5 helpers on OpenSSL 3 (docs/protocol.md section 3).
#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <climits>
#include <stdexcept>

#include "wkit/crypto/crypto.hpp"

namespace wkit::crypto {
namespace {

constexpr char kHexDigits[] = "0123456789abcdef";

// 0..63 for the standard alphabet, 64 for '=', 255 for anything else.
constexpr std::array<uint8_t, 256> make_b64_table() {
  std::array<uint8_t, 256> t{};
  for (auto& v : t) v = 255;
  const char* alpha = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  for (uint8_t i = 0; i < 64; ++i) t[static_cast<uint8_t>(alpha[i])] = i;
  t['='] = 64;
  return t;
}
constexpr auto kB64 = make_b64_table();

// EVP_EncodeBlock/EVP_DecodeBlock take an int length: feed big inputs in
// chunks that keep the 3:4 alignment.
constexpr size_t kEncodeChunk = size_t{3} << 24;
constexpr size_t kDecodeChunk = size_t{4} << 24;

std::string describe_char(char c) {
  auto u = static_cast<unsigned char>(c);
  if (u >= 0x21 && u < 0x7f) return std::string("'") + c + "'";
  std::string s = "0x";
  s += kHexDigits[u >> 4];
  s += kHexDigits[u & 15];
  return s;
}

// Validates `text` as strict padded standard base64; returns the number of
// '=' characters (0..2) or an Error naming the offending byte offset.
Result<size_t> validate_base64(std::string_view text) {
  const size_t n = text.size();
  for (size_t i = 0; i < n; ++i) {
    uint8_t v = kB64[static_cast<unsigned char>(text[i])];
    if (v == 255) return Error::input("invalid base64 character " + describe_char(text[i]), i);
    if (v == 64) {
      // Padding: only the last one or two characters, and nothing after it but '='.
      size_t pad = n - i;
      if (pad > 2) return Error::input("base64 padding '=' before the end of the text", i);
      if (pad == 2 && text[i + 1] != '=') return Error::input("base64 character after padding '='", i + 1);
      break;
    }
  }
  if (n % 4 != 0)
    return Error::input("base64 length " + std::to_string(n) + " is not a multiple of 4 (missing padding?)", n);
  size_t pad = 0;
  if (n >= 1 && text[n - 1] == '=') ++pad;
  if (n >= 2 && text[n - 2] == '=') ++pad;
  // A canonical encoder leaves the unused low bits of the last symbol zero.
  if (pad == 2 && (kB64[static_cast<unsigned char>(text[n - 3])] & 0x0f) != 0)
    return Error::input("non-canonical base64: unused bits before '==' are not zero", n - 3);
  if (pad == 1 && (kB64[static_cast<unsigned char>(text[n - 2])] & 0x03) != 0)
    return Error::input("non-canonical base64: unused bits before '=' are not zero", n - 2);
  return pad;
}

}  // namespace

void base64_encode_to(std::string_view bytes, std::string& out) {
  size_t pos = 0;
  do {
    size_t len = std::min(kEncodeChunk, bytes.size() - pos);
    size_t old = out.size();
    // EVP_EncodeBlock writes a terminating NUL after the 4*ceil(len/3) chars.
    out.resize(old + (len + 2) / 3 * 4 + 1);
    int written = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data() + old),
                                  reinterpret_cast<const unsigned char*>(bytes.data() + pos),
                                  static_cast<int>(len));
    out.resize(old + static_cast<size_t>(written));
    pos += len;
  } while (pos < bytes.size());
}

std::string base64_encode(std::string_view bytes) {
  std::string out;
  base64_encode_to(bytes, out);
  return out;
}

Status base64_decode_to(std::string_view text, std::string& out) {
  auto pad = validate_base64(text);
  if (!pad) return pad.error();
  const size_t old = out.size();
  size_t pos = 0;
  while (pos < text.size()) {
    size_t len = std::min(kDecodeChunk, text.size() - pos);
    size_t at = out.size();
    out.resize(at + len / 4 * 3);
    int got = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data() + at),
                              reinterpret_cast<const unsigned char*>(text.data() + pos),
                              static_cast<int>(len));
    if (got < 0) {  // cannot happen after validation; keep `out` untouched anyway
      out.resize(old);
      return Error::input("invalid base64", pos);
    }
    pos += len;
  }
  // EVP_DecodeBlock counts padding as zero bytes; drop them.
  out.resize(out.size() - *pad);
  return std::nullopt;
}

Result<std::string> base64_decode(std::string_view text) {
  std::string out;
  if (auto err = base64_decode_to(text, out)) return *err;
  return out;
}

std::string hex_encode(std::string_view bytes) {
  std::string out(bytes.size() * 2, '\0');
  for (size_t i = 0; i < bytes.size(); ++i) {
    auto b = static_cast<unsigned char>(bytes[i]);
    out[2 * i] = kHexDigits[b >> 4];
    out[2 * i + 1] = kHexDigits[b & 15];
  }
  return out;
}

Result<std::string> hex_decode(std::string_view hex) {
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  out.reserve(hex.size() / 2);
  for (size_t i = 0; i < hex.size(); i += 2) {
    int hi = nibble(hex[i]);
    if (hi < 0) return Error::input("invalid hex digit " + describe_char(hex[i]), i);
    if (i + 1 == hex.size()) return Error::input("odd number of hex digits (" + std::to_string(hex.size()) + ")", i);
    int lo = nibble(hex[i + 1]);
    if (lo < 0) return Error::input("invalid hex digit " + describe_char(hex[i + 1]), i + 1);
    out.push_back(static_cast<char>(hi << 4 | lo));
  }
  return out;
}

void hex_encode_to(const unsigned char* bytes, size_t n, char* out) {
  for (size_t i = 0; i < n; ++i) {
    out[2 * i] = kHexDigits[bytes[i] >> 4];
    out[2 * i + 1] = kHexDigits[bytes[i] & 15];
  }
}

std::string md5_hex(std::string_view bytes) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), md, &len, EVP_md5(), nullptr) != 1 || len != 16)
    throw std::runtime_error("OpenSSL MD5 failed");
  std::string out(32, '\0');
  hex_encode_to(md, 16, out.data());
  return out;
}

}  // namespace wkit::crypto
