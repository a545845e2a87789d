#include "wkit/store/message_store.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <condition_variable>
#include <future>
#include <algorithm>
#include <map>

#include "../../support/temp_dir.hpp"
#include "wkit/store/idempotency_key.hpp"

using namespace wkit;
using namespace wkit::store;
namespace fs = std::filesystem;

namespace {

using wkit::testing::TempDir;

Message msg(std::string channel, uint64_t seq, int64_t id, std::string from, std::string cmn, std::string payload) {
  Message m;
  m.channel_id = std::move(channel);
  m.channel_type = 1;
  m.message_seq = seq;
  m.message_id = id;
  m.from_uid = std::move(from);
  m.client_msg_no = std::move(cmn);
  m.payload = std::move(payload);
  m.payload_hash = sha256(m.payload);
  m.timestamp = 1700000000;
  m.client_seq = static_cast<uint32_t>(seq);
  return m;
}

// Runs ops through a started store and returns them after their commit.
std::vector<Op> run_ops(MessageStore& s, std::vector<Op> ops) {
  std::promise<void> done;
  std::vector<Op> got;
  size_t want = ops.size();
  std::mutex mu;
  s.start([&](std::vector<Op>&& batch) {
    std::lock_guard lk(mu);
    for (auto& op : batch) got.push_back(std::move(op));
    if (got.size() == want) done.set_value();
  });
  s.submit(ops);
  done.get_future().wait();
  s.stop();
  return got;
}

// Runs `sql` on the store file of `o` (closed).
int run_sql(const Options& o, const char* sql) {
  sqlite3* db = nullptr;
  sqlite3_open((fs::path(o.dir) / kDbFileName).c_str(), &db);
  int rc = sqlite3_exec(db, sql, nullptr, nullptr, nullptr);
  sqlite3_close(db);
  return rc;
}

// Creates the store file of `o` (then closes it) and runs `sql` on it.
int create_then_run_sql(const Options& o, const char* sql) {
  if (!MessageStore::open(o).ok()) return SQLITE_ERROR;
  return run_sql(o, sql);
}

// The contract tests run on both backends: the SQLite file and --in-memory.
enum class Backend { file, memory };

class StoreContract : public ::testing::TestWithParam<Backend> {
 protected:
  Options options(bool dedup = true) {
    Options o;
    o.dedup = dedup;
    if (GetParam() == Backend::memory) o.in_memory = true;
    else o.dir = (dir_.path / "data").string();
    return o;
  }
  std::unique_ptr<MessageStore> open(bool dedup = true) {
    auto s = MessageStore::open(options(dedup));
    EXPECT_TRUE(s.ok()) << s.error().message;
    return s.ok() ? std::move(*s) : nullptr;
  }
  TempDir dir_;
};

std::string backend_name(const ::testing::TestParamInfo<Backend>& i) {
  return i.param == Backend::file ? "SqliteFile" : "InMemory";
}

Op append(std::string channel, uint64_t seq, int64_t id, std::string from, std::string cmn, std::string payload,
          std::vector<std::string> recipients, uint8_t type = 1) {
  Op op;
  op.message = msg(std::move(channel), seq, id, std::move(from), std::move(cmn), std::move(payload));
  op.message.channel_type = type;
  op.recipients = std::move(recipients);
  op.idempotent = true;  // as the server marks a SEND under --dedup on
  return op;
}

Op ack(std::string uid, int64_t id) {
  Op op;
  op.kind = Op::Kind::ack;
  op.uid = std::move(uid);
  op.message_id = id;
  return op;
}

Op load(std::string uid) {
  Op op;
  op.kind = Op::Kind::load_pending;
  op.uid = std::move(uid);
  return op;
}

}  // namespace

INSTANTIATE_TEST_SUITE_P(Backends, StoreContract, ::testing::Values(Backend::file, Backend::memory), backend_name);

