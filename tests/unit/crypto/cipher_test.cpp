// AES-128-CBC sealing, opening and msg_key (docs/protocol.md section 3).
#include <gtest/gtest.h>

#include "wkit/crypto/crypto.hpp"

namespace wc = wkit::crypto;

namespace {
wc::Cipher test_cipher() {
  return wc::Cipher(wc::SessionKeys::from_strings("0123456789abcdef", "fedcba9876543210").value());
}
std::string counting_bytes(size_t n) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>(i);
  return s;
}
}  // namespace

// Expected values from Python's `cryptography` (AES-128-CBC, PKCS7(128)),
// key "0123456789abcdef", IV "fedcba9876543210", plaintext bytes 0,1,2,...
TEST(Cipher, SealKnownAnswersAndPkcs7AlwaysPads) {
  const std::pair<size_t, const char*> cases[] = {
      {0, "PEks7dlUzDg/PT7pPnKEhA=="},
      {15, "nEF/BvtDv4JRn4WaeeqAPA=="},
      {16, "+wHAJJn4e0bCp7lqHKUwOxTbpioBTrpmEezUqxnCnmc="},
      {17, "+wHAJJn4e0bCp7lqHKUwO3ntx+RFMpXdRfbc2VNYutI="},
  };
  auto c = test_cipher();
  for (auto [n, expected] : cases) {
    std::string wire;
    c.seal(counting_bytes(n), wire);
    EXPECT_EQ(wire, expected) << n;
    EXPECT_EQ(wc::base64_decode(wire)->size(), (n / 16 + 1) * 16) << n;
    std::string plain;
    auto err = c.open(wire, plain);
    ASSERT_FALSE(err.has_value()) << err->describe();
    EXPECT_EQ(plain, counting_bytes(n));
  }
}

TEST(Cipher, SameKeyAndIvForEveryMessage) {
  auto c = test_cipher();
  std::string a, b;
  c.seal("hello", a);
  c.seal("hello", b);
  EXPECT_EQ(a, b);  // docs/protocol.md section 3: the IV does not change within a session
}

TEST(Cipher, SealAndOpenAppend) {
  auto c = test_cipher();
  std::string wire = "W:";
  c.seal("abc", wire);
  ASSERT_EQ(wire.rfind("W:", 0), 0u);
  std::string plain = "P:";
  ASSERT_FALSE(c.open(std::string_view(wire).substr(2), plain).has_value());
  EXPECT_EQ(plain, "P:abc");
}

TEST(Cipher, RoundTripsLargeAndBinaryPayloads) {
  auto c = test_cipher();
  for (size_t n : {1u, 31u, 32u, 33u, 1000u, 70000u}) {
    std::string in = counting_bytes(n), wire, out;
    c.seal(in, wire);
    ASSERT_FALSE(c.open(wire, out).has_value());
    EXPECT_EQ(out, in);
  }
}

TEST(Cipher, OpenRejectsBadInputAndLeavesOutputAlone) {
  auto c = test_cipher();
  std::string good;
  c.seal(counting_bytes(31), good);  // two blocks

  struct Case {
    std::string wire;
    const char* message_part;
  };
  std::string truncated_block = wc::base64_encode(wc::base64_decode(good)->substr(0, 16));
  std::string fifteen = wc::base64_encode(std::string(15, 'x'));
  // Flip the last byte of the first ciphertext block: in CBC that flips the
  // last plaintext byte, turning the pad byte 0x01 into 0x00 (always invalid).
  std::string raw = wc::base64_decode(good).value();
  raw[15] = static_cast<char>(raw[15] ^ 0x01);
  std::string bad_pad = wc::base64_encode(raw);
  const Case cases[] = {
      {good.substr(0, good.size() - 1), "not a multiple of 4"},
      {good.substr(0, good.size() - 4), "multiple of the AES block size"},
      {"!!!!", "not valid base64"},
      {"", "empty"},
      {fifteen, "multiple of the AES block size"},
      {bad_pad, "padding"},
      {truncated_block, "padding"},  // the first block alone ends in plaintext, not padding
  };
  for (const auto& k : cases) {
    std::string out = "untouched";
    auto err = c.open(k.wire, out);
    ASSERT_TRUE(err.has_value()) << k.wire;
    EXPECT_EQ(err->kind, wkit::ErrorKind::bad_input);
    EXPECT_NE(err->message.find(k.message_part), std::string::npos) << err->message;
    EXPECT_EQ(out, "untouched");
  }
  // Still usable afterwards.
  std::string out;
  ASSERT_FALSE(c.open(good, out).has_value());
  EXPECT_EQ(out, counting_bytes(31));
}

