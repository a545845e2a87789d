// X25519 agreement, salts and session key derivation.
#include <gtest/gtest.h>

#include <set>

#include "wkit/crypto/crypto.hpp"

namespace wc = wkit::crypto;

namespace {
std::string bytes_of(const std::array<uint8_t, 32>& a) { return std::string(a.begin(), a.end()); }
}  // namespace

TEST(X25519, Rfc7748Section6_1) {
  auto alice = wc::keypair_from_private(
      wc::hex_decode("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a").value());
  auto bob = wc::keypair_from_private(
      wc::hex_decode("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb").value());
  ASSERT_TRUE(alice.ok() && bob.ok());
  EXPECT_EQ(wc::hex_encode(bytes_of(alice->public_key)),
            "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
  EXPECT_EQ(wc::hex_encode(bytes_of(bob->public_key)),
            "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
  auto s = wc::shared_secret(*alice, bob->public_base64());
  ASSERT_TRUE(s.ok()) << s.error().describe();
  EXPECT_EQ(wc::hex_encode(bytes_of(*s)), "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
}

TEST(X25519, GeneratedPairsAgreeInBothDirections) {
  for (int i = 0; i < 20; ++i) {
    auto a = wc::generate_keypair();
    auto b = wc::generate_keypair();
    EXPECT_NE(a.private_key, b.private_key);
    EXPECT_EQ(a.public_base64().size(), 44u);
    auto ab = wc::shared_secret(a, b.public_base64());
    auto ba = wc::shared_secret(b, a.public_base64());
    ASSERT_TRUE(ab.ok() && ba.ok());
    EXPECT_EQ(*ab, *ba);
    // The public key follows from the private key alone.
    auto again = wc::keypair_from_private(bytes_of(a.private_key));
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(again->public_key, a.public_key);
  }
}

TEST(X25519, DifferentPeersGiveDifferentSecrets) {
  auto a = wc::generate_keypair(), b = wc::generate_keypair(), c = wc::generate_keypair();
  EXPECT_NE(wc::shared_secret(a, b.public_base64()).value(), wc::shared_secret(a, c.public_base64()).value());
}

TEST(X25519, BadPeerKeysAreErrors) {
  auto a = wc::generate_keypair();
  auto empty = wc::shared_secret(a, "");
  ASSERT_FALSE(empty.ok());
  EXPECT_NE(empty.error().message.find("empty"), std::string::npos);
  auto garbage = wc::shared_secret(a, "not base64!");
  ASSERT_FALSE(garbage.ok());
  EXPECT_NE(garbage.error().message.find("base64"), std::string::npos);
  auto short_key = wc::shared_secret(a, wc::base64_encode(std::string(31, 'x')));
  ASSERT_FALSE(short_key.ok());
  EXPECT_NE(short_key.error().message.find("31 bytes"), std::string::npos);
  // The all-zero point is low-order: the result would be all zero.
  auto zero = wc::shared_secret(a, wc::base64_encode(std::string(32, '\0')));
  EXPECT_FALSE(zero.ok());
}

TEST(X25519, PrivateKeyMustBe32Bytes) {
  EXPECT_FALSE(wc::keypair_from_private(std::string(31, 'a')).ok());
  EXPECT_FALSE(wc::keypair_from_private(std::string(33, 'a')).ok());
  EXPECT_TRUE(wc::keypair_from_private(std::string(32, 'a')).ok());
}

TEST(Salt, LengthAndCharset) {
  EXPECT_EQ(wc::random_salt(0), "");
  EXPECT_EQ(wc::random_salt().size(), 16u);
  std::string big = wc::random_salt(20000);
  ASSERT_EQ(big.size(), 20000u);
  std::set<char> seen;
  for (char c : big) {
    ASSERT_TRUE((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) << int(c);
    seen.insert(c);
  }
  EXPECT_EQ(seen.size(), 62u);  // every character is reachable
  EXPECT_NE(wc::random_salt(), wc::random_salt());
}

TEST(SessionKeys, DeriveTakesMd5PrefixAndSaltPrefix) {
  std::array<uint8_t, 32> secret{};
  for (size_t i = 0; i < 32; ++i) secret[i] = static_cast<uint8_t>(i);
  auto k = wc::SessionKeys::derive(secret, "0123456789ABCDEFextra");
  ASSERT_TRUE(k.ok());
  std::string expect_key = wc::md5_hex(wc::base64_encode(bytes_of(secret))).substr(0, 16);
  EXPECT_EQ(std::string(k->key.begin(), k->key.end()), expect_key);
  EXPECT_EQ(std::string(k->iv.begin(), k->iv.end()), "0123456789ABCDEF");
}

TEST(SessionKeys, ShortSaltIsAnError) {
  auto k = wc::SessionKeys::derive({}, "short");
  ASSERT_FALSE(k.ok());
  EXPECT_NE(k.error().message.find("5 characters"), std::string::npos);
}

TEST(SessionKeys, FromStringsAcceptsAsciiOrHex) {
  auto a = wc::SessionKeys::from_strings("6a42aec326f7c192", "abcdefghijklmnop");
  ASSERT_TRUE(a.ok());
  auto b = wc::SessionKeys::from_strings("36613432616563333236663763313932", "6162636465666768696a6b6c6d6e6f70");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(a->key, b->key);
  EXPECT_EQ(a->iv, b->iv);
  auto bad_len = wc::SessionKeys::from_strings("short", "abcdefghijklmnop");
  ASSERT_FALSE(bad_len.ok());
  EXPECT_EQ(bad_len.error().kind, wkit::ErrorKind::usage);
  EXPECT_NE(bad_len.error().message.find("AES key"), std::string::npos);
  auto bad_hex = wc::SessionKeys::from_strings("6a42aec326f7c192", "zz62636465666768696a6b6c6d6e6f70");
  ASSERT_FALSE(bad_hex.ok());
  EXPECT_NE(bad_hex.error().message.find("AES IV"), std::string::npos);
}