TEST(Store, Sha256Hex) {
  EXPECT_EQ(hex32(sha256("abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Store, AppendCommitReopenLoad) {
  TempDir t;
  Options o;
  o.dir = (t.path / "data").string();
  {
    auto s = MessageStore::open(o);
    ASSERT_TRUE(s.ok()) << s.error().message;
    std::vector<Op> ops;
    for (int i = 1; i <= 3; ++i) {
      Op op;
      op.message = msg("a@b", i, 100 + i, "a", "cmn" + std::to_string(i), "p" + std::to_string(i));
      op.recipients = {"b"};
      op.tag = i;
      ops.push_back(std::move(op));
    }
    Op g;
    g.message = msg("g1", 1, 200, "a", "", "group");
    g.message.channel_type = 2;
    g.recipients = {"b", "c"};
    ops.push_back(std::move(g));
    auto got = run_ops(**s, std::move(ops));
    ASSERT_EQ(got.size(), 4u);
    for (auto& op : got) EXPECT_FALSE(op.failed) << op.error;
    EXPECT_EQ(got[0].tag, 1u);  // order preserved
  }
  EXPECT_TRUE(fs::exists(t.path / "data" / kDbFileName));
  auto s = MessageStore::open(o);
  ASSERT_TRUE(s.ok()) << s.error().message;
  std::map<std::string, uint64_t> heads;
  ASSERT_FALSE((*s)->load_heads([&](const ChannelHead& h) { heads[h.channel_id] = h.last_seq; }));
  EXPECT_EQ(heads, (std::map<std::string, uint64_t>{{"a@b", 3}, {"g1", 1}}));
  std::vector<DedupRow> rows;
  ASSERT_FALSE((*s)->load_dedup(UINT64_MAX, [&](const DedupRow& r) { rows.push_back(r); }));
  ASSERT_EQ(rows.size(), 3u);  // the empty client_msg_no is not an idempotency key
  EXPECT_EQ(rows[0].payload_hash, sha256("p" + std::to_string(rows[0].message_seq)));
  // The latest N, oldest first.
  std::vector<DedupRow> latest;
  ASSERT_FALSE((*s)->load_dedup(2, [&](const DedupRow& r) { latest.push_back(r); }));
  ASSERT_EQ(latest.size(), 2u);
  EXPECT_EQ(latest[0].message_id, rows[1].message_id);
  EXPECT_EQ(latest[1].message_id, rows[2].message_id);
  EXPECT_EQ((*s)->max_message_id().value(), 200);
  EXPECT_EQ((*s)->message_count().value(), 4u);
}

TEST_P(StoreContract, PendingDeliveryAckAndOrder) {
  auto s = open();
  ASSERT_TRUE(s);
  std::vector<Op> ops;
  // Inserted out of order; the load returns message_seq order per channel.
  for (uint64_t seq : {2, 1, 3}) {
    Op op;
    op.message = msg("a@b", seq, 10 + seq, "a", "m" + std::to_string(seq), "x");
    op.recipients = {"b"};
    ops.push_back(std::move(op));
  }
  Op ack;
  ack.kind = Op::Kind::ack;
  ack.uid = "b";
  ack.message_id = 12;
  ops.push_back(std::move(ack));
  Op load;
  load.kind = Op::Kind::load_pending;
  load.uid = "b";
  ops.push_back(std::move(load));
  Op none;
  none.kind = Op::Kind::load_pending;
  none.uid = "a";
  ops.push_back(std::move(none));
  auto got = run_ops(*s, std::move(ops));
  ASSERT_EQ(got.size(), 6u);
  ASSERT_FALSE(got[4].failed) << got[4].error;
  ASSERT_EQ(got[4].loaded.size(), 2u);
  EXPECT_EQ(got[4].loaded[0].message_seq, 1u);
  EXPECT_EQ(got[4].loaded[1].message_seq, 3u);
  EXPECT_EQ(got[4].loaded[1].message_id, 13);
  EXPECT_EQ(got[4].loaded[1].payload, "x");
  EXPECT_EQ(got[4].loaded[1].client_msg_no, "m3");
  EXPECT_TRUE(got[5].loaded.empty());
}

// The in-memory store refuses a repeated key itself; the file store leaves
// that to the server (its window and find_dedup) and indexes what it stored.
TEST(Store, InMemoryRefusesARepeatedKey) {
  Options o;
  o.in_memory = true;
  auto s = MessageStore::open(o);
  ASSERT_TRUE(s.ok());
  std::vector<Op> ops(4);
  ops[0].message = msg("a@b", 1, 1, "a", "same", "x");
  ops[1].message = msg("a@b", 2, 2, "a", "same", "x");
  // A send that is never de-duplicated (HTTP API, 2.x shapes) is stored again.
  ops[2].message = msg("a@b", 3, 3, "a", "same", "x");
  ops[3].message = msg("a@b", 4, 4, "a", "same", "x");
  ops[0].idempotent = ops[1].idempotent = true;
  auto got = run_ops(**s, std::move(ops));
  EXPECT_FALSE(got[0].failed);
  EXPECT_TRUE(got[1].failed);
  EXPECT_NE(got[1].error.find("UNIQUE"), std::string::npos) << got[1].error;
  EXPECT_FALSE(got[2].failed) << got[2].error;
  EXPECT_FALSE(got[3].failed) << got[3].error;
}

TEST(Store, DedupOffStoresResendsAndThenDedupOnRefusesTheFile) {
  TempDir t;
  Options o;
  o.dir = t.path.string();
  o.dedup = false;
  {
    auto s = MessageStore::open(o);
    ASSERT_TRUE(s.ok());
    std::vector<Op> ops(2);
    ops[0].message = msg("a@b", 1, 1, "a", "same", "x");
    ops[1].message = msg("a@b", 2, 2, "a", "same", "x");
    auto got = run_ops(**s, std::move(ops));
    EXPECT_FALSE(got[1].failed) << got[1].error;
  }
  o.dedup = true;
  auto s = MessageStore::open(o);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().kind, ErrorKind::bad_input);
  EXPECT_NE(s.error().message.find("--dedup off"), std::string::npos);
}

TEST(Store, UnwritableDirectoryIsAnEnvironmentError) {
  if (geteuid() == 0) {
    // root ignores permissions: use a path under a regular file instead.
    TempDir t;
    std::ofstream(t.path / "file") << "x";
    Options o;
    o.dir = (t.path / "file" / "sub").string();
    auto s = MessageStore::open(o);
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.error().kind, ErrorKind::internal);
    EXPECT_NE(s.error().message.find("file/sub"), std::string::npos) << s.error().message;
    return;
  }
  TempDir t;
  fs::permissions(t.path, fs::perms::owner_read | fs::perms::owner_exec);
  Options o;
  o.dir = t.path.string();
  auto s = MessageStore::open(o);
  fs::permissions(t.path, fs::perms::owner_all);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().kind, ErrorKind::internal);
}

