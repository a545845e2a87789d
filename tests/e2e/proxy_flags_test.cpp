// `wkit proxy --upstream-timeout D`: a duration like every other timeout,
// reaching the upstream connect (a silent upstream fails after exactly that
// deadline, which the proxy's event names); the old `--upstream-timeout-ms MS`
// still works for one release with a warning; bad values are usage errors.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "support/silent_peer.hpp"
#include "../support/temp_dir.hpp"
#include "support/wkit_commands.hpp"

using wkit::testing::jsonl;
using wkit::testing::ProxyProcess;
using wkit::testing::run_wkit;
using wkit::testing::SilentPeer;
using wkit::testing::TempDir;

namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A client through a proxy whose upstream never answers: the detail of the
// proxy's upstream_failed event ("" if there is none).
std::string upstream_failure(const std::vector<std::string>& timeout_flags, std::string* proxy_stderr) {
  SilentPeer upstream;
  TempDir dir;
  const std::string events = (dir.path / "events.jsonl").string();
  std::vector<std::string> extra = {"--events", events};
  extra.insert(extra.end(), timeout_flags.begin(), timeout_flags.end());
  ProxyProcess proxy("tcp://127.0.0.1:0", upstream.url(), extra);
  auto send = run_wkit({"send", "-s", proxy.url(), "-u", "alice", "--to", "bob", "--text", "hi", "--connect-timeout",
                        "30s"});
  EXPECT_EQ(send.code, 3) << send.err;  // refused by the proxy, not timed out by the client
  proxy.stop();
  *proxy_stderr = proxy.process().stderr_text();
  for (auto& e : jsonl(slurp(events)))
    if (e["action"] == "upstream_failed") return e.value("detail", "");
  return "";
}

TEST(ProxyFlags, UpstreamTimeoutIsADuration) {
  std::string err;
  auto detail = upstream_failure({"--upstream-timeout", "300ms"}, &err);
  EXPECT_NE(detail.find("connect timed out after 300ms"), std::string::npos) << detail;
  EXPECT_EQ(err.find("deprecated"), std::string::npos) << err;
}

TEST(ProxyFlags, UpstreamTimeoutMsStillWorksWithAWarning) {
  std::string err;
  auto detail = upstream_failure({"--upstream-timeout-ms", "250"}, &err);
  EXPECT_NE(detail.find("connect timed out after 250ms"), std::string::npos) << detail;
  EXPECT_NE(err.find("wkit proxy: warning: --upstream-timeout-ms is deprecated and goes in the next release; write "
                     "--upstream-timeout 250ms\n"),
            std::string::npos)
      << err;
}

TEST(ProxyFlags, BadUpstreamTimeoutsAreUsageErrors) {
  struct Case {
    std::vector<std::string> flags;
    std::string message;
  };
  const std::vector<Case> cases = {
      {{"--upstream-timeout", "5"}, "wkit proxy: bad --upstream-timeout '5': invalid duration \"5\": missing unit"},
      {{"--upstream-timeout", "0s"}, "wkit proxy: --upstream-timeout must be at least 1ms"},
      {{"--upstream-timeout", "1s", "--upstream-timeout-ms", "100"}, "wkit proxy: give --upstream-timeout only"},
      {{"--upstream-timeout-ms", "0"}, "wkit proxy: --upstream-timeout-ms must be above 0"},
  };
  for (const auto& c : cases) {
    std::vector<std::string> args = {"proxy", "--listen", "tcp://127.0.0.1:0", "--upstream", "tcp://127.0.0.1:1"};
    args.insert(args.end(), c.flags.begin(), c.flags.end());
    auto r = run_wkit(args, std::chrono::seconds(20));
    EXPECT_EQ(r.code, 2) << c.flags[0] << ": " << r.err;
    EXPECT_NE(r.err.find(c.message), std::string::npos) << r.err;
    EXPECT_EQ(r.out, "");  // refused before listening
  }
}

}  // namespace
