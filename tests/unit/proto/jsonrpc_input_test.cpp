// JSON-RPC input for `wkit decode`: format guessing, and the reader giving
// the same messages, offsets and lines for any chunking of the input.
#include <gtest/gtest.h>

#include "wkit/proto/input_reader.hpp"

namespace wkit::proto {
namespace {

TEST(DetectFormat, JsonRpcNeedsABraceAndAMemberName) {
  EXPECT_EQ(detect_input_format("  {\"method\":\"ping\",\"id\":\"p\"}\n"), InputFormat::jsonrpc);
  EXPECT_EQ(detect_input_format("{\"jsonrpc\" : \"2.0\",\"id\":\"p\"}\n"), InputFormat::jsonrpc);
  EXPECT_EQ(detect_input_format("{\"uid\":\"a\"}\n"), InputFormat::raw);          // other JSON
  EXPECT_EQ(detect_input_format("x{\"method\":\"ping\"}\n"), InputFormat::raw);   // not first
  EXPECT_EQ(detect_input_format("{\"a\":\"method\"}\n"), InputFormat::raw);       // a value, not a name
  InputFormat f{};
  ASSERT_TRUE(input_format_from_name("jsonrpc", f));
  EXPECT_EQ(f, InputFormat::jsonrpc);
}

struct Seen {
  std::vector<uint64_t> offsets, lines, sizes;
  std::vector<std::string> ids;
  std::vector<FrameType> types;
};

std::optional<InputError> read_all(std::string_view in, size_t chunk, Seen& s) {
  InputFrameReader::Options o;
  InputFrameReader r(o);
  auto sink = [&](const InputFrame& f) {
    ASSERT_NE(f.rpc, nullptr);
    s.offsets.push_back(f.offset);
    s.lines.push_back(f.line);
    s.sizes.push_back(f.result.consumed);
    s.ids.emplace_back(f.rpc->id);
    s.types.push_back(f.rpc->has_frame ? type_of(f.result.frame) : FrameType{});
  };
  for (size_t i = 0; i < in.size(); i += chunk)
    if (auto e = r.feed(in.substr(i, chunk), sink)) return e;
  return r.finish(sink);
}

const std::string kInput =
    "{\"method\":\"send\",\"id\":\"s-1\",\"params\":{\"channelId\":\"b\",\"payload\":\"aGk=\"}}\n"
    "\n"
    "{\"jsonrpc\":\"2.0\",\"id\":\"s-1\",\"result\":{\"reasonCode\":4}}\r\n"
    "{\n \"method\": \"ping\",\n \"id\": \"p\"\n}  {\"jsonrpc\":\"2.0\",\"id\":\"p\"}\n"
    "{\"jsonrpc\":\"2.0\",\"id\":\"x\",\"error\":{\"code\":-32601,\"message\":\"m\"}}";

TEST(JsonRpcInput, AnyChunkingGivesTheSameMessages) {
  Seen whole;
  ASSERT_FALSE(read_all(kInput, kInput.size(), whole));
  ASSERT_EQ(whole.ids.size(), 5u);
  EXPECT_EQ(whole.ids, (std::vector<std::string>{"s-1", "s-1", "p", "p", "x"}));
  // The answer to send s-1 is a SENDACK although its result has no messageId.
  EXPECT_EQ(whole.types, (std::vector<FrameType>{FrameType::send, FrameType::sendack, FrameType::ping,
                                                 FrameType::pong, FrameType{}}));
  EXPECT_EQ(whole.lines, (std::vector<uint64_t>{1, 3, 4, 7, 8}));
  EXPECT_EQ(whole.offsets[1], kInput.find("{\"jsonrpc\""));
  EXPECT_EQ(whole.offsets[3], kInput.find("{\"jsonrpc\":\"2.0\",\"id\":\"p\""));
  EXPECT_EQ(whole.sizes[0], kInput.find('\n'));  // the object without the newline after it
  for (size_t chunk : {1, 2, 3, 7, 64}) {
    Seen s;
    ASSERT_FALSE(read_all(kInput, chunk, s)) << chunk;
    EXPECT_EQ(s.offsets, whole.offsets) << chunk;
    EXPECT_EQ(s.lines, whole.lines) << chunk;
    EXPECT_EQ(s.sizes, whole.sizes) << chunk;
    EXPECT_EQ(s.types, whole.types) << chunk;
  }
}

TEST(JsonRpcInput, ErrorsCarryAbsoluteOffsetAndLine) {
  const std::string in = "{\"method\":\"ping\",\"id\":\"p\"}\n\n{\"method\":\"send\",\"id\":\"s\",\n\"params\":{\"channelType\":999}}\n";
  for (size_t chunk : {size_t{1}, size_t{5}, in.size()}) {
    Seen s;
    auto e = read_all(in, chunk, s);
    ASSERT_TRUE(e) << chunk;
    EXPECT_EQ(s.ids.size(), 1u);
    EXPECT_EQ(e->offset, in.find("999"));
    EXPECT_EQ(e->line, 4u);
    EXPECT_NE(e->message.find("params.channelType: 999 is out of range"), std::string::npos) << e->message;
  }
  Seen s;
  auto cut = read_all("{\"method\":\"ping\",\"id\":\"p\"}\n{\"method\":", 4, s);
  ASSERT_TRUE(cut);
  EXPECT_EQ(s.ids.size(), 1u);
  EXPECT_NE(cut->message.find("unexpected end of input"), std::string::npos) << cut->message;
}

}  // namespace
}  // namespace wkit::proto
