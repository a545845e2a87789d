// `wkit recv` over WebSocket (WKProto and JSON-RPC) whose server goes away:
// it ends by itself with exit 3 and its summary naming the lost connection,
// and does not crash while it cleans up (the connection used to outlive the
// I/O context it was made on: heap corruption, abort, no exit code of ours).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "support/serve_process.hpp"
#include "support/wkit_commands.hpp"

using wkit::testing::lines_of_type;
using wkit::testing::ServeProcess;
using wkit::testing::start_recv;

namespace {

void recv_until_the_server_goes(const std::string& protocol) {
  ServeProcess serve({"--in-memory"});
  auto bob = start_recv(serve.ws(), {"-u", "bob", "--protocol", protocol, "--timeout", "60s", "-o", "jsonl"});
  ASSERT_EQ(serve.stop(), 0);
  const auto code = bob->wait_exit(std::chrono::seconds(10));
  ASSERT_TRUE(code.has_value()) << "wkit recv did not end within 10 s of losing its server: " << bob->stderr_text();
  EXPECT_EQ(*code, 3) << bob->stderr_text();
  auto summary = lines_of_type(*bob, "summary");
  ASSERT_EQ(summary.size(), 1u) << bob->stderr_text();
  EXPECT_EQ(summary[0]["exit_code"], 3);
  EXPECT_FALSE(summary[0]["connection_lost"].get<std::string>().empty()) << summary[0].dump();
}

TEST(RecvServerGone, WkprotoOverWebSocketEndsWithExit3AndItsSummary) { recv_until_the_server_goes("wkproto"); }

TEST(RecvServerGone, JsonRpcOverWebSocketEndsWithExit3AndItsSummary) { recv_until_the_server_goes("jsonrpc"); }

}  // namespace
