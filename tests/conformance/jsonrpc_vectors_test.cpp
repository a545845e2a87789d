// Every case of tests/conformance/vectors/jsonrpc/*.json (format: each file's
// `conventions`; origin: that directory's README.md) through the JSON-RPC
// codec: decode, compare with the expected fields or error, re-encode.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "wkit/proto/json.hpp"
#include "wkit/proto/jsonrpc.hpp"

namespace {

using nlohmann::json;
using namespace wkit::proto;

const char* const kFiles[] = {"examples.json", "generations.json", "malformed.json"};

json load(const std::string& name) {
  const std::string path = std::string(WKIT_VECTORS_DIR) + "/jsonrpc/" + name;
  std::ifstream in(path);
  EXPECT_TRUE(in.good()) << "missing vector file " << path;
  std::stringstream ss;
  ss << in.rdbuf();
  return json::parse(ss.str());
}

void check_frame(const json& want, const jsonrpc::Message& m) {
  ASSERT_TRUE(m.has_frame);
  JsonOptions jo;
  jo.show_absent = true;
  const Json got = frame_to_json(m.frame, kMaxProtoVersion, jo);
  for (const auto& [key, value] : want.items()) {
    if (key == "payload_text" || key == "data_text") {
      const std::string_view bytes =
          std::visit([&](const auto& f) -> std::string_view {
            using F = std::remove_cvref_t<decltype(f)>;
            if constexpr (std::is_same_v<F, Send> || std::is_same_v<F, Recv>) return f.payload.data;
            else if constexpr (std::is_same_v<F, Event>) return f.data.data;
            else return "<no payload>";
          }, m.frame);
      EXPECT_EQ(bytes, value.get<std::string>()) << key;
    } else if (key == "header") {
      for (const auto& [flag, on] : value.items()) EXPECT_EQ(got["header"][flag], on) << "header." << flag;
    } else {
      ASSERT_TRUE(got.contains(key)) << "no field " << key << " in " << got.dump();
      EXPECT_EQ(json::parse(got[key].dump()), value) << key;
    }
  }
}

int run_case(const json& c) {
  const std::string text = c.at("text");
  SCOPED_TRACE(c.at("name").get<std::string>() + "\n  " + text);
  jsonrpc::DecodeOptions o;
  EXPECT_TRUE(jsonrpc::compat_from_name(c.value("compat", "2.2.3"), o.compat));
  o.lenient = c.value("lenient", false);
  std::string scratch;
  jsonrpc::Message m;
  const wkit::Status st = jsonrpc::decode(text, m, scratch, o);

  if (c.contains("error")) {
    const json& e = c["error"];
    EXPECT_TRUE(st) << "decoded although the case expects an error";
    if (!st) return 1;
    EXPECT_EQ(jsonrpc::problem_name(m.problem), e.at("problem").get<std::string>());
    EXPECT_NE(st->message.find(e.at("contains").get<std::string>()), std::string::npos) << st->message;
    EXPECT_TRUE(st->offset.has_value());
    const size_t want = e.at("offset_at").is_null() ? text.size() : text.find(e["offset_at"].get<std::string>());
    EXPECT_NE(want, std::string::npos) << "offset_at not in text";
    EXPECT_EQ(st->offset.value_or(~0ull), want) << st->describe();
    EXPECT_FALSE(m.has_frame);
    return 1;
  }

  EXPECT_FALSE(st) << st->describe();
  if (st) return 1;
  const json& x = c.at("expect");
  if (x.contains("kind")) {
    EXPECT_EQ(jsonrpc::kind_name(m.kind), x["kind"].get<std::string>());
  }
  if (x.contains("method")) {
    EXPECT_EQ(jsonrpc::method_name(m.method), x["method"].get<std::string>());
  }
  if (x.contains("id")) {
    EXPECT_EQ(m.id, x["id"].get<std::string>());
  }
  if (x.contains("payload_form")) {
    EXPECT_EQ(jsonrpc::payload_form_name(m.payload_form), x["payload_form"].get<std::string>());
  }
  if (x.contains("has_error")) {
    EXPECT_EQ(m.has_error, x["has_error"].get<bool>());
  }
  if (x.contains("error")) {
    EXPECT_TRUE(m.has_error);
    EXPECT_EQ(m.error.code, x["error"].at("code").get<int64_t>());
    EXPECT_EQ(m.error.message, x["error"].at("message").get<std::string>());
  }
  if (x.contains("frame")) check_frame(x["frame"], m);

  if (c.contains("encoded")) {
    jsonrpc::EncodeOptions eo;
    eo.compat = o.compat;
    eo.pong_result_null = c.value("pong_result_null", true);
    std::string out;
    const wkit::Status est = jsonrpc::encode(m.frame, m.id, out, eo);
    EXPECT_FALSE(est) << est->message;
    EXPECT_EQ(out, c["encoded"].get<std::string>());
  }
  return 1;
}

TEST(JsonRpcVectors, EveryCaseOfEveryFile) {
  for (const char* name : kFiles) {
    const json doc = load(name);
    ASSERT_TRUE(doc.contains("cases")) << name;
    int ran = 0;
    for (const auto& c : doc["cases"]) ran += run_case(c);
    EXPECT_GT(ran, 0) << name << " has no cases";
    std::printf("[ jsonrpc ] %s: %d cases\n", name, ran);
  }
}

// No file in the directory is left out of kFiles.
TEST(JsonRpcVectors, EveryFileIsListed) {
  int files = 0;
  for (const auto& e : std::filesystem::directory_iterator(std::string(WKIT_VECTORS_DIR) + "/jsonrpc"))
    if (e.path().extension() == ".json") {
      ++files;
      EXPECT_NE(std::find(std::begin(kFiles), std::end(kFiles), e.path().filename().string()), std::end(kFiles))
          << e.path();
    }
  EXPECT_EQ(files, static_cast<int>(std::size(kFiles)));
}

}  // namespace
