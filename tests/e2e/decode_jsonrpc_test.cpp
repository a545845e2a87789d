// `wkit decode` on JSON-RPC text (the EasySDK dialect): auto-detected JSON
// lines rendered in the frame model with the request id and method, the
// generation switch, and exit 4 naming the line, byte and member.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "support/wkit_commands.hpp"

namespace {

using wkit::testing::jsonl;

wkit::testing::Done decode_rpc(const std::string& args, const std::string& stdin_text) {
  std::vector<std::string> argv = {"decode"};
  std::istringstream in(args);
  for (std::string a; in >> a;) argv.push_back(a);
  return wkit::testing::run_wkit(argv, std::chrono::seconds(60), stdin_text);
}

// A session as the protocol description's examples show it (server 2.2.3+).
const char* kSession =
    R"({"method":"connect","id":"c-1","params":{"uid":"alice","token":"t-alice","deviceFlag":1,"clientTimestamp":1767000000000}})" "\n"
    R"({"jsonrpc":"2.0","id":"c-1","result":{"reasonCode":2,"nodeId":1}})" "\n"
    R"({"method":"send","id":"s-1","params":{"clientMsgNo":"8d1e","channelId":"bob","channelType":1,"payload":"eyJ0eXBlIjoxfQ==","header":{"redDot":true}}})" "\n"
    R"({"jsonrpc":"2.0","id":"s-1","result":{"messageId":"1987654321098752001","messageSeq":42,"reasonCode":1}})" "\n"
    "\n"
    R"({"jsonrpc":"2.0","method":"recv","params":{"messageId":"9007199254740993","messageSeq":42,"timestamp":1767000001,"channelId":"alice","channelType":1,"fromUid":"alice","payload":{"type":1}}})" "\n"
    R"({"jsonrpc":"2.0","id":"s-3","error":{"code":0,"message":"jsonrpc: unknown method: subscribe"}})" "\n";

TEST(DecodeJsonRpc, AutoDetectedSessionInTheFrameModel) {
  auto r = decode_rpc("-o jsonl", kSession);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("looks like jsonrpc"), std::string::npos) << r.err;
  auto v = jsonl(r.out);
  ASSERT_EQ(v.size(), 6u);
  EXPECT_EQ(v[0]["frame_type"], "CONNECT");
  EXPECT_EQ(v[0]["uid"], "alice");
  EXPECT_EQ(v[0]["jsonrpc"]["method"], "connect");
  EXPECT_EQ(v[0]["jsonrpc"]["id"], "c-1");
  EXPECT_EQ(v[0]["jsonrpc"]["kind"], "request");
  EXPECT_EQ(v[0]["format"], "jsonrpc");
  EXPECT_EQ(v[0]["offset"], 0);
  EXPECT_EQ(v[0]["line"], 1);
  EXPECT_FALSE(v[0].contains("proto_version"));
  // Read as the answer to connect c-1 (a refused connect has no serverVersion).
  EXPECT_EQ(v[1]["frame_type"], "CONNACK");
  EXPECT_EQ(v[1]["reason_code_name"], "auth_fail");
  EXPECT_EQ(v[1]["jsonrpc"]["id"], "c-1");
  EXPECT_EQ(v[2]["frame_type"], "SEND");
  EXPECT_EQ(v[2]["header"]["red_dot"], true);
  EXPECT_EQ(v[2]["payload"], "eyJ0eXBlIjoxfQ==");  // the bytes, shown as base64
  EXPECT_EQ(v[2]["jsonrpc"]["payload_form"], "base64");
  EXPECT_EQ(v[3]["frame_type"], "SENDACK");
  EXPECT_EQ(v[3]["message_idstr"], "1987654321098752001");
  EXPECT_EQ(v[4]["frame_type"], "RECV");
  EXPECT_EQ(v[4]["line"], 6);  // the blank line 5 is skipped
  EXPECT_EQ(v[4]["message_idstr"], "9007199254740993");
  EXPECT_EQ(v[4]["payload"], "eyJ0eXBlIjoxfQ==");  // the embedded object, by default accepted
  EXPECT_EQ(v[4]["jsonrpc"]["payload_form"], "json");
  EXPECT_FALSE(v[5].contains("frame_type"));
  EXPECT_EQ(v[5]["jsonrpc"]["error"]["code"], 0);
  EXPECT_EQ(v[5]["jsonrpc"]["error"]["message"], "jsonrpc: unknown method: subscribe");
}

