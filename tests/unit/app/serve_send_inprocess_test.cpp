// The client and server halves of wkit (run_send, its receivers, Server with
// its hub, sessions and store) talking over real loopback sockets in one
// process, so the ASan/UBSan build of the unit tests covers the app layer
// too (the e2e tests run the release binary).
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

#include "wkit/app/client_send.hpp"
#include "wkit/app/server.hpp"
#include "wkit/fault/fault.hpp"
#include "../../support/temp_dir.hpp"

using namespace wkit;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

using wkit::testing::TempDir;

// A Server on port 0 running on its own thread; stopped and joined on scope exit.
struct RunningServer {
  std::unique_ptr<app::Server> server;
  std::thread thread;
  explicit RunningServer(app::ServerOptions o) {
    auto s = app::Server::create(std::move(o));
    if (!s) throw std::runtime_error(s.error().message);
    server = std::move(*s);
    thread = std::thread([this] { server->run(); });
  }
  ~RunningServer() {
    server->stop();
    thread.join();
  }
  net::Url url(size_t i = 0) const { return server->local_urls().at(i); }
};

app::ServerOptions server_options(const TempDir& dir, bool dedup) {
  app::ServerOptions so;
  so.listen = {net::Url::parse("tcp://127.0.0.1:0").value(), net::Url::parse("ws://127.0.0.1:0").value()};
  so.data_dir = (dir.path / "data").string();
  so.dedup = dedup;
  so.redeliver_interval_ms = 60'000;
  so.version = "test";
  return so;
}

app::SendOptions send_options(const net::Url& url) {
  app::SendOptions o;
  o.url = url;
  o.base.uid = "alice";
  o.base.token = "t";
  o.base.device_id = "unit";
  o.targets = {{"bob", 1}};
  o.payload = "hello";
  o.receivers = {{"bob", "t"}};
  o.verify_wait = std::chrono::seconds(10);
  return o;
}

}  // namespace

TEST(ServeSendInProcess, ForcedRetriesKeepOneMessageIdWithDedupOn) {
  TempDir dir;
  RunningServer srv(server_options(dir, true));
  for (size_t listener : {0u, 1u}) {  // tcp, then ws
    auto o = send_options(srv.url(listener));
    o.count = 3;
    o.retries = 2;
    o.retry_interval = std::chrono::milliseconds(20);
    std::vector<json> messages;
    app::SendHooks hooks;
    hooks.on_message = [&](const json& m) { messages.push_back(m); };
    auto out = app::run_send(o, hooks);
    ASSERT_EQ(out.exit_code, 0) << out.error << " " << out.summary.dump();
    ASSERT_EQ(messages.size(), 3u);
    for (auto& m : messages) EXPECT_EQ(m["message_ids"].size(), 1u) << m.dump();
    EXPECT_EQ(out.summary["duplicates_created"], 0);
    EXPECT_EQ(out.summary["verify"]["lost"], 0);
    EXPECT_EQ(out.summary["verify"]["per_receiver"][0]["delivered"], 3);
  }
}

TEST(ServeSendInProcess, ForcedRetriesCreateDuplicatesWithDedupOff) {
  TempDir dir;
  RunningServer srv(server_options(dir, false));
  auto o = send_options(srv.url());
  o.count = 2;
  o.retries = 1;
  o.retry_interval = std::chrono::milliseconds(20);
  std::vector<json> messages;
  app::SendHooks hooks;
  hooks.on_message = [&](const json& m) { messages.push_back(m); };
  auto out = app::run_send(o, hooks);
  EXPECT_EQ(out.exit_code, 1) << "several message_ids per client_msg_no is a failed check";
  ASSERT_EQ(messages.size(), 2u);
  for (auto& m : messages) EXPECT_EQ(m["message_ids"].size(), 2u) << m.dump();
  EXPECT_EQ(out.summary["duplicates_created"], 2);
}

TEST(ServeSendInProcess, DroppedSendackIsRecoveredByRetryOnTimeout) {
  TempDir dir;
  auto so = server_options(dir, true);
  so.faults = {fault::parse_rule("drop:sendack:nth=1").value()};
  RunningServer srv(so);
  auto o = send_options(srv.url());
  o.retry_mode = app::SendOptions::RetryMode::on_timeout;
  o.retries = 3;
  o.ack_timeout = std::chrono::milliseconds(200);
  std::vector<json> messages;
  app::SendHooks hooks;
  hooks.on_message = [&](const json& m) { messages.push_back(m); };
  auto out = app::run_send(o, hooks);
  ASSERT_EQ(out.exit_code, 0) << out.error << " " << out.summary.dump();
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(messages[0]["message_ids"].size(), 1u);
  EXPECT_EQ(out.summary["verify"]["per_receiver"][0]["delivered"], 1);
}

TEST(ServeSendInProcess, PipelinedLoadOverSeveralConnectionsLosesNothing) {
  TempDir dir;
  RunningServer srv(server_options(dir, true));
  auto o = send_options(srv.url());
  o.count = 3000;
  o.connections = 3;
  o.window = 64;
  o.payload.clear();
  o.payload_size = 48;
  auto out = app::run_send(o);
  ASSERT_EQ(out.exit_code, 0) << out.error << " " << out.summary.dump();
  EXPECT_EQ(out.summary["acknowledged"], 3000);
  EXPECT_EQ(out.summary["duplicates_created"], 0);
  EXPECT_EQ(out.summary["verify"]["lost"], 0);
  EXPECT_EQ(out.summary["verify"]["unexpected"], 0);
  EXPECT_EQ(out.summary["verify"]["per_receiver"][0]["delivered"], 3000);
}
