// Values as the JSON message parser reads them: strings without escapes are
// read in place (a 16-byte scan for the closing quote), strings with escapes
// are unescaped, ids given as digit strings are parsed in place, and every
// other spelling of an id takes the slow path with the same result or error
// as before. Lengths run across the 16-byte scan steps.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <string_view>

#include "wkit/audit/field_map.hpp"
#include "wkit/audit/json_message.hpp"

namespace wkit::audit {
namespace {

// Parses `line` from a buffer with the padding the parser needs (spaces, as
// the text pipeline pads its chunks).
struct JsonValuesParsed {
  std::unique_ptr<JsonMessageParser> parser;  // unescaped strings live in its buffer
  std::string buffer;
  RawFields fields;
  std::string error;
};

const FieldMap& json_values_map() {
  static const FieldMap map = [] {
    auto m = FieldMap::make({});
    return std::move(*m);
  }();
  return map;
}

JsonValuesParsed json_values_parse(const std::string& line) {
  JsonValuesParsed p;
  p.parser = std::make_unique<JsonMessageParser>(json_values_map());
  p.buffer = line + std::string(64, ' ');
  p.error = std::string(p.parser->parse(p.buffer.data(), line.size(), p.fields));
  return p;
}

bool inside(const JsonValuesParsed& p, std::string_view s) {
  return s.data() >= p.buffer.data() && s.data() + s.size() <= p.buffer.data() + p.buffer.size();
}

TEST(AuditJsonValues, PlainStringsOfEveryLengthAroundTheScanSteps) {
  for (size_t n = 0; n <= 70; ++n) {
    const std::string uid(n, 'u');
    const std::string payload(n, 'p');
    auto p = json_values_parse(R"({"from_uid":")" + uid + R"(","channel_id":"g","payload":")" + payload + R"("})");
    ASSERT_EQ(p.error, "") << n;
    EXPECT_EQ(p.fields.from_uid, uid) << n;
    EXPECT_EQ(p.fields.payload, payload) << n;
    EXPECT_EQ(p.fields.channel_id, "g");
    if (n > 0) {
      EXPECT_TRUE(inside(p, p.fields.from_uid)) << "a plain string is read where it stands, n=" << n;
      EXPECT_TRUE(inside(p, p.fields.payload)) << n;
    }
  }
}

TEST(AuditJsonValues, EscapesAreUnescapedWhereverTheyStand) {
  for (size_t n = 0; n <= 40; ++n) {
    const std::string pad(n, 'x');
    auto p = json_values_parse(R"({"from_uid":")" + pad + R"(\"q\\\u00e9","channel_id":")" + pad + R"(\n"})");
    ASSERT_EQ(p.error, "") << n;
    EXPECT_EQ(p.fields.from_uid, pad + "\"q\\\xc3\xa9") << n;
    EXPECT_EQ(p.fields.channel_id, pad + "\n") << n;
  }
}

TEST(AuditJsonValues, ClientMsgNoIsVerbatimOnlyWithoutEscapes) {
  auto plain = json_values_parse(R"({"client_msg_no":"abc-123"})");
  ASSERT_EQ(plain.error, "");
  EXPECT_EQ(plain.fields.client_msg_no, "abc-123");
  ASSERT_NE(plain.fields.client_msg_no_verbatim, nullptr);
  EXPECT_EQ(std::string_view(plain.fields.client_msg_no_verbatim, 7), "abc-123");
  EXPECT_EQ(plain.fields.client_msg_no_verbatim, plain.buffer.data() + plain.buffer.find("abc-123"));

  auto escaped = json_values_parse(R"({"client_msg_no":"ab\u0063"})");
  ASSERT_EQ(escaped.error, "");
  EXPECT_EQ(escaped.fields.client_msg_no, "abc");
  EXPECT_EQ(escaped.fields.client_msg_no_verbatim, nullptr);

  auto number = json_values_parse(R"({"client_msg_no":12345})");
  ASSERT_EQ(number.error, "");
  EXPECT_EQ(number.fields.client_msg_no, "12345");
}

TEST(AuditJsonValues, IdStringsParseLikeFromChars) {
  struct Case {
    const char* text;
    std::optional<uint64_t> id;  // nullopt: absent
    const char* error;           // "" when accepted
  };
  const Case cases[] = {
      {R"("1700000001000000000")", 1700000001000000000ULL, ""},
      {R"("0")", 0, ""},
      {R"("007")", 7, ""},  // leading zeros: not JSON's number grammar, but a valid id string
      {R"("18446744073709551615")", UINT64_MAX, ""},
      {R"("18446744073709551616")", std::nullopt, "message_idstr: not an unsigned integer"},
      {R"("99999999999999999999")", std::nullopt, "message_idstr: not an unsigned integer"},
      {R"("")", std::nullopt, ""},
      {R"("12a")", std::nullopt, "message_idstr: not an unsigned integer"},
      {R"("+5")", std::nullopt, "message_idstr: not an unsigned integer"},
      {R"(" 5")", std::nullopt, "message_idstr: not an unsigned integer"},
      {R"("-1")", std::nullopt, "message_idstr: not an unsigned integer"},
      {R"("\u0031")", 1, ""},  // escaped digits: unescaped first
      {R"(42)", 42, ""},
      {R"(null)", std::nullopt, ""},
  };
  for (const auto& c : cases) {
    auto p = json_values_parse(std::string(R"({"message_idstr":)") + c.text + R"(,"channel_id":"g"})");
    EXPECT_EQ(p.error, c.error) << c.text;
    if (!*c.error) {
      EXPECT_EQ(p.fields.message_id, c.id) << c.text;
    }
  }
}

TEST(AuditJsonValues, MessageIdWinsOverItsStringForm) {
  auto p = json_values_parse(R"({"message_id":5,"message_idstr":"6"})");
  ASSERT_EQ(p.error, "");
  EXPECT_EQ(p.fields.message_id, 5u);
  auto q = json_values_parse(R"({"message_idstr":"6","message_id":5})");
  ASSERT_EQ(q.error, "");
  EXPECT_EQ(q.fields.message_id, 5u);
  auto bad = json_values_parse(R"({"message_id":5,"message_idstr":"x"})");
  EXPECT_EQ(bad.error, "message_idstr: not an unsigned integer") << "a bad string form is an error even beside message_id";
}

TEST(AuditJsonValues, EachLineStartsFromNothing) {
  JsonMessageParser parser(json_values_map());
  RawFields f;
  std::string a = std::string(R"({"message_id":9,"client_msg_no":"c","from_uid":"u","message_seq":3})") + std::string(64, ' ');
  ASSERT_EQ(parser.parse(a.data(), a.size() - 64, f), "");
  std::string b = std::string(R"({"channel_id":"g"})") + std::string(64, ' ');
  ASSERT_EQ(parser.parse(b.data(), b.size() - 64, f), "");
  EXPECT_FALSE(f.message_id.has_value());
  EXPECT_FALSE(f.client_msg_no.has_value());
  EXPECT_FALSE(f.message_seq.has_value());
  EXPECT_EQ(f.client_msg_no_verbatim, nullptr);
  EXPECT_EQ(f.from_uid, "");
  EXPECT_EQ(f.is_deleted, -1);
}

}  // namespace
}  // namespace wkit::audit