TEST(Cipher, WrongKeyNeverYieldsTheOriginal) {
  auto a = test_cipher();
  wc::Cipher b(wc::SessionKeys::from_strings("fedcba9876543210", "fedcba9876543210").value());
  std::string wire, out;
  a.seal("a secret message that spans blocks", wire);
  auto err = b.open(wire, out);
  if (!err) {  // the padding may happen to look valid; the text never matches
    EXPECT_NE(out, "a secret message that spans blocks");
  }
}

TEST(Cipher, SendMsgKeyIsMd5OfSealedVerityString) {
  auto c = test_cipher();
  std::string key;
  c.send_msg_key(7, "cmn-1", "bob", 1, "WIRE==", key);
  EXPECT_EQ(c.last_verity(), "7cmn-1bob1WIRE==");
  std::string sealed;
  c.seal("7cmn-1bob1WIRE==", sealed);
  EXPECT_EQ(c.last_verity_aes_base64(), sealed);
  EXPECT_EQ(key, wc::md5_hex(sealed));
  EXPECT_EQ(key.size(), 32u);
  std::string other;
  c.send_msg_key(8, "cmn-1", "bob", 1, "WIRE==", other);
  EXPECT_NE(key, other);
}

TEST(Cipher, RecvMsgKeyUsesSignedDecimalsAndU64Seq) {
  auto c = test_cipher();
  std::string key;
  c.recv_msg_key(-5, 18446744073709551615ull, "cmn", -1, "alice", "bob", 2, "P", key);
  EXPECT_EQ(c.last_verity(), "-518446744073709551615cmn-1alicebob2P");
  std::string sealed;
  c.seal("-518446744073709551615cmn-1alicebob2P", sealed);
  EXPECT_EQ(key, wc::md5_hex(sealed));
}

TEST(Cipher, MsgKeyReplacesOutput) {
  auto c = test_cipher();
  std::string key = "some previous long content that must go away entirely";
  c.send_msg_key(1, "x", "y", 1, "z", key);
  EXPECT_EQ(key.size(), 32u);
}

TEST(Cipher, MoveKeepsItWorking) {
  auto a = test_cipher();
  wc::Cipher b = std::move(a);
  std::string wire, out;
  b.seal("moved", wire);
  ASSERT_FALSE(b.open(wire, out).has_value());
  EXPECT_EQ(out, "moved");
  wc::Cipher c(wc::SessionKeys::from_strings("aaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbb").value());
  c = std::move(b);
  out.clear();
  ASSERT_FALSE(c.open(wire, out).has_value());
  EXPECT_EQ(out, "moved");
}

// The contexts are re-initialised per message without the key or IV (see
// cipher.cpp): a failed open, or messages of other lengths in between, must
// not leak state into the next message.
TEST(Cipher, EachMessageStartsFromTheSessionIv) {
  auto c = test_cipher();
  std::string first, again, wire_long, plain;
  c.seal("hello", first);
  c.seal(counting_bytes(1000), wire_long);
  std::string raw = wc::base64_decode(wire_long).value();
  raw[raw.size() - 17] = static_cast<char>(raw[raw.size() - 17] ^ 0x01);  // bad padding
  EXPECT_TRUE(c.open(wc::base64_encode(raw), plain).has_value());
  EXPECT_TRUE(plain.empty());
  EXPECT_FALSE(c.open(wire_long, plain).has_value());
  EXPECT_EQ(plain, counting_bytes(1000));
  plain.clear();
  EXPECT_FALSE(c.open(first, plain).has_value());
  EXPECT_EQ(plain, "hello");
  c.seal("hello", again);
  EXPECT_EQ(again, first);
  auto fresh = test_cipher();
  std::string expected;
  fresh.seal("hello", expected);
  EXPECT_EQ(first, expected);
}
