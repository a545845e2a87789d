#pragma once
// Decrypting SEND/RECV payloads and verifying msg_key with a session's keys
// (docs/protocol.md section 3), for `wkit decode --aes-key/--aes-iv` and frame dumps.
#include <string>

#include "wkit/crypto/crypto.hpp"
#include "wkit/proto/frame.hpp"

namespace wkit::proto {

struct PayloadCheck {
  bool encrypted = false;        // SEND/RECV without the NoEncrypt setting
  bool decrypted = false;
  std::string plain;             // when decrypted
  std::string decrypt_error;     // why not
  bool msg_key_ok = false;       // msg_key matches the recomputed one
  std::string msg_key_expected;  // the recomputed msg_key
};

// False for frames that carry no encrypted payload (not SEND/RECV, or
// NoEncrypt set); otherwise fills `out` (reused between calls).
bool check_payload(crypto::Cipher& cipher, const Frame& f, PayloadCheck& out);

// Adds "payload_plain" (UTF-8 text) or "payload_plain_base64", and
// "payload_plain_size", or "decrypt_error"; "msg_key_ok" and, on a mismatch,
// "msg_key_expected". J is Json (ordered) or nlohmann::json.
template <class J>
void append_payload_check(const PayloadCheck& c, J& out);

}  // namespace wkit::proto
