// End-to-end hardening of `wkit serve` (docs/serve.md "Hostile clients"):
// identities that would make person channels ambiguous, connections that
// stall the handshake, stores that are not wkit stores. Real processes, real
// sockets, real files; no timing assertions beyond generous upper bounds.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <boost/asio/ip/tcp.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "support/serve_process.hpp"
#include "support/wk_client.hpp"
#include "support/wkit_commands.hpp"

using namespace wkit;
using namespace wkit::testing;
using namespace std::chrono_literals;

namespace {

bool has_line(Process& p, const std::string& needle, std::chrono::milliseconds wait = 10s) {
  return p.wait_stderr([&](const std::string& l) { return l.find(needle) != std::string::npos; }, wait)
      .has_value();
}

namespace tcp = boost::asio::ip;

// A plain TCP connection to `url` (tcp:// or ws://) that writes only what the test says.
struct RawPeer {
  boost::asio::io_context io;
  tcp::tcp::socket sock{io};
  explicit RawPeer(const std::string& url) {
    std::string rest = url.substr(url.find("://") + 3);
    rest = rest.substr(0, rest.find('/'));
    auto colon = rest.rfind(':');
    sock.connect({tcp::make_address(rest.substr(0, colon)),
                  static_cast<unsigned short>(std::stoi(rest.substr(colon + 1)))});
  }
  // Writes `bytes` one at a time, `gap` apart, until the server closes the
  // connection; true if it did within `limit`.
  bool trickle_until_closed(const std::string& bytes, std::chrono::milliseconds gap, std::chrono::seconds limit) {
    auto end = std::chrono::steady_clock::now() + limit;
    size_t i = 0;
    while (std::chrono::steady_clock::now() < end) {
      boost::system::error_code ec;
      if (i < bytes.size()) boost::asio::write(sock, boost::asio::buffer(&bytes[i++], 1), ec);
      if (ec) return true;
      std::this_thread::sleep_for(gap);
      char c;
      sock.non_blocking(true);
      sock.read_some(boost::asio::buffer(&c, 1), ec);
      sock.non_blocking(false);
      if (ec && ec != boost::asio::error::would_block) return true;
    }
    return false;
  }
};

std::string connect_frame(const std::string& uid) {
  proto::Connect c;
  c.version = 6;
  c.uid = uid;
  c.token = "t";
  c.device_id = "d";
  std::string key = crypto::generate_keypair().public_base64();
  c.client_key = key;
  return proto::encode_frame(c, 6).value();
}

// The soft and hard "Max open files" of a running process.
std::pair<std::string, std::string> fd_limits(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/limits");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("Max open files", 0) != 0) continue;
    std::istringstream words(line.substr(14));
    std::string soft, hard;
    words >> soft >> hard;
    return {soft, hard};
  }
  return {};
}

std::string listening_url(Process& p) {
  auto line = p.wait_stdout([](const std::string& l) { return l.rfind("listening ", 0) == 0; });
  if (!line) throw std::runtime_error("wkit serve did not start: " + p.stderr_text());
  return line->substr(10);
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

// One connection that never sends its WebSocket upgrade request must not hold
// up the others (before: the upgrade ran in the accept loop, ~10 s each).
TEST(ServeHandshake, SilentConnectionsDoNotStallWebSocketClients) {
  ServeProcess srv({"--handshake-timeout", "60s"});
  std::vector<std::unique_ptr<RawPeer>> silent;
  for (int i = 0; i < 3; ++i) silent.push_back(std::make_unique<RawPeer>(srv.ws()));
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 3; ++i) {
    WkClient c(srv.ws());
    EXPECT_EQ(c.handshake("prompt" + std::to_string(i)).reason_code, 1);
  }
  // Three silent peers stalled the old accept loop for 30 s; far less here on any machine.
  EXPECT_LT(std::chrono::steady_clock::now() - start, 10s);
  EXPECT_TRUE(srv.events("upgrade_failed").empty());
}

