// base64 / hex / MD5 primitives: known answers and every kind of bad input.
#include <gtest/gtest.h>

#include <random>

#include "wkit/crypto/crypto.hpp"

namespace wc = wkit::crypto;

TEST(Base64, Rfc4648Vectors) {
  const std::pair<const char*, const char*> cases[] = {
      {"", ""}, {"f", "Zg=="}, {"fo", "Zm8="}, {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"}};
  for (auto [plain, enc] : cases) {
    EXPECT_EQ(wc::base64_encode(plain), enc);
    auto dec = wc::base64_decode(enc);
    ASSERT_TRUE(dec.ok()) << enc << ": " << dec.error().describe();
    EXPECT_EQ(*dec, plain);
  }
}

TEST(Base64, EmptyDecodesToEmpty) {
  auto dec = wc::base64_decode("");
  ASSERT_TRUE(dec.ok());
  EXPECT_TRUE(dec->empty());
}

TEST(Base64, RoundTripsRandomBytesOfEveryLength) {
  std::mt19937 rng(7);
  for (size_t n = 0; n < 200; ++n) {
    std::string bytes(n, '\0');
    for (auto& c : bytes) c = static_cast<char>(rng());
    std::string enc = wc::base64_encode(bytes);
    EXPECT_EQ(enc.size(), (n + 2) / 3 * 4);
    auto dec = wc::base64_decode(enc);
    ASSERT_TRUE(dec.ok()) << n;
    EXPECT_EQ(*dec, bytes);
  }
}

TEST(Base64, EncodeToAppends) {
  std::string out = "prefix:";
  wc::base64_encode_to("foo", out);
  EXPECT_EQ(out, "prefix:Zm9v");
}

TEST(Base64, DecodeToAppendsAndLeavesOutputAloneOnError) {
  std::string out = "keep";
  EXPECT_FALSE(wc::base64_decode_to("Zm9v", out).has_value());
  EXPECT_EQ(out, "keepfoo");
  auto err = wc::base64_decode_to("Zm9*", out);
  ASSERT_TRUE(err.has_value());
  EXPECT_EQ(out, "keepfoo");
}

struct BadCase {
  std::string_view text;
  uint64_t offset;
  const char* message_part;
};

TEST(Base64, RejectsBadInputWithOffset) {
  const BadCase cases[] = {
      {"Zm9*", 3, "invalid base64 character '*'"},
      {"Zm 9v", 2, "invalid base64 character 0x20"},
      {"Zm9v\n", 4, "0x0a"},
      {"Zm9-", 3, "'-'"},  // URL-safe alphabet is not standard base64
      {"Zm9_", 3, "'_'"},
      {"Zg=", 3, "not a multiple of 4"},
      {"Zm9", 3, "not a multiple of 4"},
      {"Z===", 1, "padding '=' before the end"},
      {"=Zg=", 0, "padding '=' before the end"},
      {"Zg=a", 3, "after padding"},
      {"Zh==", 1, "non-canonical"},
      {"Zm9=", 2, "non-canonical"},
      {std::string_view("Zm\0v", 4), 2, "0x00"},
  };
  for (const auto& c : cases) {
    auto dec = wc::base64_decode(c.text);
    ASSERT_FALSE(dec.ok()) << c.text;
    EXPECT_EQ(dec.error().kind, wkit::ErrorKind::bad_input);
    ASSERT_TRUE(dec.error().offset.has_value()) << c.text;
    EXPECT_EQ(*dec.error().offset, c.offset) << c.text << ": " << dec.error().describe();
    EXPECT_NE(dec.error().message.find(c.message_part), std::string::npos) << dec.error().message;
  }
}

TEST(Hex, EncodeIsLowercaseAndDecodeAcceptsBothCases) {
  EXPECT_EQ(wc::hex_encode(std::string_view("\x00\xab\xff\x10", 4)), "00abff10");
  auto dec = wc::hex_decode("00ABff10");
  ASSERT_TRUE(dec.ok());
  EXPECT_EQ(*dec, std::string_view("\x00\xab\xff\x10", 4));
  EXPECT_TRUE(wc::hex_decode("")->empty());
}

TEST(Hex, RejectsOddLengthBadDigitsAndSpaces) {
  auto odd = wc::hex_decode("abc");
  ASSERT_FALSE(odd.ok());
  EXPECT_EQ(*odd.error().offset, 2u);
  auto bad = wc::hex_decode("0g");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(*bad.error().offset, 1u);
  auto space = wc::hex_decode("00 11");
  ASSERT_FALSE(space.ok());
  EXPECT_EQ(*space.error().offset, 2u);
}

TEST(Md5, KnownAnswers) {
  EXPECT_EQ(wc::md5_hex(""), "d41d8cd98f00b204e9800998ecf8427e");
  EXPECT_EQ(wc::md5_hex("abc"), "900150983cd24fb0d6963f7d28e17f72");
  EXPECT_EQ(wc::md5_hex("The quick brown fox jumps over the lazy dog"), "9e107d9d372bb6826bd81d3542a419d6");
}