TEST(Store, NotADatabaseIsBadInput) {
  TempDir t;
  std::ofstream(t.path / kDbFileName) << std::string(4096, 'z');
  Options o;
  o.dir = t.path.string();
  auto s = MessageStore::open(o);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().kind, ErrorKind::bad_input);
  EXPECT_NE(s.error().message.find(kDbFileName), std::string::npos);
}

TEST(Store, NewerSchemaIsRefused) {
  TempDir t;
  Options o;
  o.dir = t.path.string();
  ASSERT_EQ(create_then_run_sql(o, "UPDATE wkit_meta SET value='99' WHERE key='schema_version'"), SQLITE_OK);
  auto s = MessageStore::open(o);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().kind, ErrorKind::bad_input);
  EXPECT_NE(s.error().message.find("99"), std::string::npos);
}

TEST_P(StoreContract, BatchesKeepOrderAndIsolateAFailingRow) {
  auto s = open();
  ASSERT_TRUE(s);
  std::vector<Op> ops;
  for (int i = 1; i <= 40; ++i) {
    Op op;
    // #20 repeats #5's message_id (a primary key): inside the second 16-row run.
    op.message = msg("a@b", i, i == 20 ? 1005 : 1000 + i, "a", "k" + std::to_string(i), "p" + std::to_string(i));
    op.recipients = {"b"};
    op.tag = i;
    ops.push_back(std::move(op));
  }
  Op load;
  load.kind = Op::Kind::load_pending;
  load.uid = "b";
  ops.push_back(std::move(load));
  auto got = run_ops(*s, std::move(ops));
  ASSERT_EQ(got.size(), 41u);
  for (int i = 0; i < 40; ++i) {
    EXPECT_EQ(got[i].tag, static_cast<uint64_t>(i + 1));
    EXPECT_EQ(got[i].failed, i + 1 == 20) << i + 1 << " " << got[i].error;
  }
  ASSERT_EQ(got[40].loaded.size(), 39u);
  EXPECT_EQ(got[40].loaded[18].message_seq, 19u);
  EXPECT_EQ(got[40].loaded[19].message_seq, 21u);
  EXPECT_EQ(got[40].loaded[39 - 1].payload, "p40");
  EXPECT_EQ(hex32(got[40].loaded[0].payload_hash), hex32(sha256("p1")));
}

