// Random bytes into the crypto input paths: Cipher::open, base64_decode,
// hex_decode and SessionKeys::from_strings must return an Error, never crash.
// Properties checked on success (they make the strictness testable):
//  - a base64 text that decodes re-encodes to exactly itself (canonical only);
//  - a payload that opens re-seals to exactly itself (same key and IV).
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "wkit/crypto/crypto.hpp"

namespace wc = wkit::crypto;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static wc::Cipher cipher(wc::SessionKeys::from_strings("6a42aec326f7c192", "abcdefghijklmnop").value());
  std::string_view in(reinterpret_cast<const char*>(data), size);

  auto dec = wc::base64_decode(in);
  if (dec.ok() && wc::base64_encode(dec.value()) != in) std::abort();

  std::string plain = "x";
  auto err = cipher.open(in, plain);
  if (err) {
    if (plain != "x" || err->message.empty()) std::abort();  // untouched on error
  } else {
    std::string wire;
    cipher.seal(std::string_view(plain).substr(1), wire);
    if (wire != in) std::abort();
  }

  (void)wc::hex_decode(in);
  (void)wc::SessionKeys::from_strings(in.substr(0, size / 2), in.substr(size / 2));
  return 0;
}
