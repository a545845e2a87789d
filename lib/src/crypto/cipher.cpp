// Per-session AES-128-CBC sealing and msg_key (docs/protocol.md section 3, items 4-6).
// The OpenSSL contexts are created once per Cipher with the session's key and
// IV and re-initialised per message with neither: the provider then keeps the
// expanded key schedule and resets a CBC context's IV to the one it was
// created with (OpenSSL 3's cipher_generic_init_internal), which skips the key
// expansion and two parameter lookups per message (~40 % of a 176-byte
// encryption). The hot path makes no allocation once the buffers are warm.
// OpenSSL 3.0's EVP_DigestInit_ex2 frees and re-allocates the provider's MD5
// context on every re-initialisation (measured: one malloc per digest), so
// the per-message msg_key uses the low-level MD5 functions, which work on a
// stack MD5_CTX. They are deprecated in 3.0 but present and identical in output.
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/evp.h>
#include <openssl/md5.h>

#include <algorithm>
#include <charconv>
#include <climits>
#include <new>
#include <stdexcept>
#include <utility>

#include "wkit/crypto/crypto.hpp"

namespace wkit::crypto {
namespace {

EVP_CIPHER_CTX* cctx(void* p) { return static_cast<EVP_CIPHER_CTX*>(p); }
unsigned char* u8(char* p) { return reinterpret_cast<unsigned char*>(p); }
const unsigned char* u8(const char* p) { return reinterpret_cast<const unsigned char*>(p); }

// Appends the decimal form of `v` without allocating once `out` is warm.
template <class Int>
void append_decimal(std::string& out, Int v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

constexpr size_t kBlock = 16;
constexpr size_t kChunk = size_t{1} << 30;  // EVP_*Update take an int length

}  // namespace

Cipher::Cipher(const SessionKeys& keys) : keys_(keys) {
  enc_ = EVP_CIPHER_CTX_new();
  dec_ = EVP_CIPHER_CTX_new();
  // Bind the cipher once; per message only key and IV are (re)loaded.
  if (!enc_ || !dec_ ||
      EVP_EncryptInit_ex(cctx(enc_), EVP_aes_128_cbc(), nullptr, keys_.key.data(), keys_.iv.data()) != 1 ||
      EVP_DecryptInit_ex(cctx(dec_), EVP_aes_128_cbc(), nullptr, keys_.key.data(), keys_.iv.data()) != 1) {
    release();
    throw std::runtime_error("OpenSSL AES-128-CBC/MD5 context setup failed");
  }
}

Cipher::~Cipher() { release(); }

void Cipher::release() {
  EVP_CIPHER_CTX_free(cctx(enc_));
  EVP_CIPHER_CTX_free(cctx(dec_));
  enc_ = dec_ = nullptr;
}

Cipher::Cipher(Cipher&& o) noexcept
    : keys_(o.keys_),
      enc_(std::exchange(o.enc_, nullptr)),
      dec_(std::exchange(o.dec_, nullptr)),
      scratch_(std::move(o.scratch_)),
      scratch2_(std::move(o.scratch2_)),
      verity_(std::move(o.verity_)) {}

Cipher& Cipher::operator=(Cipher&& o) noexcept {
  if (this != &o) {
    keys_ = o.keys_;
    std::swap(enc_, o.enc_);
    std::swap(dec_, o.dec_);
    scratch_.swap(o.scratch_);
    scratch2_.swap(o.scratch2_);
    verity_.swap(o.verity_);
  }
  return *this;
}

void Cipher::encrypt_to(std::string_view plain, std::string& out) {
  // PKCS#7 always pads: a whole extra block when the input is block-aligned.
  out.resize((plain.size() / kBlock + 1) * kBlock);
  auto* ctx = cctx(enc_);
  bool ok = EVP_EncryptInit_ex(ctx, nullptr, nullptr, nullptr, nullptr) == 1;
  size_t written = 0;
  for (size_t pos = 0; ok && pos < plain.size(); pos += kChunk) {
    int len = static_cast<int>(std::min(kChunk, plain.size() - pos));
    int n = 0;
    ok = EVP_EncryptUpdate(ctx, u8(out.data() + written), &n, u8(plain.data() + pos), len) == 1;
    written += static_cast<size_t>(n);
  }
  int n = 0;
  ok = ok && EVP_EncryptFinal_ex(ctx, u8(out.data() + written), &n) == 1;
  written += static_cast<size_t>(n);
  if (!ok || written != out.size()) throw std::runtime_error("OpenSSL AES-128-CBC encryption failed");
}

void Cipher::seal(std::string_view plain, std::string& wire_out) {
  encrypt_to(plain, scratch_);
  base64_encode_to(scratch_, wire_out);
}

Status Cipher::open(std::string_view wire, std::string& plain_out) {
  scratch_.clear();
  if (auto err = base64_decode_to(wire, scratch_))
    return Error::input("encrypted payload is not valid base64: " + err->message, err->offset);
  if (scratch_.empty()) return Error::input("encrypted payload is empty (PKCS#7 needs at least one block)", 0);
  if (scratch_.size() % kBlock != 0)
    return Error::input("ciphertext length " + std::to_string(scratch_.size()) +
                            " is not a multiple of the AES block size 16",
                        0);
  const size_t old = plain_out.size();
  plain_out.resize(old + scratch_.size() + kBlock);
  auto* ctx = cctx(dec_);
  bool ok = EVP_DecryptInit_ex(ctx, nullptr, nullptr, nullptr, nullptr) == 1;
  size_t written = old;
  for (size_t pos = 0; ok && pos < scratch_.size(); pos += kChunk) {
    int len = static_cast<int>(std::min(kChunk, scratch_.size() - pos));
    int n = 0;
    ok = EVP_DecryptUpdate(ctx, u8(plain_out.data() + written), &n, u8(scratch_.data() + pos), len) == 1;
    written += static_cast<size_t>(n);
  }
  int n = 0;
  // DecryptFinal checks every padding byte, not just the last one.
  ok = ok && EVP_DecryptFinal_ex(ctx, u8(plain_out.data() + written), &n) == 1;
  if (!ok) {
    plain_out.resize(old);
    return Error::input("bad PKCS#7 padding after AES decryption (wrong key/IV or corrupted payload)", 0);
  }
  plain_out.resize(written + static_cast<size_t>(n));
  return std::nullopt;
}

void Cipher::msg_key_of(std::string& out) {
  encrypt_to(verity_, scratch_);
  scratch2_.clear();
  base64_encode_to(scratch_, scratch2_);
  unsigned char digest[MD5_DIGEST_LENGTH];
  MD5_CTX md;
  if (MD5_Init(&md) != 1 || MD5_Update(&md, scratch2_.data(), scratch2_.size()) != 1 || MD5_Final(digest, &md) != 1)
    throw std::runtime_error("OpenSSL MD5 failed");
  out.resize(32);
  hex_encode_to(digest, MD5_DIGEST_LENGTH, out.data());
}

void Cipher::send_msg_key(uint32_t client_seq, std::string_view client_msg_no, std::string_view channel_id,
                          uint8_t channel_type, std::string_view wire_payload, std::string& out) {
  verity_.clear();
  append_decimal(verity_, client_seq);
  verity_.append(client_msg_no);
  verity_.append(channel_id);
  append_decimal(verity_, static_cast<unsigned>(channel_type));
  verity_.append(wire_payload);
  msg_key_of(out);
}

void Cipher::recv_msg_key(int64_t message_id, uint64_t message_seq, std::string_view client_msg_no,
                          int32_t timestamp, std::string_view from_uid, std::string_view channel_id,
                          uint8_t channel_type, std::string_view wire_payload, std::string& out) {
  verity_.clear();
  append_decimal(verity_, message_id);
  append_decimal(verity_, message_seq);
  verity_.append(client_msg_no);
  append_decimal(verity_, timestamp);
  verity_.append(from_uid);
  verity_.append(channel_id);
  append_decimal(verity_, static_cast<unsigned>(channel_type));
  verity_.append(wire_payload);
  msg_key_of(out);
}

}  // namespace wkit::crypto