// Batches come back complete, in commit order, and only once their rows are
// committed (visible to another connection).
TEST(Store, DurableBatchesComeBackInOrderAndCommitted) {
  TempDir t;
  Options o;
  o.dir = (t.path / "data").string();
  auto s = MessageStore::open(o);
  ASSERT_TRUE(s.ok()) << s.error().message;
  const std::string db_path = (t.path / "data" / kDbFileName).string();
  std::mutex mu;
  std::condition_variable cv;
  std::vector<uint64_t> tags;
  bool all_visible = true;
  constexpr int kWaves = 40, kPerWave = 25;
  (*s)->start([&](std::vector<Op>&& batch) {
    // A separate connection must already see the last row of the batch.
    sqlite3* db = nullptr;
    sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
    sqlite3_stmt* st = nullptr;
    sqlite3_prepare_v2(db, "SELECT count(*) FROM message WHERE message_id = ?", -1, &st, nullptr);
    sqlite3_bind_int64(st, 1, batch.back().message.message_id);
    bool visible = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0) == 1;
    sqlite3_finalize(st);
    sqlite3_close(db);
    std::lock_guard lk(mu);
    all_visible = all_visible && visible;
    for (auto& op : batch) {
      EXPECT_FALSE(op.failed) << op.error;
      tags.push_back(op.tag);
    }
    cv.notify_one();
  });
  uint64_t n = 0;
  for (int w = 0; w < kWaves; ++w) {
    std::vector<Op> ops;
    for (int i = 0; i < kPerWave; ++i) {
      ++n;
      Op op;
      op.message = msg("a@b", n, static_cast<int64_t>(1000 + n), "a", "c" + std::to_string(n), "p");
      op.recipients = {"b"};
      op.tag = n;
      ops.push_back(std::move(op));
    }
    (*s)->submit(ops);
  }
  {
    std::unique_lock lk(mu);
    ASSERT_TRUE(cv.wait_for(lk, std::chrono::seconds(60), [&] { return tags.size() == n; }));
  }
  (*s)->stop();
  EXPECT_TRUE(all_visible);
  for (size_t i = 0; i < tags.size(); ++i) ASSERT_EQ(tags[i], i + 1) << "commit order";
  EXPECT_TRUE(fs::exists(db_path + "-wal"));
}

std::optional<DedupRow> find_key(MessageStore& s, uint8_t type, const std::string& channel, const std::string& from,
                                 const std::string& cmn) {
  std::string k;
  idempotency_key(k, type, channel, from, cmn);
  auto r = s.find_dedup(k, idempotency_hash(k));
  EXPECT_TRUE(r.ok()) << r.error().message;
  return r.ok() ? *r : std::nullopt;
}

TEST_P(StoreContract, KeysDifferInAnyPartAndEmptyClientMsgNoIsNotAKey) {
  auto s = open();
  ASSERT_TRUE(s);
  const bool memory = GetParam() == Backend::memory;
  std::vector<Op> ops;
  int64_t id = 0;
  // Same parts, split differently: distinct keys.
  ops.push_back(append("ab", 1, ++id, "c", "k", "x", {"c"}));
  ops.push_back(append("a", 1, ++id, "bc", "k", "x", {"bc"}));
  // Same channel id, other channel type: distinct.
  ops.push_back(append("ab", 1, ++id, "c", "k", "x", {"c"}, 2));
  // Empty client_msg_no twice: stored twice.
  ops.push_back(append("ab", 2, ++id, "c", "", "x", {"c"}));
  ops.push_back(append("ab", 3, ++id, "c", "", "x", {"c"}));
  // Enough keys to grow any table, then (in memory) a repeat of an early one.
  for (int i = 0; i < 3000; ++i) ops.push_back(append("g", i + 1, ++id, "u", "n" + std::to_string(i), "p", {"v"}));
  if (memory) ops.push_back(append("g", 3001, ++id, "u", "n7", "p", {"v"}));
  auto got = run_ops(*s, std::move(ops));
  ASSERT_EQ(got.size(), memory ? 3006u : 3005u);
  for (size_t i = 0; i < 3005; ++i) ASSERT_FALSE(got[i].failed) << i << " " << got[i].error;
  if (memory) {
    EXPECT_TRUE(got.back().failed);
  }
  EXPECT_EQ(s->message_count().value(), 3005u);
  EXPECT_EQ(s->max_message_id().value(), 3005);
  if (memory) return;
  // The file's index tells every key apart and names its message.
  EXPECT_EQ(find_key(*s, 1, "ab", "c", "k")->message_id, 1);
  EXPECT_EQ(find_key(*s, 1, "a", "bc", "k")->message_id, 2);
  EXPECT_EQ(find_key(*s, 2, "ab", "c", "k")->message_id, 3);
  EXPECT_FALSE(find_key(*s, 1, "ab", "c", ""));
  auto n7 = find_key(*s, 1, "g", "u", "n7");
  ASSERT_TRUE(n7);
  EXPECT_EQ(n7->message_id, 13);
  EXPECT_EQ(n7->message_seq, 8u);
  EXPECT_EQ(n7->payload_hash, sha256("p"));
  EXPECT_FALSE(find_key(*s, 1, "g", "u", "n3000"));
  uint64_t hashes = 0;
  ASSERT_FALSE(s->for_each_dedup_hash([&](uint64_t) { ++hashes; }));
  EXPECT_EQ(hashes, 3003u);
}

