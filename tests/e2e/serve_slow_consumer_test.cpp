// End-to-end flow control of `wkit serve` (docs/serve.md "Slow consumers"):
// a receiver that stops reading is cut as a slow consumer (event, stderr)
// without holding up anyone else, and gets every message on its next
// connection; an offline backlog arrives in pages, each message once.
// Real processes and sockets; waits are bounded, nothing asserts timing.
#include <gtest/gtest.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <set>
#include <thread>

#include "support/serve_process.hpp"
#include "support/wk_client.hpp"

using namespace wkit;
using namespace wkit::testing;
using namespace std::chrono_literals;

namespace {

namespace ip = boost::asio::ip;

// Connects as `uid` with a small receive buffer and then never reads a byte.
struct NonReader {
  boost::asio::io_context io;
  ip::tcp::socket sock{io};
  NonReader(const std::string& url, const std::string& uid) {
    std::string rest = url.substr(url.find("://") + 3);
    auto colon = rest.rfind(':');
    sock.open(ip::tcp::v4());
    sock.set_option(boost::asio::socket_base::receive_buffer_size(4096));
    sock.connect({ip::make_address(rest.substr(0, colon)), static_cast<unsigned short>(std::stoi(rest.substr(colon + 1)))});
    proto::Connect c;
    c.version = 6;
    c.uid = uid;
    c.token = "t";
    c.device_id = "stalled";
    c.device_flag = 1;
    std::string key = crypto::generate_keypair().public_base64();
    c.client_key = key;
    boost::asio::write(sock, boost::asio::buffer(proto::encode_frame(c, 6).value()));
  }
};

// The first event of `type` for which `pred` holds, waiting up to `wait`.
std::optional<nlohmann::json> wait_event(const ServeProcess& s, const std::string& type,
                                         const std::function<bool(const nlohmann::json&)>& pred,
                                         std::chrono::milliseconds wait = 15s) {
  auto end = std::chrono::steady_clock::now() + wait;
  for (;;) {
    for (auto& e : s.events(type))
      if (pred(e)) return e;
    if (std::chrono::steady_clock::now() >= end) return std::nullopt;
    std::this_thread::sleep_for(50ms);
  }
}

// Sends `n` messages of `size` bytes to `to` and returns their message_ids (from the SENDACKs).
std::vector<int64_t> flood(WkClient& from, const std::string& to, int n, size_t size, const std::string& tag) {
  std::string payload(size, 'x');
  for (int i = 1; i <= n; ++i) from.send(to, kPerson, payload, static_cast<uint32_t>(i), tag + std::to_string(i));
  std::vector<int64_t> ids;
  for (int i = 1; i <= n; ++i) {
    auto a = from.expect<proto::Sendack>(30s);
    if (!a) {
      ADD_FAILURE() << "SENDACK " << i << " of " << n << " missing";
      break;
    }
    EXPECT_EQ(a->reason_code, 1);
    ids.push_back(a->message_id);
  }
  return ids;
}

struct Received {
  std::set<int64_t> ids;
  size_t recvs = 0;  // RECV frames, duplicates included
};

// Reads RECVs and acks each until every id in `want` has come (or a wait runs out).
Received receive_all(WkClient& c, const std::vector<int64_t>& want) {
  Received got;
  std::set<int64_t> missing(want.begin(), want.end());
  while (!missing.empty()) {
    auto m = c.next_message(15s);
    if (!m) break;
    ++got.recvs;
    EXPECT_TRUE(m->msg_key_ok && m->decrypt_ok);
    c.recvack(m->recv.message_id, m->recv.message_seq);
    got.ids.insert(m->recv.message_id);
    missing.erase(m->recv.message_id);
  }
  EXPECT_TRUE(missing.empty()) << missing.size() << " of " << want.size() << " messages never came";
  return got;
}

// A receiver that stops reading is cut (by `why_part` of the event's why) and
// gets every message when it connects again; another receiver is served throughout.
void slow_receiver_is_cut_and_loses_nothing(std::vector<std::string> flags, const std::string& why_part) {
  ServeProcess serve(std::move(flags));
  auto sender = login(serve.tcp(), "sender");
  auto fast = login(serve.tcp(), "fast");
  NonReader slow(serve.tcp(), "slow");
  ASSERT_TRUE(wait_event(serve, "connack", [](auto& e) { return e["uid"] == "slow" && e["reason"] == 1; }));

  // 600 x 16 KB: far more than the window and the socket buffers hold.
  auto ids = flood(*sender, "slow", 600, 16 * 1024, "s");
  ASSERT_EQ(ids.size(), 600u);
  auto cut = wait_event(serve, "slow_consumer", [](auto& e) { return e["uid"] == "slow"; });
  ASSERT_TRUE(cut) << serve.process().stderr_text();
  EXPECT_NE(cut->at("why").get<std::string>().find(why_part), std::string::npos) << cut->dump();
  EXPECT_TRUE(serve.process()
                  .wait_stderr([](const std::string& l) { return l.find("slow consumer") != std::string::npos; })
                  .has_value())
      << serve.process().stderr_text();

  // Everyone else is still served.
  auto for_fast = flood(*sender, "fast", 20, 100, "f");
  auto fast_got = receive_all(*fast, for_fast);
  EXPECT_EQ(fast_got.ids.size(), 20u);

  // The slow receiver's messages waited in the store.
  auto again = login(serve.tcp(), "slow");
  auto got = receive_all(*again, ids);
  EXPECT_EQ(got.ids.size(), ids.size());
  EXPECT_EQ(serve.stop(), 0);
}

}  // namespace

TEST(ServeSlowConsumer, OverMaxOutboundIsCutAndGetsEverythingOnReconnect) {
  slow_receiver_is_cut_and_loses_nothing({"--no-fsync", "--max-outbound", "1MiB"}, "--max-outbound");
}

TEST(ServeSlowConsumer, NoWriteProgressIsCutAndGetsEverythingOnReconnect) {
  slow_receiver_is_cut_and_loses_nothing({"--no-fsync", "--max-outbound", "1GiB", "--write-timeout", "1s"},
                                         "write progress");
}

TEST(ServeSlowConsumer, OfflineBacklogComesInPagesEachMessageOnce) {
  ServeProcess serve({"--no-fsync"});
  std::vector<int64_t> ids;
  {
    auto sender = login(serve.tcp(), "sender");
    ids = flood(*sender, "bob", 20000, 1000, "b");
  }
  ASSERT_EQ(ids.size(), 20000u);
  auto bob = login(serve.tcp(), "bob");
  auto got = receive_all(*bob, ids);
  EXPECT_EQ(got.ids.size(), ids.size());
  EXPECT_EQ(got.recvs, ids.size());  // nothing redelivered while it was still queued
  // Read in pages no larger than the window (default 512).
  auto pages = serve.events("offline");
  EXPECT_GE(pages.size(), 20000u / 512);
  for (auto& p : pages) EXPECT_LE(p["messages"].get<size_t>(), 512u) << p.dump();
  EXPECT_EQ(serve.stop(), 0);
}
