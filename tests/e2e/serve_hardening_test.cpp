// End-to-end hardening of `wkit serve` (docs/serve.md "Hostile clients"):
// identities that would make person channels ambiguous, connections that
// stall the handshake, stores that are not wkit stores. Real processes, real
// sockets, real files; no timing assertions beyond generous upper bounds.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <boost/asio/ip/tcp.hpp>
#include <fstream>

#include "support/serve_process.hpp"
#include "support/wk_client.hpp"

using namespace wkit;
using namespace wkit::testing;
using namespace std::chrono_literals;

namespace {

constexpr uint8_t kPerson = 1;

std::unique_ptr<WkClient> login(const std::string& url, const std::string& uid) {
  auto c = std::make_unique<WkClient>(url);
  auto ack = c->handshake(uid);
  EXPECT_EQ(ack.reason_code, 1) << uid;
  return c;
}

bool has_line(Process& p, const std::string& needle, std::chrono::milliseconds wait = 10s) {
  return p.wait_stderr([&](const std::string& l) { return l.find(needle) != std::string::npos; }, wait)
      .has_value();
}

}  // namespace

// The reported misdelivery: `bob@example.com` writing to alice was stored as
// channel bob@example.com@alice and delivered live to the online user bob.
TEST(ServeIdentity, UidWithAtIsRefusedAndNothingReachesAnotherUser) {
  ServeProcess srv;
  auto bob = login(srv.tcp(), "bob");
  auto alice = login(srv.ws(), "alice");
  for (const std::string& url : {srv.tcp(), srv.ws()}) {
    WkClient fake(url);
    auto a = fake.handshake("bob@example.com");
    EXPECT_EQ(a.reason_code, 2) << url;  // auth_fail
    EXPECT_TRUE(fake.wait_closed()) << url;
  }
  for (std::string uid : {"a#b", "a&b"}) EXPECT_EQ(WkClient(srv.tcp()).handshake(uid).reason_code, 2) << uid;
  EXPECT_TRUE(has_line(srv.process(), "connect_refused: CONNECT from 127.0.0.1:"));
  auto refused = srv.events("connect_refused");
  ASSERT_FALSE(refused.empty());
  EXPECT_EQ(refused[0]["uid"], "bob@example.com");
  EXPECT_EQ(refused[0]["reason"], 2);
  EXPECT_NE(refused[0]["why"].get<std::string>().find("'@'"), std::string::npos) << refused[0].dump();

  // Person SENDs naming such a uid are refused (channel_id_error) and never stored.
  alice->send("bob@example.com", kPerson, "not for bob", 1, "c-1");
  auto a1 = alice->expect<proto::Sendack>();
  ASSERT_TRUE(a1);
  EXPECT_EQ(a1->reason_code, 16);
  EXPECT_EQ(a1->message_id, 0);
  alice->send("bob", kPerson, "for bob", 2, "c-2");
  auto a2 = alice->expect<proto::Sendack>();
  ASSERT_TRUE(a2);
  EXPECT_EQ(a2->reason_code, 1);
  // bob's first RECV is the one meant for him: nothing else arrived before it.
  auto m = bob->next_message();
  ASSERT_TRUE(m);
  EXPECT_EQ(m->plaintext, "for bob");
  EXPECT_EQ(m->recv.from_uid, "alice");
  EXPECT_EQ(srv.stop(), 0);

  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open_v2((srv.data_dir() + "/wkit.db").c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(db, "SELECT COUNT(*), SUM(channel_id LIKE '%@%@%') FROM message", -1, &st, nullptr);
  ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int64(st, 0), 1);
  EXPECT_EQ(sqlite3_column_int64(st, 1), 0);
  sqlite3_finalize(st);
  sqlite3_close(db);
}