TEST_P(StoreContract, DedupOffStoresTheSameKeyAgain) {
  auto s = open(/*dedup=*/false);
  ASSERT_TRUE(s);
  std::vector<Op> ops;
  ops.push_back(append("a@b", 1, 1, "a", "same", "x", {"b"}));
  ops.push_back(append("a@b", 2, 2, "a", "same", "x", {"b"}));
  ops.push_back(load("b"));
  auto got = run_ops(*s, std::move(ops));
  EXPECT_FALSE(got[1].failed) << got[1].error;
  ASSERT_EQ(got[2].loaded.size(), 2u);
  EXPECT_EQ(got[2].loaded[1].message_id, 2);
}

// Many pending rows for one uid, most acked out of order: what is left loads
// in (channel_type, channel_id, message_seq) order with every field intact.
TEST_P(StoreContract, ManyAcksLeaveExactlyTheUnackedInOrder) {
  auto s = open();
  ASSERT_TRUE(s);
  std::vector<Op> ops;
  int64_t id = 100;
  // Two channels interleaved; group channel (type 2) to two recipients.
  for (int i = 1; i <= 200; ++i) {
    ops.push_back(append("z@r", i, ++id, "z", "z" + std::to_string(i), "pz" + std::to_string(i), {"r"}));
    ops.push_back(append("grp", i, ++id, "q", "g" + std::to_string(i), "pg" + std::to_string(i), {"r", "w"}, 2));
  }
  // Ack, newest first, every message except seq % 7 == 0 on both channels;
  // ack one twice and ack ids that are not pending for r.
  for (int64_t m = id; m > 100; --m) {
    int seq = static_cast<int>((m - 101) / 2 + 1);
    if (seq % 7 != 0) ops.push_back(ack("r", m));
  }
  ops.push_back(ack("r", 102));
  ops.push_back(ack("r", 99999));
  ops.push_back(ack("nobody", 101));
  ops.push_back(load("r"));
  ops.push_back(load("w"));
  auto got = run_ops(*s, std::move(ops));
  const auto& r = got[got.size() - 2].loaded;
  const auto& w = got.back().loaded;
  ASSERT_EQ(r.size(), 2u * (200 / 7));
  // In message_id order (the channels interleave as they were appended).
  for (size_t i = 0; i < r.size(); ++i) {
    bool person = i % 2 == 0;
    uint64_t seq = 7 * (i / 2 + 1);
    if (i > 0) ASSERT_GT(r[i].message_id, r[i - 1].message_id) << i;
    ASSERT_EQ(r[i].channel_id, person ? "z@r" : "grp") << i;
    ASSERT_EQ(r[i].message_seq, seq) << i;
    EXPECT_EQ(r[i].payload, (person ? "pz" : "pg") + std::to_string(seq));
    EXPECT_EQ(r[i].client_msg_no, (person ? "z" : "g") + std::to_string(seq));
    EXPECT_EQ(r[i].from_uid, person ? "z" : "q");
    EXPECT_EQ(r[i].payload_hash, sha256(r[i].payload));
    EXPECT_EQ(r[i].timestamp, 1700000000);
  }
  ASSERT_EQ(w.size(), 200u);  // w never acked
  EXPECT_EQ(w.front().message_seq, 1u);
  EXPECT_EQ(w.back().message_seq, 200u);
}

