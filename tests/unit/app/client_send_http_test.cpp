// `wkit send --via http`: the POST /message/send body and how each kind of
// answer counts (docs/send.md "Sending through the HTTP API").
#include "wkit/app/client_send_http.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

using namespace wkit::app;
using Kind = MessageSendAnswer::Kind;

TEST(MessageSendBody, IsJsonWithBase64PayloadAndEscapedStrings) {
  std::string body = "left over";
  message_send_body(body, "al\"ice", "g\n1", 2, "cmn-1", std::string("\x00\xffhi", 4));
  auto j = nlohmann::json::parse(body);
  EXPECT_EQ(j["from_uid"], "al\"ice");
  EXPECT_EQ(j["channel_id"], "g\n1");
  EXPECT_EQ(j["channel_type"], 2);
  EXPECT_EQ(j["client_msg_no"], "cmn-1");
  EXPECT_EQ(j["payload"], "AP9oaQ==");
  EXPECT_EQ(j.size(), 5u);
}

TEST(MessageSendAnswer, V3SuccessPrefersTheIdString) {
  auto a = read_message_send_answer(
      200, R"({"message_id":2129713809743417344,"message_idstr":"2129713809743417345","message_seq":7,"reason":1})",
      ApiGeneration::v3);
  EXPECT_EQ(a.kind, Kind::accepted);
  EXPECT_EQ(a.reason, 1);
  EXPECT_EQ(a.message_id, 2129713809743417345);
  EXPECT_EQ(a.message_seq, 7u);
}

TEST(MessageSendAnswer, V3RefusalsAndErrors) {
  auto refused = read_message_send_answer(200, R"({"message_id":0,"message_seq":0,"reason":15})", ApiGeneration::v3);
  EXPECT_EQ(refused.kind, Kind::refused);
  EXPECT_EQ(refused.reason, 15);
  auto bad = read_message_send_answer(400, R"({"error":"invalid channel id"})", ApiGeneration::v3);
  EXPECT_EQ(bad.kind, Kind::refused);
  EXPECT_EQ(bad.why, "HTTP 400: invalid channel id");
  // The server did not say what became of it: like a lost SENDACK.
  for (int status : {408, 500, 503})
    EXPECT_EQ(read_message_send_answer(status, R"({"error":"retry required"})", ApiGeneration::v3).kind, Kind::unknown)
        << status;
  auto v2_shape = read_message_send_answer(200, R"({"status":200,"data":{"message_id":5}})", ApiGeneration::v3);
  EXPECT_EQ(v2_shape.kind, Kind::unknown);
  EXPECT_NE(v2_shape.why.find("--api-compat 2"), std::string::npos) << v2_shape.why;
  EXPECT_EQ(read_message_send_answer(200, "<html>", ApiGeneration::v3).kind, Kind::unknown);
  EXPECT_EQ(read_message_send_answer(200, R"({"reason":1})", ApiGeneration::v3).kind, Kind::unknown);
}

TEST(MessageSendAnswer, V2EnvelopeAndRefusals) {
  auto a = read_message_send_answer(
      200, R"({"status":200,"data":{"message_id":42,"message_idstr":"42","client_msg_no":"c"}})", ApiGeneration::v2);
  EXPECT_EQ(a.kind, Kind::accepted);
  EXPECT_EQ(a.message_id, 42);
  EXPECT_EQ(a.message_seq, 0u);
  auto refused = read_message_send_answer(200, R"({"status":4,"msg":"blacklist"})", ApiGeneration::v2);
  EXPECT_EQ(refused.kind, Kind::refused);
  EXPECT_EQ(refused.reason, 4);
  EXPECT_EQ(read_message_send_answer(400, R"({"msg":"bad","status":400})", ApiGeneration::v2).kind, Kind::refused);
  auto v3_shape = read_message_send_answer(200, R"({"message_id":1,"message_seq":1,"reason":1})", ApiGeneration::v2);
  EXPECT_EQ(v3_shape.kind, Kind::unknown);
  EXPECT_NE(v3_shape.why.find("--api-compat 3"), std::string::npos) << v3_shape.why;
}