TEST(DecodeJsonRpc, TextTableShowsKindMethodAndId) {
  auto r = decode_rpc("-o text", kSession);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("SEND       (request send id=s-1) [RED_DOT]"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("ERROR      (response id=s-3 error 0: jsonrpc: unknown method: subscribe)"),
            std::string::npos) << r.out;
}

TEST(DecodeJsonRpc, JsonDocumentCountsMessages) {
  auto r = decode_rpc("--input jsonrpc -o json", kSession);
  ASSERT_EQ(r.code, 0) << r.err;
  const auto doc = nlohmann::json::parse(r.out);
  EXPECT_EQ(doc["count"], 6);
  EXPECT_EQ(doc["frames"][2]["jsonrpc"]["method"], "send");
  EXPECT_TRUE(r.err.find("looks like") == std::string::npos) << "--input given: no guess to report";
}

TEST(DecodeJsonRpc, PrettyPrintedAndBackToBackObjects) {
  const std::string in = "{\n  \"method\": \"ping\",\n  \"id\": \"p-1\"\n}{\"jsonrpc\":\"2.0\",\"id\":\"p-1\"}\n";
  auto r = decode_rpc("--input jsonrpc -o jsonl", in);
  ASSERT_EQ(r.code, 0) << r.err;
  auto v = jsonl(r.out);
  ASSERT_EQ(v.size(), 2u);
  EXPECT_EQ(v[0]["frame_type"], "PING");
  EXPECT_EQ(v[1]["frame_type"], "PONG");
  EXPECT_EQ(v[1]["offset"], in.find("}{") + 1);
  EXPECT_EQ(v[1]["line"], 4);
}

TEST(DecodeJsonRpc, GenerationGivenIsReadStrictly) {
  // The embedded payload of 2.2.0-2.2.2 is refused when 2.2.3 is asked for...
  auto strict = decode_rpc("--jsonrpc-compat 2.2.3 -o jsonl", kSession);
  EXPECT_EQ(strict.code, 4);
  EXPECT_EQ(jsonl(strict.out).size(), 4u);  // the messages before it are printed
  EXPECT_NE(strict.err.find("<stdin>:6: byte "), std::string::npos) << strict.err;
  EXPECT_NE(strict.err.find("params.payload: expected a base64 string, got an object"), std::string::npos)
      << strict.err;
  // ...and a 2.2 reading keeps a string payload as JSON text, quotes and all.
  auto old = decode_rpc("--jsonrpc-compat 2.2 -o jsonl",
                    R"({"method":"send","id":"s","params":{"payload":"aGk="}})" "\n");
  ASSERT_EQ(old.code, 0) << old.err;
  EXPECT_EQ(jsonl(old.out)[0]["payload"], "ImFHaz0i");  // base64 of "aGk=" with its quotes
  // 2.1: a recvack notification is refused.
  auto v21 = decode_rpc("--jsonrpc-compat 2.1", R"({"method":"recvack","params":{"messageId":"1"}})" "\n");
  EXPECT_EQ(v21.code, 4);
  EXPECT_NE(v21.err.find("recvack is a request at 2.1"), std::string::npos) << v21.err;
}

TEST(DecodeJsonRpc, BadMessageIsExit4WithLineByteAndMember) {
  const std::string in = R"({"method":"ping","id":"p"})" "\n" R"({"method":"send","id":17,"params":{}})" "\n";
  auto r = decode_rpc("-o jsonl", in);
  EXPECT_EQ(r.code, 4);
  EXPECT_EQ(jsonl(r.out).size(), 1u);
  const size_t at = in.find("17");
  EXPECT_NE(r.err.find("<stdin>:2: byte " + std::to_string(at) + ": id: must be a string"), std::string::npos)
      << r.err;
  auto truncated = decode_rpc("--input jsonrpc", R"({"method":"ping","id":"p")");
  EXPECT_EQ(truncated.code, 4);
  EXPECT_NE(truncated.err.find("unexpected end of input"), std::string::npos) << truncated.err;
}

TEST(DecodeJsonRpc, UnknownGenerationIsUsageError) {
  EXPECT_EQ(decode_rpc("--jsonrpc-compat 2.0", "{}\n").code, 2);
}

}  // namespace
