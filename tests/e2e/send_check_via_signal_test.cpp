// `wkit send --check-via` stops on SIGINT/SIGTERM while it reads the
// server's store (docs/send.md "Settling with the server's store"): an API
// that stalls in the middle of the paged read (or on the head request
// before the run) must not hold the run for the request's time limit; the
// summary comes, and what was not read is named and left unsettled (exit 1,
// never "checked").
#include <gtest/gtest.h>

#include <csignal>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "support/api_serve.hpp"
#include "support/process.hpp"
#include "support/stalling_messagesync.hpp"
#include "support/wkit_commands.hpp"

using namespace wkit::testing;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

// alice -> bob, one message, -o jsonl, the store read from `check_url`, a
// request time limit far above the bound the test allows for the stop.
std::unique_ptr<Process> start_checked_send(const std::string& server, const std::string& check_url) {
  return std::make_unique<Process>(std::vector<std::string>{
      WKIT_BINARY, "send", "-s", server, "-u", "alice", "--to", "bob", "--text", "hi", "-o", "jsonl", "--progress", "never",
      "--connect-timeout", "60s", "--check-via", check_url});
}

json checked_send_summary(Process& p) {
  auto s = lines_of_type(p, "summary");
  return s.empty() ? json() : s.back();
}

TEST(SendCheckViaSignal, SigintDuringAStalledStorePageEndsWithTheSummaryAndNothingSettled) {
  ApiServe srv;
  StallingMessagesync api;
  auto send = start_checked_send(srv.tcp(), api.url());
  ASSERT_TRUE(api.wait_stalled(30s)) << "the store read never reached its second page: " << send->stderr_text();
  EXPECT_EQ(api.pages_answered(), 1);
  // The page in flight waits on a 60 s limit: the stop must not.
  const auto code = send->signal_and_wait(SIGINT, 10s);
  ASSERT_TRUE(code.has_value()) << "wkit send did not end within 10 s of SIGINT: " << send->stderr_text();
  EXPECT_EQ(*code, 1) << send->stderr_text();
  const json s = checked_send_summary(*send);
  ASSERT_TRUE(s.is_object()) << "no summary: " << send->stderr_text();
  EXPECT_EQ(s["interrupted"], true);
  EXPECT_EQ(s["attempted"], 1);
  EXPECT_EQ(s["acknowledged"], 1);
  const json& c = s["checked_via"];
  EXPECT_EQ(c["checked"], false) << c.dump();
  EXPECT_EQ(c["interrupted"], true) << c.dump();
  EXPECT_EQ(c["not_read"], json::array({"channel bob:1 (as alice)"})) << c.dump();
  EXPECT_EQ(c["error"], "SIGINT while reading the store; not read: channel bob:1 (as alice)") << c.dump();
  EXPECT_FALSE(c.contains("settled"));
  EXPECT_NE(s["findings"].get<std::string>().find("the server's store could not be checked"), std::string::npos)
      << s.dump();
  auto messages = lines_of_type(*send, "send");
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_FALSE(messages[0].contains("store_message_ids")) << messages[0].dump();
  EXPECT_NE(send->stderr_text().find("wkit send: --check-via " + api.url() +
                                     ": SIGINT while reading the store; not read: channel bob:1 (as alice); "
                                     "not checked, 0 unverified message(s) stay unverified"),
            std::string::npos)
      << send->stderr_text();
}

TEST(SendCheckViaSignal, SigtermWhileReadingTheChannelHeadsSendsNothing) {
  ApiServe srv;
  StallingMessagesync api(StallingMessagesync::Stall::head);
  auto send = start_checked_send(srv.tcp(), api.url());
  ASSERT_TRUE(api.wait_stalled(30s)) << "the head request never came: " << send->stderr_text();
  const auto code = send->signal_and_wait(SIGTERM, 10s);
  ASSERT_TRUE(code.has_value()) << "wkit send did not end within 10 s of SIGTERM: " << send->stderr_text();
  EXPECT_EQ(*code, 1) << send->stderr_text();
  const json s = checked_send_summary(*send);
  ASSERT_TRUE(s.is_object()) << "no summary: " << send->stderr_text();
  EXPECT_EQ(s["interrupted"], true);
  EXPECT_EQ(s["attempted"], 0);
  EXPECT_EQ(s["sends"], 0);
  EXPECT_EQ(s["verdict"], "nothing sent");
  EXPECT_EQ(s["checked_via"]["checked"], false);
  EXPECT_EQ(s["checked_via"]["interrupted"], true);
  EXPECT_NE(send->stderr_text().find("SIGTERM: stopping before the first SEND"), std::string::npos)
      << send->stderr_text();
}

}  // namespace
