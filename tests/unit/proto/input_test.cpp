// Text input (hex/base64) parsing, format guessing and the frame reader that
// `wkit decode` uses: offsets, lines and errors.
#include <gtest/gtest.h>

#include "wkit/crypto/crypto.hpp"
#include "wkit/proto/input_reader.hpp"

namespace wkit::proto {
namespace {

std::string two_frames() {  // RECVACK (18 bytes at v6) + PING
  std::string s;
  Recvack a;
  a.message_id = 42;
  a.message_seq = 7;
  EXPECT_FALSE(encode_frame(a, 6, s));
  EXPECT_FALSE(encode_frame(Ping{}, 6, s));
  return s;
}

std::string hex_of(std::string_view b) { return crypto::hex_encode(b); }

struct Collected {
  std::vector<uint64_t> offsets, lines;
  std::vector<FrameType> types;
  InputFrameReader::Sink sink() {
    return [this](const InputFrame& f) {
      offsets.push_back(f.offset);
      lines.push_back(f.line);
      types.push_back(type_of(f.result.frame));
    };
  }
};

std::optional<InputError> read_all(InputFrameReader& r, std::string_view in, Collected& c,
                                   size_t chunk = 3) {
  for (size_t i = 0; i < in.size(); i += chunk)
    if (auto e = r.feed(in.substr(i, chunk), c.sink())) return e;
  return r.finish(c.sink());
}

TEST(DetectFormat, Guesses) {
  EXPECT_EQ(detect_input_format("30 7f 00\n"), InputFormat::hex);
  EXPECT_EQ(detect_input_format("# capture\n0x70 80\n"), InputFormat::hex);
  EXPECT_EQ(detect_input_format("cIA=\n"), InputFormat::base64);
  EXPECT_EQ(detect_input_format(std::string("\x70\x80\x60\x10\x00", 5)), InputFormat::raw);
  EXPECT_EQ(detect_input_format("hello world!"), InputFormat::raw);
  EXPECT_EQ(detect_input_format(""), InputFormat::hex);
}

TEST(TextInput, HexWithSpacesCommentsAndPrefixes) {
  TextInputDecoder d(InputFormat::hex);
  std::string out;
  ASSERT_FALSE(d.feed("# a comment line\n70 80\n0x60 0x0c", out));
  ASSERT_FALSE(d.feed("AABB  # trailing comment\n", out));
  ASSERT_FALSE(d.finish(out));
  EXPECT_EQ(hex_of(out), "7080600caabb");
  EXPECT_EQ(d.line_of(0), 2u);
  EXPECT_EQ(d.line_of(1), 2u);
  EXPECT_EQ(d.line_of(2), 3u);
  EXPECT_EQ(d.line_of(5), 3u);
}

TEST(TextInput, HexErrorsNameLineAndColumn) {
  TextInputDecoder d(InputFormat::hex);
  std::string out;
  ASSERT_FALSE(d.feed("7080\n", out));
  auto err = d.feed("70 8g\n", out);
  ASSERT_TRUE(err);
  EXPECT_EQ(d.error_line(), 2u);
  EXPECT_NE(err->message.find("column 5"), std::string::npos) << err->message;
  EXPECT_NE(err->message.find("'g'"), std::string::npos) << err->message;
  EXPECT_EQ(hex_of(out), "7080");  // the good line stays

  TextInputDecoder odd(InputFormat::hex);
  out.clear();
  auto e2 = odd.feed("708\n", out);
  ASSERT_TRUE(e2);
  EXPECT_NE(e2->message.find("odd number"), std::string::npos) << e2->message;
  EXPECT_TRUE(out.empty());
}

TEST(TextInput, Base64PerLineAndWrapped) {
  const std::string frames = two_frames();
  const std::string b64 = crypto::base64_encode(frames + frames + frames);
  // Wrapped at 8 columns (a multiple of 4) and at 6 (not a multiple of 4).
  for (size_t width : {8u, 6u}) {
    std::string text;
    for (size_t i = 0; i < b64.size(); i += width) text += b64.substr(i, width) + "\n";
    TextInputDecoder d(InputFormat::base64);
    std::string out;
    ASSERT_FALSE(d.feed(text, out)) << width;
    ASSERT_FALSE(d.finish(out));
    EXPECT_EQ(out, frames + frames + frames) << width;
  }
  TextInputDecoder bad(InputFormat::base64);
  std::string out;
  ASSERT_FALSE(bad.feed("cIA=\n", out));
  auto err = bad.feed("cI*A\n", out);
  ASSERT_TRUE(err);
  EXPECT_EQ(bad.error_line(), 2u);
  TextInputDecoder cut(InputFormat::base64);
  ASSERT_FALSE(cut.feed("cIA", out));
  EXPECT_TRUE(cut.finish(out));
}

TEST(InputFrameReader, HexOneFramePerLineWithLines) {
  const std::string f = two_frames();
  const std::string text = "# two frames\n" + hex_of(f.substr(0, 18)) + "\n" + hex_of(f.substr(18)) + "\n";
  InputFrameReader r({InputFormat::auto_detect, 6, true, {}});
  Collected c;
  ASSERT_FALSE(read_all(r, text, c));
  EXPECT_EQ(r.format(), InputFormat::hex);
  EXPECT_TRUE(r.guessed());
  ASSERT_EQ(c.types.size(), 2u);
  EXPECT_EQ(c.offsets, (std::vector<uint64_t>{0, 18}));
  EXPECT_EQ(c.lines, (std::vector<uint64_t>{2, 3}));
}

TEST(InputFrameReader, FrameWrappedAcrossLinesLikeXxd) {
  const std::string f = two_frames();
  const std::string h = hex_of(f);
  std::string text;
  for (size_t i = 0; i < h.size(); i += 10) text += h.substr(i, 10) + "\n";
  InputFrameReader r({InputFormat::hex, 6, true, {}});
  Collected c;
  ASSERT_FALSE(read_all(r, text, c, 7));
  ASSERT_EQ(c.types.size(), 2u);
  EXPECT_EQ(c.lines, (std::vector<uint64_t>{1, 4}));  // byte 18 is on line 4 (5 bytes per line)
}

TEST(InputFrameReader, RawAndBadByteAfterFrames) {
  std::string in = two_frames() + std::string("\x00", 1);
  InputFrameReader r({InputFormat::raw, 6, true, {}});
  Collected c;
  auto err = read_all(r, in, c, 1);
  ASSERT_TRUE(err);
  EXPECT_EQ(c.types.size(), 2u);  // frames before the bad byte are delivered
  EXPECT_EQ(err->offset, 19u);
  EXPECT_EQ(err->line, 0u);
  EXPECT_EQ(err->describe("x.bin").rfind("x.bin: byte 19: invalid frame type 0", 0), 0u)
      << err->describe("x.bin");
}

TEST(InputFrameReader, TruncatedAtEndNamesLine) {
  const std::string f = two_frames();
  const std::string text = hex_of(f) + "\n" + hex_of(f.substr(0, 5)) + "\n";
  InputFrameReader r({InputFormat::hex, 6, true, {}});
  Collected c;
  auto err = read_all(r, text, c);
  ASSERT_TRUE(err);
  EXPECT_EQ(c.types.size(), 2u);
  EXPECT_EQ(err->offset, 19u);
  EXPECT_EQ(err->line, 2u);
  EXPECT_EQ(err->describe("in.hex").rfind("in.hex:2: byte 19: RECVACK frame truncated", 0), 0u)
      << err->describe("in.hex");
}

TEST(InputFrameReader, BadHexDigitAfterGoodLines) {
  const std::string text = hex_of(two_frames()) + "\nzz\n";
  InputFrameReader r({InputFormat::hex, 6, true, {}});
  Collected c;
  auto err = read_all(r, text, c, 1000);
  ASSERT_TRUE(err);
  EXPECT_EQ(c.types.size(), 2u);
  EXPECT_EQ(err->line, 2u);
  EXPECT_FALSE(err->offset);
  EXPECT_EQ(err->describe("f").rfind("f:2: column 1:", 0), 0u) << err->describe("f");
}

TEST(InputFrameReader, ConnackServerVersionIsAdopted) {
  std::string s;
  Connack ca;
  ca.has_server_version = true;
  ca.server_version = 4;
  ASSERT_FALSE(encode_frame(ca, 4, s));
  Recvack a;
  a.message_seq = 9;
  ASSERT_FALSE(encode_frame(a, 4, s));  // u32 seq: unreadable at 6
  for (bool adopt : {true, false}) {
    InputFrameReader r({InputFormat::raw, 6, adopt, {}});
    Collected c;
    auto err = read_all(r, s, c);
    if (adopt) {
      EXPECT_FALSE(err) << err->message;
      EXPECT_EQ(c.types.size(), 2u);
    } else {
      EXPECT_TRUE(err);
    }
  }
}

}  // namespace
}  // namespace wkit::proto
