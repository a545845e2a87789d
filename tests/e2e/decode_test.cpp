// `wkit decode` as a user runs it on stdin: hex and base64 input, decryption
// with msg_key verification, and the exit-4 error that names the line and
// byte offset while still printing the frames before it. (Capture and pcap
// files: capture_cli_test.cpp.)
#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "support/wkit_commands.hpp"

namespace {

using nlohmann::json;
using wkit::testing::jsonl;

// SEND "hello" from tests/conformance/vectors/security.json (key set fixed-1).
const char* kSendHex =
    "327600000000010017636d6e2d30302d303132333435363738396162636465660003626f6201000000000020"
    "30656562396261313531333532616337623233393937306363336665313933645736562b43734a2f71396841"
    "53345a41594c675a62574978437248733636467347467034516961695058673d";

// `wkit decode ARGS` (space-separated) with `stdin_text` as its input.
wkit::testing::Done decode(const std::string& args, const std::string& stdin_text) {
  std::vector<std::string> argv = {"decode"};
  std::istringstream in(args);
  for (std::string a; in >> a;) argv.push_back(a);
  return wkit::testing::run_wkit(argv, std::chrono::seconds(60), stdin_text);
}

TEST(Decode, HexWithSpacesAndSeveralFramesPerLine) {
  auto r = decode("-o jsonl", "70 80\n90 05 0c 00 02 68 69\n");
  ASSERT_EQ(r.code, 0) << r.err;
  auto v = jsonl(r.out);
  ASSERT_EQ(v.size(), 3u);
  EXPECT_EQ(v[0]["frame_type"], "PING");
  EXPECT_EQ(v[1]["frame_type"], "PONG");
  EXPECT_EQ(v[1]["offset"], 1);
  EXPECT_EQ(v[2]["frame_type"], "DISCONNECT");
  EXPECT_EQ(v[2]["reason"], "hi");
  EXPECT_EQ(v[2]["reason_code_name"], "connect_kick");
  EXPECT_NE(r.err.find("hex"), std::string::npos) << "auto must say what it guessed: " << r.err;
}

TEST(Decode, DecryptsAndVerifiesMsgKeyWithSessionKeys) {
  auto r = decode("--proto-version 5 --aes-key 6a42aec326f7c192 --aes-iv abcdefghijklmnop -o jsonl",
                  std::string(kSendHex) + "\n");
  ASSERT_EQ(r.code, 0) << r.err;
  auto v = jsonl(r.out);
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0]["client_msg_no"], "cmn-00-0123456789abcdef");
  EXPECT_EQ(v[0]["payload_plain"], R"({"type":1,"content":"hello"})");
  EXPECT_EQ(v[0]["msg_key_ok"], true);

  auto wrong = decode("--proto-version 5 --aes-key 0000000000000000 --aes-iv abcdefghijklmnop -o jsonl",
                      std::string(kSendHex) + "\n");
  auto w = jsonl(wrong.out);
  ASSERT_EQ(w.size(), 1u);
  EXPECT_EQ(w[0]["msg_key_ok"], false);
}

TEST(Decode, Base64InputGivesTheSameFrame) {
  auto hex = decode("--proto-version 5 -o jsonl", std::string(kSendHex) + "\n");
  // base64 of the same bytes
  const char* b64 =
      "MnYAAAAAAQAXY21uLTAwLTAxMjM0NTY3ODlhYmNkZWYAA2JvYgEAAAAAACAwZWViOWJhMTUxMzUyYWM3YjIzOTk3MGNj"
      "M2ZlMTkzZFc2VitDc0ovcTloQVM0WkFZTGdaYldJeENySHM2NkZzR0ZwNFFpYWlQWGc9";
  auto b = decode("--input base64 --proto-version 5 -o jsonl", std::string(b64) + "\n");
  ASSERT_EQ(b.code, 0) << b.err;
  auto hv = jsonl(hex.out), bv = jsonl(b.out);
  ASSERT_EQ(bv.size(), 1u);
  EXPECT_EQ(bv[0]["msg_key"], hv[0]["msg_key"]);
  EXPECT_EQ(bv[0]["payload"], hv[0]["payload"]);
}

TEST(Decode, BadByteIsExit4WithLineAndOffsetAfterPrintingEarlierFrames) {
  auto r = decode("-o jsonl", "70\n9085000c00026869 00\n");
  EXPECT_EQ(r.code, 4);
  auto v = jsonl(r.out);
  ASSERT_EQ(v.size(), 2u);  // PING and DISCONNECT come out before the error
  EXPECT_NE(r.err.find("<stdin>:2: byte 9"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("invalid frame type 0"), std::string::npos) << r.err;
}

TEST(Decode, TruncatedFrameAtEndOfInputIsBadInput) {
  auto r = decode("-o jsonl", "9005 0c00\n");
  EXPECT_EQ(r.code, 4);
  EXPECT_NE(r.err.find("byte 0"), std::string::npos) << r.err;
}

TEST(Decode, UnknownInputFormIsUsageError) {
  EXPECT_EQ(decode("--input nonsense", "70\n").code, 2);
}

}  // namespace

// docs/decode.md promises the fields in wire order (a SEND: setting,
// client_seq, client_msg_no, channel_id, channel_type, ... at v4+), in both
// JSON forms, after the record's own keys.
TEST(Decode, JsonKeysComeInWireOrder) {
  for (const char* mode : {"-o jsonl", "-o json"}) {
    auto r = decode(mode, std::string(kSendHex) + "\n");
    ASSERT_EQ(r.code, 0) << r.err;
    nlohmann::ordered_json doc = nlohmann::ordered_json::parse(r.out.substr(0, r.out.find_last_of('}') + 1));
    const auto& f = std::string(mode) == "-o json" ? doc["frames"][0] : doc;
    std::vector<std::string> keys;
    for (auto it = f.begin(); it != f.end(); ++it) keys.push_back(it.key());
    auto pos = [&](const std::string& k) {
      auto i = std::find(keys.begin(), keys.end(), k);
      EXPECT_NE(i, keys.end()) << k;
      return i - keys.begin();
    };
    EXPECT_LT(pos("offset"), pos("frame_type")) << mode;
    EXPECT_LT(pos("frame_type"), pos("header")) << mode;
    EXPECT_LT(pos("header"), pos("client_seq")) << mode;
    EXPECT_LT(pos("client_seq"), pos("client_msg_no")) << mode;
    EXPECT_LT(pos("client_msg_no"), pos("channel_id")) << mode;
    EXPECT_LT(pos("channel_id"), pos("channel_type")) << mode;
    EXPECT_LT(pos("channel_type"), pos("payload")) << mode;
  }
}
