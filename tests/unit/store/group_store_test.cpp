// Groups kept by the store (Op::Kind::set_group, load_groups): the SQLite
// file's wkit_group table across a reopen; the in-memory store keeps none.
#include <gtest/gtest.h>

#include <future>
#include <map>
#include <mutex>

#include "../../support/temp_dir.hpp"
#include "wkit/store/message_store.hpp"

using namespace wkit::store;

namespace {

Op set_group(std::string id, std::vector<std::string> members) {
  Op op;
  op.kind = Op::Kind::set_group;
  op.message.channel_id = std::move(id);
  op.recipients = std::move(members);
  return op;
}

// Runs `ops` through a started store; returns them after their commit.
std::vector<Op> run(MessageStore& s, std::vector<Op> ops) {
  std::promise<void> done;
  std::vector<Op> got;
  const size_t want = ops.size();
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

std::map<std::string, std::vector<std::string>> groups_of(MessageStore& s) {
  std::map<std::string, std::vector<std::string>> out;
  EXPECT_FALSE(s.load_groups([&](const std::string& id, std::vector<std::string>&& m) { out[id] = std::move(m); }));
  return out;
}

TEST(GroupStore, TheFileKeepsTheLastMemberListOfEachGroup) {
  wkit::testing::TempDir dir;
  Options o;
  o.dir = dir.path.string();
  {
    auto s = MessageStore::open(o);
    ASSERT_TRUE(s) << s.error().message;
    EXPECT_TRUE(groups_of(**s).empty());
    auto done = run(**s, {set_group("g1", {"alice", "bob"}), set_group("g2", {"carol"}),
                          set_group("g1", {"bob", "dave"}), set_group("g3", {})});
    for (auto& op : done) EXPECT_FALSE(op.failed) << op.error;
  }
  auto s = MessageStore::open(o);
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(groups_of(**s), (std::map<std::string, std::vector<std::string>>{
                                {"g1", {"bob", "dave"}}, {"g2", {"carol"}}, {"g3", {}}}));
}

TEST(GroupStore, TheInMemoryStoreKeepsNone) {
  Options o;
  o.in_memory = true;
  auto s = MessageStore::open(o);
  ASSERT_TRUE(s);
  auto done = run(**s, {set_group("g1", {"alice"})});
  EXPECT_FALSE(done.at(0).failed);
  EXPECT_TRUE(groups_of(**s).empty());
}

}  // namespace