// Offline messages are read in pages: message_id > cursor, at most `limit`,
// acked ones skipped; pages together give every pending message once.
TEST_P(StoreContract, PendingPagesFollowTheCursor) {
  auto s = open();
  ASSERT_TRUE(s);
  std::mutex mu;
  std::condition_variable cv;
  std::vector<Op> back;
  s->start([&](std::vector<Op>&& batch) {
    std::lock_guard lk(mu);
    for (auto& op : batch) back.push_back(std::move(op));
    cv.notify_one();
  });
  auto run = [&](std::vector<Op> ops) {
    size_t want = ops.size();
    s->submit(ops);
    std::unique_lock lk(mu);
    EXPECT_TRUE(cv.wait_for(lk, std::chrono::seconds(10), [&] { return back.size() == want; }));
    std::vector<Op> got;
    got.swap(back);
    return got;
  };
  std::vector<Op> ops;
  for (int i = 1; i <= 50; ++i)
    ops.push_back(append("a@b", i, 1000 + i, "a", "k" + std::to_string(i), "p" + std::to_string(i), {"b"}));
  for (int i = 1; i <= 50; i += 5) ops.push_back(ack("b", 1000 + i));  // 40 stay pending
  run(std::move(ops));
  std::vector<int64_t> seen;
  int64_t cursor = 0;
  for (int page = 0; page < 20; ++page) {
    std::vector<Op> one;
    one.push_back(load("b"));
    one.back().message_id = cursor;
    one.back().limit = 7;
    auto got = run(std::move(one));
    ASSERT_EQ(got.size(), 1u);
    ASSERT_FALSE(got[0].failed) << got[0].error;
    const auto& l = got[0].loaded;
    ASSERT_LE(l.size(), 7u);
    for (const auto& m : l) {
      EXPECT_GT(m.message_id, cursor);
      EXPECT_NE((m.message_id - 1000) % 5, 1) << "acked message " << m.message_id << " loaded";
      seen.push_back(m.message_id);
      cursor = m.message_id;
    }
    if (l.size() < 7) break;
  }
  ASSERT_EQ(seen.size(), 40u);
  EXPECT_TRUE(std::is_sorted(seen.begin(), seen.end()));
  EXPECT_EQ(std::adjacent_find(seen.begin(), seen.end()), seen.end());
  std::vector<Op> all;
  all.push_back(load("b"));  // limit 0: everything pending
  auto got = run(std::move(all));
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].loaded.size(), 40u);
  s->stop();
}

TEST(Store, InMemoryKeepsNoFile) {
  TempDir t;
  Options o;
  o.in_memory = true;
  o.dir = (t.path / "data").string();
  auto s = MessageStore::open(o);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ((*s)->path(), ":memory:");
  std::vector<Op> ops;
  ops.push_back(append("a@b", 1, 1, "a", "k", "x", {"b"}));
  EXPECT_FALSE(run_ops(**s, std::move(ops))[0].failed);
  EXPECT_FALSE(fs::exists(t.path / "data"));
}

