// Stopping `wkit proxy` (SIGINT) while a client connection is open
// (docs/proxy.md): for WKProto over WebSocket and JSON-RPC over WebSocket,
// the proxy ends by itself with its summary line, and the capture it wrote is
// complete: `wkit capture info` reads it and counts every frame relayed, the
// open connection closed as "proxy stopped".
#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "../support/temp_dir.hpp"
#include "support/serve_process.hpp"
#include "support/wkit_commands.hpp"

using namespace std::chrono_literals;
using nlohmann::json;
using wkit::testing::lines_of_type;
using wkit::testing::ProxyProcess;
using wkit::testing::run_wkit;
using wkit::testing::ServeProcess;
using wkit::testing::start_recv;
using wkit::testing::TempDir;

namespace {

// bob receives through the proxy and stays connected; alice sends three
// messages through it; then the proxy gets SIGINT.
void stop_proxy_with_an_open_connection(const std::string& protocol) {
  TempDir dir;
  const std::string capture = (dir.path / "stop.wkcap").string();
  ServeProcess serve({"--in-memory"});
  ProxyProcess proxy("ws://127.0.0.1:0", serve.ws(), {"--capture", capture});
  auto bob = start_recv(proxy.url(), {"-u", "bob", "--protocol", protocol, "--timeout", "60s", "-o", "jsonl"});
  auto sent = run_wkit({"send", "-s", proxy.url(), "-u", "alice", "--to", "bob", "--count", "3", "--protocol",
                        protocol, "-o", "json"});
  ASSERT_EQ(sent.code, 0) << sent.err << sent.out;
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (lines_of_type(*bob, "recv").size() < 3 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(20ms);
  ASSERT_EQ(lines_of_type(*bob, "recv").size(), 3u) << bob->stderr_text();
  // bob's RECVACKs have been relayed (the server got them): everything is through the proxy.
  while (serve.events("recvack").size() < 3 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(20ms);
  ASSERT_EQ(serve.events("recvack").size(), 3u);

  const auto t0 = std::chrono::steady_clock::now();
  const auto code = proxy.process().signal_and_wait(SIGINT, 10s);
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0);
  ASSERT_TRUE(code.has_value()) << "wkit proxy did not end within 10 s of SIGINT: " << proxy.process().stderr_text();
  ::testing::Test::RecordProperty("stop_ms", std::to_string(took.count()));  // for the record, not a bound
  EXPECT_EQ(*code, 0) << proxy.process().stderr_text();
  EXPECT_NE(proxy.process().stderr_text().find("wkit proxy: stopped after 2 connection(s)"), std::string::npos)
      << proxy.process().stderr_text();

  auto info = run_wkit({"capture", "info", "-o", "json", capture});
  ASSERT_EQ(info.code, 0) << info.err;
  const json j = json::parse(info.out);
  const json& types = j["frames_by_type"];
  EXPECT_EQ(types.value("CONNECT", 0), 2) << types.dump();
  EXPECT_EQ(types.value("CONNACK", 0), 2) << types.dump();
  EXPECT_EQ(types.value("SEND", 0), 3) << types.dump();
  EXPECT_EQ(types.value("SENDACK", 0), 3) << types.dump();
  EXPECT_EQ(types.value("RECV", 0), 3) << types.dump();
  EXPECT_EQ(types.value("RECVACK", 0), 3) << types.dump();
  ASSERT_EQ(j["connections"].size(), 2u) << info.out;
  int stopped = 0;
  for (auto& c : j["connections"]) stopped += c.value("closed", "") == "proxy stopped";
  EXPECT_EQ(stopped, 1) << info.out;  // bob's: open when the proxy stopped
}

TEST(ProxyStop, SigintWithAnOpenWkprotoConnectionEndsWithTheSummaryAndACompleteCapture) {
  stop_proxy_with_an_open_connection("wkproto");
}

TEST(ProxyStop, SigintWithAnOpenJsonRpcConnectionEndsWithTheSummaryAndACompleteCapture) {
  stop_proxy_with_an_open_connection("jsonrpc");
}

}  // namespace
