// X25519 key agreement, salts and session key derivation (docs/protocol.md section 3).
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <memory>
#include <stdexcept>

#include "wkit/crypto/crypto.hpp"

namespace wkit::crypto {
namespace {

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct PkeyCtxFree {
  void operator()(EVP_PKEY_CTX* p) const { EVP_PKEY_CTX_free(p); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;
using PkeyCtx = std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree>;

const unsigned char* u8(const void* p) { return static_cast<const unsigned char*>(p); }

Pkey private_pkey(const std::array<uint8_t, 32>& priv) {
  return Pkey(EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, nullptr, priv.data(), priv.size()));
}

bool fill_public(EVP_PKEY* pkey, KeyPair& kp) {
  size_t len = kp.public_key.size();
  return EVP_PKEY_get_raw_public_key(pkey, kp.public_key.data(), &len) == 1 && len == 32;
}

}  // namespace

std::string KeyPair::public_base64() const {
  return base64_encode(std::string_view(reinterpret_cast<const char*>(public_key.data()), public_key.size()));
}

KeyPair generate_keypair() {
  Pkey pkey(EVP_PKEY_Q_keygen(nullptr, nullptr, "X25519"));
  KeyPair kp;
  size_t len = kp.private_key.size();
  if (!pkey || EVP_PKEY_get_raw_private_key(pkey.get(), kp.private_key.data(), &len) != 1 || len != 32 ||
      !fill_public(pkey.get(), kp))
    throw std::runtime_error("OpenSSL X25519 key generation failed");
  return kp;
}

Result<KeyPair> keypair_from_private(std::string_view private_32_bytes) {
  if (private_32_bytes.size() != 32)
    return Error::input("X25519 private key must be 32 bytes, got " + std::to_string(private_32_bytes.size()));
  KeyPair kp;
  std::copy(private_32_bytes.begin(), private_32_bytes.end(), kp.private_key.begin());
  Pkey pkey = private_pkey(kp.private_key);
  if (!pkey || !fill_public(pkey.get(), kp)) return Error::internal_error("OpenSSL rejected an X25519 private key");
  return kp;
}

Result<std::array<uint8_t, 32>> shared_secret(const KeyPair& own, std::string_view peer_public_base64) {
  if (peer_public_base64.empty()) return Error::input("peer public key is empty");
  auto peer_raw = base64_decode(peer_public_base64);
  if (!peer_raw) return Error::input("peer public key is not valid base64: " + peer_raw.error().describe());
  if (peer_raw->size() != 32)
    return Error::input("peer public key must be base64 of 32 bytes, got " + std::to_string(peer_raw->size()) +
                        " bytes");
  Pkey mine = private_pkey(own.private_key);
  Pkey peer(EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, nullptr, u8(peer_raw->data()), 32));
  if (!mine || !peer) return Error::internal_error("OpenSSL could not load X25519 keys");
  PkeyCtx ctx(EVP_PKEY_CTX_new(mine.get(), nullptr));
  std::array<uint8_t, 32> secret{};
  size_t len = secret.size();
  if (!ctx || EVP_PKEY_derive_init(ctx.get()) != 1 || EVP_PKEY_derive_set_peer(ctx.get(), peer.get()) != 1 ||
      EVP_PKEY_derive(ctx.get(), secret.data(), &len) != 1 || len != 32)
    // OpenSSL refuses an all-zero result (a low-order peer point).
    return Error::input("X25519 with the peer public key failed (low-order point?)");
  return secret;
}

std::string random_salt(size_t n) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  std::string out;
  out.reserve(n);
  unsigned char buf[64];
  while (out.size() < n) {
    if (RAND_bytes(buf, sizeof buf) != 1) throw std::runtime_error("OpenSSL RAND_bytes failed");
    for (unsigned char b : buf) {
      // 248 = 4 * 62: rejecting the top bytes keeps every character equally likely.
      if (b < 248 && out.size() < n) out.push_back(kAlphabet[b % 62]);
    }
  }
  return out;
}

Result<SessionKeys> SessionKeys::derive(const std::array<uint8_t, 32>& secret, std::string_view salt) {
  if (salt.size() < 16)
    return Error::input("salt has " + std::to_string(salt.size()) + " characters, need at least 16 for the AES IV");
  SessionKeys k;
  std::string hex = md5_hex(base64_encode(std::string_view(reinterpret_cast<const char*>(secret.data()), 32)));
  std::copy_n(hex.begin(), 16, k.key.begin());  // the 16 ASCII hex chars ARE the key
  std::copy_n(salt.begin(), 16, k.iv.begin());
  return k;
}

namespace {
Result<std::array<uint8_t, 16>> key_material(std::string_view text, const char* what) {
  std::array<uint8_t, 16> out{};
  if (text.size() == 16) {
    std::copy(text.begin(), text.end(), out.begin());
    return out;
  }
  if (text.size() == 32) {
    auto raw = hex_decode(text);
    if (!raw) return Error{ErrorKind::usage, std::string(what) + " of 32 characters must be hex: " + raw.error().describe(), {}};
    std::copy(raw->begin(), raw->end(), out.begin());
    return out;
  }
  return Error{ErrorKind::usage,
               std::string(what) + " must be 16 characters or 32 hex digits, got " + std::to_string(text.size()) +
                   " characters",
               {}};
}
}  // namespace

Result<SessionKeys> SessionKeys::from_strings(std::string_view key, std::string_view iv) {
  auto k = key_material(key, "AES key");
  if (!k) return k.error();
  auto i = key_material(iv, "AES IV");
  if (!i) return i.error();
  SessionKeys s;
  s.key = *k;
  s.iv = *i;
  return s;
}

}  // namespace wkit::crypto
