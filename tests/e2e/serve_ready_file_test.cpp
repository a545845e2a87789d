// `wkit serve --ready-file`: the readiness idiom of docs/serve.md, as a
// script would run it: wait for the file, read the URL from it, use it.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "../support/temp_dir.hpp"
#include "support/process.hpp"
#include "support/wkit_commands.hpp"

using namespace wkit::testing;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

// Polls for a non-empty `path` for up to 10 s (the docs' `until [ -s ]`).
bool wait_for_file(const fs::path& path) {
  for (int i = 0; i < 200; ++i) {
    std::error_code ec;
    if (fs::exists(path, ec) && fs::file_size(path, ec) > 0) return true;
    std::this_thread::sleep_for(50ms);
  }
  return false;
}

TEST(ServeReadyFile, WrittenWhenListeningUsableAndRemovedAtStop) {
  TempDir dir;
  const fs::path ready = dir.path / "serve.ready";
  // A stale file from a killed server is replaced, never trusted.
  std::ofstream(ready) << "{\"tcp\":\"tcp://127.0.0.1:1\"}\n";
  Process srv({WKIT_BINARY, "serve", "--listen", "tcp://127.0.0.1:0", "--listen", "ws://127.0.0.1:0", "--in-memory",
               "--ready-file", ready.string()});
  // The stale content goes only when the new one is complete: wait for the pid.
  nlohmann::json j;
  for (int i = 0; i < 200 && !j.contains("pid"); ++i) {
    std::this_thread::sleep_for(50ms);
    std::ifstream in(ready);
    j = nlohmann::json::parse(in, nullptr, false);
    if (j.is_discarded()) FAIL() << "a half-written ready file was visible";
  }
  ASSERT_TRUE(j.contains("pid")) << j.dump();
  ASSERT_TRUE(wait_for_file(ready));
  ASSERT_EQ(j["listening"].size(), 2u) << j.dump();
  const std::string tcp = j["tcp"], ws = j["ws"];
  EXPECT_EQ(j["listening"][0], tcp);
  EXPECT_EQ(j["listening"][1], ws);
  EXPECT_EQ(tcp.rfind("tcp://127.0.0.1:", 0), 0u) << tcp;
  EXPECT_NE(tcp, "tcp://127.0.0.1:1");
  // The URLs work.
  for (const std::string& url : {tcp, ws}) {
    auto d = run_wkit({"send", "-s", url, "-u", "alice", "--to", "bob", "--text", "hi", "-o", "json"}, 30s);
    EXPECT_EQ(d.code, 0) << url << "\n" << d.out << d.err;
  }
  EXPECT_EQ(srv.signal_and_wait(SIGTERM), std::optional<int>(0)) << srv.stderr_text();
  EXPECT_FALSE(fs::exists(ready)) << "the ready file must not outlive the server";
}

TEST(ServeReadyFile, UnwritablePathIsRefusedBeforeServing) {
  TempDir dir;
  auto d = run_wkit({"serve", "--listen", "tcp://127.0.0.1:0", "--in-memory", "--ready-file",
                     (dir.path / "no-such-dir" / "ready").string()},
                    20s);
  EXPECT_EQ(d.code, 5) << d.err;  // the environment's, like an unwritable --data
  EXPECT_NE(d.err.find("--ready-file"), std::string::npos) << d.err;
}

}  // namespace