TEST(ServeHandshake, TricklingConnectIsClosedAtTheDeadline) {
  ServeProcess srv({"--handshake-timeout", "1s"});
  RawPeer slow(srv.tcp());
  EXPECT_TRUE(slow.trickle_until_closed(connect_frame("slowpoke"), 200ms, 20s));
  EXPECT_TRUE(has_line(srv.process(), "handshake_timeout: connection from 127.0.0.1:"));
  auto ev = srv.events("handshake_timeout");
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0]["timeout_ms"], 1000);
  EXPECT_GT(ev[0]["bytes"].get<int>(), 0);
  // The same over WebSocket, stuck in the HTTP upgrade.
  RawPeer slow_ws(srv.ws());
  EXPECT_TRUE(slow_ws.trickle_until_closed("GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n", 200ms, 20s));
  EXPECT_TRUE(has_line(srv.process(), "upgrade_failed: WebSocket upgrade from 127.0.0.1:"));
  EXPECT_EQ(srv.events("upgrade_failed").size(), 1u);
  // Others are served as usual.
  auto ok = login(srv.ws(), "fine");
  EXPECT_EQ(srv.stop(), 0);
}

TEST(ServeHandshake, HandshakeTimeoutFlagIsValidated) {
  Process p({WKIT_BINARY, "serve", "--in-memory", "--listen", "tcp://127.0.0.1:0", "--handshake-timeout", "soon"});
  EXPECT_EQ(p.wait_exit(), 2);
  EXPECT_TRUE(has_line(p, "--handshake-timeout"));
}

TEST(ServeFdLimit, SoftLimitIsRaisedToTheHardLimit) {
  Process p({"/bin/sh", "-c", std::string("ulimit -S -n 100 && exec ") + WKIT_BINARY +
                                  " serve --in-memory --listen tcp://127.0.0.1:0"});
  listening_url(p);
  auto [soft, hard] = fd_limits(p.pid());
  ASSERT_FALSE(hard.empty());
  if (hard == "100") GTEST_SKIP() << "the hard limit is 100 here";
  EXPECT_EQ(soft, hard);
  EXPECT_EQ(p.signal_and_wait(SIGTERM), 0);
}

// At the fd limit accept() fails (EMFILE): one line, and the server serves
// again as soon as descriptors are free.
TEST(ServeFdLimit, AcceptAtTheFdLimitIsReportedAndRecovers) {
  TempDir dir;
  std::string events = (dir.path / "events.jsonl").string();
  Process p({"/bin/sh", "-c", std::string("ulimit -n 40 && exec ") + WKIT_BINARY +
                                  " serve --in-memory --listen tcp://127.0.0.1:0 --events " + events});
  std::string url = listening_url(p);
  std::vector<std::unique_ptr<RawPeer>> flood;
  for (int i = 0; i < 60; ++i) flood.push_back(std::make_unique<RawPeer>(url));
  EXPECT_TRUE(has_line(p, "accept_failed: accept on " + url + " failed: "));
  flood.clear();
  WkClient c(url);
  EXPECT_EQ(c.handshake("after-flood").reason_code, 1);
  EXPECT_EQ(p.signal_and_wait(SIGTERM), 0);
  int lines = 0;
  for (auto& l : p.stderr_lines()) lines += l.find("accept_failed") != std::string::npos;
  EXPECT_LE(lines, 3) << p.stderr_text();  // rate-limited, not one per attempt
}

