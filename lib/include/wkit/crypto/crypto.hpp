#pragma once
// WKProto session crypto (docs/protocol.md section 3), on OpenSSL 3.
#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "wkit/util/error.hpp"

namespace wkit::crypto {

// --- primitives -----------------------------------------------------------
std::string base64_encode(std::string_view bytes);             // standard, padded
// Strict: length a multiple of 4, standard alphabet only (no whitespace),
// '=' only as the final one or two characters, unused trailing bits zero.
// Errors carry the byte offset of the offending character.
Result<std::string> base64_decode(std::string_view text);
// Appends the decoded bytes to `out` (reused buffer); on error `out` is unchanged.
Status base64_decode_to(std::string_view text, std::string& out);
// Appends into `out` (reused buffer; no allocation once warm).
void base64_encode_to(std::string_view bytes, std::string& out);
std::string md5_hex(std::string_view bytes);                   // 32 lowercase hex chars
std::string hex_encode(std::string_view bytes);
// Writes 2*n lowercase hex chars to `out` (no allocation).
void hex_encode_to(const unsigned char* bytes, size_t n, char* out);
Result<std::string> hex_decode(std::string_view hex);          // spaces not allowed

// --- X25519 ---------------------------------------------------------------
struct KeyPair {
  std::array<uint8_t, 32> private_key{};
  std::array<uint8_t, 32> public_key{};
  std::string public_base64() const;  // the CONNECT client_key / CONNACK server_key
};
KeyPair generate_keypair();
Result<KeyPair> keypair_from_private(std::string_view private_32_bytes);
// secret = X25519(own private, peer public given as base64 of 32 bytes).
Result<std::array<uint8_t, 32>> shared_secret(const KeyPair& own, std::string_view peer_public_base64);

// Random salt of `n` characters from [A-Za-z0-9].
std::string random_salt(size_t n = 16);

// --- session keys and payload sealing -------------------------------------
// aes_key = first 16 chars of md5hex(base64(secret)) (ASCII bytes are the key),
// aes_iv = first 16 bytes of the salt.
struct SessionKeys {
  std::array<uint8_t, 16> key{};
  std::array<uint8_t, 16> iv{};
  static Result<SessionKeys> derive(const std::array<uint8_t, 32>& secret, std::string_view salt);
  // From the printable forms used on the command line (`--aes-key`, `--aes-iv`):
  // 16 ASCII characters each (or 32 hex digits).
  static Result<SessionKeys> from_strings(std::string_view key, std::string_view iv);
};

// Reusable sealing context: holds OpenSSL cipher contexts; not thread-safe.
// All outputs append into caller buffers so the hot path does not allocate.
class Cipher {
 public:
  explicit Cipher(const SessionKeys& keys);
  ~Cipher();
  Cipher(const Cipher&) = delete;
  Cipher& operator=(const Cipher&) = delete;
  Cipher(Cipher&&) noexcept;
  Cipher& operator=(Cipher&&) noexcept;

  // wire = base64(AES-128-CBC-PKCS7(plain)); appended to `wire_out`.
  void seal(std::string_view plain, std::string& wire_out);
  // plain = AES-decrypt(base64-decode(wire)); appended to `plain_out`.
  // Bad base64, bad length or bad padding is an Error, never a crash.
  Status open(std::string_view wire, std::string& plain_out);

  // msg_key = md5hex(base64(AES(S))), S as in docs/protocol.md section 3.
  // 32 hex chars written to `out` (replaces its contents).
  void send_msg_key(uint32_t client_seq, std::string_view client_msg_no,
                    std::string_view channel_id, uint8_t channel_type,
                    std::string_view wire_payload, std::string& out);
  void recv_msg_key(int64_t message_id, uint64_t message_seq, std::string_view client_msg_no,
                    int32_t timestamp, std::string_view from_uid, std::string_view channel_id,
                    uint8_t channel_type, std::string_view wire_payload, std::string& out);

  const SessionKeys& keys() const { return keys_; }
  // The verity string S and base64(AES(S)) of the last *_msg_key call
  // (for `wkit decode` diagnostics and the conformance test).
  std::string_view last_verity() const { return verity_; }
  std::string_view last_verity_aes_base64() const { return scratch2_; }

 private:
  void release();
  void encrypt_to(std::string_view plain, std::string& out);  // replaces `out`
  void msg_key_of(std::string& out);  // of verity_
  SessionKeys keys_;
  void* enc_ = nullptr;  // EVP_CIPHER_CTX*
  void* dec_ = nullptr;  // EVP_CIPHER_CTX*
  std::string scratch_, scratch2_, verity_;
};

}  // namespace wkit::crypto