// Counts rows of the file of `o` with `sql` (a SELECT of one integer).
int64_t query_int(const Options& o, const char* sql) {
  sqlite3* db = nullptr;
  sqlite3_open_v2((fs::path(o.dir) / kDbFileName).c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
  sqlite3_stmt* st = nullptr;
  int64_t v = -1;
  if (sqlite3_prepare_v2(db, sql, -1, &st, nullptr) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
    v = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  sqlite3_close(db);
  return v;
}

std::vector<Op> keyed_appends(int first_id, int n, const std::string& prefix) {
  std::vector<Op> ops;
  for (int i = 0; i < n; ++i)
    ops.push_back(append("a@b", first_id + i, first_id + i, "a", prefix + std::to_string(i), "x", {"b"}));
  return ops;
}

// Opens the store of `o`, appends keyed_appends(first_id, n, prefix) and
// closes it.
void append_and_close(const Options& o, int first_id, int n, const std::string& prefix) {
  auto s = MessageStore::open(o);
  ASSERT_TRUE(s.ok()) << s.error().message;
  for (auto& op : run_ops(**s, keyed_appends(first_id, n, prefix))) ASSERT_FALSE(op.failed) << op.error;
}

Options file_options(const TempDir& t) {
  Options o;
  o.dir = t.path.string();
  return o;
}

// Runs vectors through a started store one at a time: each is its own
// group commit, followed by the store's housekeeping (a merge slice).
class BatchRunner {
 public:
  explicit BatchRunner(MessageStore& s) : s_(s) {
    s_.start([this](std::vector<Op>&& batch) {
      std::lock_guard lk(mu_);
      last_ = std::move(batch);
      ++done_;
      cv_.notify_all();
    });
  }
  std::vector<Op> run(std::vector<Op> ops) {
    std::unique_lock lk(mu_);
    const size_t want = done_ + 1;
    lk.unlock();
    s_.submit(ops);
    lk.lock();
    cv_.wait(lk, [&] { return done_ >= want; });
    return std::move(last_);
  }

 private:
  MessageStore& s_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Op> last_;
  size_t done_ = 0;
};

// Every key the file stored is in its index after a restart, with what a
// resend is answered with (message_id, message_seq, payload hash).
TEST(Store, IndexFindsEveryKeyAfterReopen) {
  TempDir t;
  Options o = file_options(t);
  append_and_close(o, 1, 300, "k");
  EXPECT_TRUE(fs::is_directory(t.path / kKeysDirName));
  auto s = MessageStore::open(o);
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_TRUE((*s)->dedup_on_disk());
  for (int i = 0; i < 300; ++i) {
    auto r = find_key(**s, 1, "a@b", "a", "k" + std::to_string(i));
    ASSERT_TRUE(r) << i;
    EXPECT_EQ(r->message_id, i + 1);
    EXPECT_EQ(r->message_seq, static_cast<uint64_t>(i + 1));
    EXPECT_EQ(r->client_msg_no, "k" + std::to_string(i));
  }
  EXPECT_FALSE(find_key(**s, 1, "a@b", "a", "k300"));
  EXPECT_FALSE(find_key(**s, 1, "a@b", "b", "k1"));  // another sender
  // Keys committed while running are found as soon as the batch is back.
  BatchRunner r(**s);
  for (auto& op : r.run(keyed_appends(301, 5, "new"))) ASSERT_FALSE(op.failed) << op.error;
  EXPECT_EQ(find_key(**s, 1, "a@b", "a", "new4")->message_id, 305);
  (*s)->stop();
}

// What a crash leaves (messages committed after the index's mark) is
// indexed when the file is next opened, as is a missing index; a repeated
// key there refuses the file like a --dedup off store does.
TEST(Store, MessagesTheIndexMissedAreIndexedAtStartup) {
  TempDir t;
  Options o = file_options(t);
  append_and_close(o, 1, 2, "k");
  const char* tail =
      "INSERT INTO message SELECT channel_id, channel_type, message_seq + 2, message_id + 2, framer_flags, setting, "
      "msg_key, expire, client_seq, 'tail' || client_msg_no, stream_no, timestamp, topic, from_uid, payload_hash, "
      "payload_size, payload, server_timestamp_ms FROM message";
  ASSERT_EQ(run_sql(o, tail), SQLITE_OK);
  {
    auto s = MessageStore::open(o);
    ASSERT_TRUE(s.ok()) << s.error().message;
    EXPECT_EQ(find_key(**s, 1, "a@b", "a", "tailk1")->message_id, 4);
    EXPECT_EQ(find_key(**s, 1, "a@b", "a", "k1")->message_id, 2);
  }
  fs::remove_all(t.path / kKeysDirName);
  {
    auto s = MessageStore::open(o);
    ASSERT_TRUE(s.ok()) << s.error().message;
    EXPECT_EQ(find_key(**s, 1, "a@b", "a", "k0")->message_id, 1);
    EXPECT_EQ(find_key(**s, 1, "a@b", "a", "tailk0")->message_id, 3);
  }
  // Now a tail that repeats an indexed key (only a store written by a
  // broken server could hold it).
  ASSERT_EQ(run_sql(o, "INSERT INTO message SELECT channel_id, channel_type, 9, 9, framer_flags, setting, msg_key, "
                      "expire, client_seq, client_msg_no, stream_no, timestamp, topic, from_uid, payload_hash, "
                      "payload_size, payload, server_timestamp_ms FROM message WHERE message_id = 1"),
            SQLITE_OK);
  auto s = MessageStore::open(o);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().kind, ErrorKind::bad_input);
  EXPECT_NE(s.error().message.find("messages 1 and 9"), std::string::npos) << s.error().message;
}

// Files of older versions kept the index in the file (schema_version 1: a
// unique index on `message`; 2: the table message_idempotency); opening one
// drops it and builds DIR/wkit.keys.
TEST(Store, OlderFilesAreMigrated) {
  TempDir t;
  Options o = file_options(t);
  ASSERT_EQ(create_then_run_sql(o,
                                "UPDATE wkit_meta SET value = '1' WHERE key = 'schema_version';"
                                "CREATE UNIQUE INDEX message_idempotency_idx ON "
                                "message(channel_id, channel_type, from_uid, client_msg_no) WHERE client_msg_no <> '';"
                                "CREATE TABLE message_idempotency (client_msg_no TEXT, from_uid TEXT, channel_id TEXT, "
                                "channel_type INTEGER, message_id INTEGER, PRIMARY KEY (client_msg_no, from_uid, "
                                "channel_id, channel_type)) WITHOUT ROWID;"
                                "INSERT INTO wkit_meta VALUES ('idempotency_through', '8');"
                                "INSERT INTO message VALUES ('a@b', 1, 1, 7, 0, 0, '', 0, 1, 'old-1', '', 0, '', 'a', "
                                "'', 1, x'00', 0), ('a@b', 1, 2, 8, 0, 0, '', 0, 2, 'old-2', '', 0, '', 'a', '', 1, "
                                "x'00', 0)"),
            SQLITE_OK);
  fs::remove_all(t.path / kKeysDirName);
  auto s = MessageStore::open(o);
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(query_int(o, "SELECT count(*) FROM sqlite_master WHERE name LIKE 'message_idempotency%'"), 0);
  EXPECT_EQ(query_int(o, "SELECT count(*) FROM wkit_meta WHERE key = 'idempotency_through'"), 0);
  EXPECT_EQ(query_int(o, "SELECT CAST(value AS INTEGER) FROM wkit_meta WHERE key = 'schema_version'"), 2);
  EXPECT_EQ(find_key(**s, 1, "a@b", "a", "old-2")->message_id, 8);
  EXPECT_EQ(find_key(**s, 1, "a@b", "a", "old-1")->message_id, 7);
}

// New files get 16 KiB pages; files that already have content keep theirs.
TEST(Store, NewFilesGet16KiBPagesAndOlderFilesKeepTheirs) {
  TempDir t;
  Options o;
  o.dir = (t.path / "new").string();
  {
    auto s = MessageStore::open(o);
    ASSERT_TRUE(s.ok());
  }
  EXPECT_EQ(query_int(o, "PRAGMA page_size"), 16384);

  o.dir = (t.path / "old").string();
  fs::create_directories(o.dir);
  sqlite3* db = nullptr;
  sqlite3_open((fs::path(o.dir) / kDbFileName).c_str(), &db);
  ASSERT_EQ(sqlite3_exec(db, "PRAGMA page_size=4096; CREATE TABLE wkit_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  auto s = MessageStore::open(o);
  ASSERT_TRUE(s.ok()) << s.error().message;
  auto got = run_ops(**s, keyed_appends(1, 40, "k"));
  for (auto& op : got) ASSERT_FALSE(op.failed) << op.error;
  s->reset();
  EXPECT_EQ(query_int(o, "PRAGMA page_size"), 4096);
}

// --dedup off keeps no index (resends are stored again); --dedup on later
// builds it from every message.
TEST(Store, DedupOffRemovesTheIndexAndDedupOnRebuildsIt) {
  TempDir t;
  Options o = file_options(t);
  append_and_close(o, 1, 2, "k");
  o.dedup = false;
  append_and_close(o, 3, 2, "off");
  EXPECT_FALSE(fs::exists(t.path / kKeysDirName));
  o.dedup = true;
  auto s = MessageStore::open(o);
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(find_key(**s, 1, "a@b", "a", "off1")->message_id, 4);
  EXPECT_EQ(find_key(**s, 1, "a@b", "a", "k0")->message_id, 1);
}

// Many small submitted vectors applied together (as with many connections):
// each comes back whole and in order, and a repeated key fails only its own
// op even when the multi-row runs span vectors.
TEST_P(StoreContract, SmallVectorsAppliedTogetherComeBackWhole) {
  auto s = open();
  ASSERT_TRUE(s);
  constexpr int kVectors = 12, kPer = 5;
  int n = 0;
  for (int v = 0; v < kVectors; ++v) {  // queued before start(): one apply takes them all
    std::vector<Op> ops;
    for (int i = 0; i < kPer; ++i) {
      ++n;
      std::string cmn = n == 23 ? "k9" : "k" + std::to_string(n);  // 23 repeats 9, in another vector
      Op op = append("a@b", n, 1000 + n, "a", cmn, "p" + std::to_string(n), {"b"});
      op.tag = n;
      ops.push_back(std::move(op));
    }
    s->submit(ops);
  }
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::vector<uint64_t>> got;
  std::vector<uint64_t> failed;
  s->start([&](std::vector<Op>&& batch) {
    std::lock_guard lk(mu);
    got.emplace_back();
    for (auto& op : batch) {
      got.back().push_back(op.tag);
      if (op.failed) failed.push_back(op.tag);
    }
    cv.notify_one();
  });
  {
    std::unique_lock lk(mu);
    ASSERT_TRUE(cv.wait_for(lk, std::chrono::seconds(60), [&] { return got.size() == kVectors; }));
  }
  s->stop();
  for (int v = 0; v < kVectors; ++v) {
    ASSERT_EQ(got[v].size(), static_cast<size_t>(kPer));
    for (int i = 0; i < kPer; ++i) EXPECT_EQ(got[v][i], static_cast<uint64_t>(v * kPer + i + 1));
  }
  // Only the in-memory store refuses the repeat itself (the server never
  // sends the file store one).
  const bool memory = GetParam() == Backend::memory;
  EXPECT_EQ(failed, memory ? std::vector<uint64_t>{23} : std::vector<uint64_t>{});
  EXPECT_EQ(s->message_count().value(), static_cast<uint64_t>(memory ? n - 1 : n));
}