// A data directory whose wkit.db belongs to something else: exit 4, one line
// saying what was found, and the file exactly as it was.
TEST(ServeStore, ForeignDatabaseIsRefusedUntouched) {
  TempDir dir;
  auto db_path = dir.path / "wkit.db";
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(db_path.c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db,
                           "CREATE TABLE message(id INTEGER PRIMARY KEY, text TEXT);"
                           "INSERT INTO message(text) VALUES ('precious');",
                           nullptr, nullptr, nullptr),
              SQLITE_OK);
    sqlite3_close(db);
  }
  std::filesystem::create_directories(dir.path / "zip");
  std::ofstream(dir.path / "zip" / "wkit.db") << "PK\x03\x04" << std::string(3000, 'z');
  for (auto data : {dir.path, dir.path / "zip"}) {
    auto file = data / "wkit.db";
    std::ifstream in(file, std::ios::binary);
    std::string before{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    auto mtime = std::filesystem::last_write_time(file);
    Process p({WKIT_BINARY, "serve", "--listen", "tcp://127.0.0.1:0", "--data", data.string()});
    EXPECT_EQ(p.wait_exit(), 4) << p.stderr_text();
    auto err = p.stderr_lines();
    ASSERT_EQ(err.size(), 1u) << p.stderr_text();
    EXPECT_NE(err[0].find("is not a wkit store"), std::string::npos) << err[0];
    EXPECT_NE(err[0].find(data == dir.path ? "table(s) message" : "not an SQLite database"), std::string::npos)
        << err[0];
    std::ifstream again(file, std::ios::binary);
    std::string after{std::istreambuf_iterator<char>(again), std::istreambuf_iterator<char>()};
    EXPECT_EQ(after, before);
    EXPECT_EQ(std::filesystem::last_write_time(file), mtime);
    EXPECT_FALSE(std::filesystem::exists(data / "wkit.db-wal"));
  }
}

// While the store cannot commit (another process holds SQLite's write lock)
// SENDs are refused, never acknowledged, and stderr says so.
TEST(ServeStore, SendsAreRefusedWhileTheStoreCannotCommit) {
  // No RECVACKs in this test (their store ops would be refused too): no redelivery either.
  ServeProcess srv({"--redeliver-interval", "10m"});
  auto bob = login(srv.tcp(), "bob");
  auto alice = login(srv.tcp(), "alice");
  alice->send("bob", kPerson, "first", 1, "s-1");
  auto a1 = alice->expect<proto::Sendack>();
  ASSERT_TRUE(a1);
  ASSERT_EQ(a1->reason_code, 1);
  auto m1 = bob->next_message();
  ASSERT_TRUE(m1);

  sqlite3* lock = nullptr;
  ASSERT_EQ(sqlite3_open((srv.data_dir() + "/wkit.db").c_str(), &lock), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(lock, "BEGIN EXCLUSIVE", nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(lock);
  alice->send("bob", kPerson, "while locked", 2, "s-2");
  auto a2 = alice->expect<proto::Sendack>(30s);  // after SQLite's 5 s busy timeout
  sqlite3_exec(lock, "ROLLBACK", nullptr, nullptr, nullptr);
  sqlite3_close(lock);
  ASSERT_TRUE(a2);
  EXPECT_EQ(a2->reason_code, 15);
  EXPECT_EQ(a2->message_id, 0);
  EXPECT_TRUE(has_line(srv.process(), "store_error: cannot store a SEND from uid 'alice'"));
  ASSERT_FALSE(srv.events("store_error").empty());

  // Once the lock is gone the same message goes through, and is the next thing bob sees.
  alice->send("bob", kPerson, "while locked", 3, "s-2");
  auto a3 = alice->expect<proto::Sendack>(30s);
  ASSERT_TRUE(a3);
  EXPECT_EQ(a3->reason_code, 1);
  auto m3 = bob->next_message();
  ASSERT_TRUE(m3);
  EXPECT_EQ(m3->plaintext, "while locked");
  EXPECT_EQ(srv.stop(), 0);
}

// The same accept-loop fix in `wkit proxy --listen ws://`.
TEST(ProxyHandshake, SilentConnectionsDoNotStallWebSocketClients) {
  ServeProcess serve({"--in-memory"});
  ProxyProcess proxy("ws://127.0.0.1:0", serve.tcp());
  std::vector<std::unique_ptr<RawPeer>> silent;
  for (int i = 0; i < 3; ++i) silent.push_back(std::make_unique<RawPeer>(proxy.url()));
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 3; ++i) {
    WkClient c(proxy.url());
    EXPECT_EQ(c.handshake("via-proxy" + std::to_string(i)).reason_code, 1);
  }
  // Three silent peers stalled the old accept loop for 30 s.
  EXPECT_LT(std::chrono::steady_clock::now() - start, 10s);
  EXPECT_EQ(proxy.stop(), 0);
}
