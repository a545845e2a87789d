// Identity in `wkit serve`: a uid that could make a person channel id
// ambiguous ('@', '#', '&', empty) is refused at CONNECT and as the target of
// a person SEND, and no message ever reaches a connection whose uid is not
// the message's recipient. Sans-I/O: ServerHub and ServerSessions fed bytes
// directly, the in-memory store's thread as the only concurrency.
#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>
#include <random>

#include "wkit/app/server_hub.hpp"
#include "wkit/proto/codec.hpp"
#include "wkit/util/channel.hpp"

using namespace wkit;
using session::Now;
using session::ServerSession;

namespace {

Now clock_now() { return Now{1000, 1'700'000'000'000}; }

// One client connection: the server's session of it and the frames it got.
struct TestPeer final : app::Peer, session::FrameSink {
  TestPeer(uint64_t id, const session::ServerSessionConfig& cfg, app::ServerHub& hub)
      : sess(id, cfg, hub, *this, clock_now()) {}
  ServerSession& session() override { return sess; }
  void poke() override {}
  const std::string& remote() const override { return remote_; }
  std::string& buffer() override { return buf; }
  void commit() override {
    frames.push_back(buf);
    buf.clear();
  }
  ServerSession sess;
  std::string buf, remote_ = "test";
  std::vector<std::string> frames;
};

// A hub over an in-memory store; settle() runs every queued op through the
// store and hands the results back, as the server's I/O thread does.
struct Harness {
  app::ServerOptions opts;
  session::ServerSessionConfig cfg;
  std::unique_ptr<store::MessageStore> store;
  std::unique_ptr<app::ServerHub> hub;
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::vector<store::Op>> done;
  std::vector<std::unique_ptr<TestPeer>> peers;
  static constexpr uint64_t kMarker = ~uint64_t{0};

  Harness() {
    cfg.redeliver_max = 0;
    store::Options so;
    so.in_memory = true;
    store = std::move(store::MessageStore::open(so).value());
    hub = std::make_unique<app::ServerHub>(opts, *store, nullptr, &clock_now, [] {}, nullptr);
    EXPECT_FALSE(hub->load().has_value());
    store->start([this](std::vector<store::Op>&& b) {
      std::lock_guard lk(mu);
      done.push_back(std::move(b));
      cv.notify_one();
    });
  }
  ~Harness() { store->stop(); }

  void settle() {
    for (int round = 0; round < 4; ++round) {
      hub->flush();
      store::Op marker;
      marker.kind = store::Op::Kind::load_pending;
      marker.tag = kMarker;
      store->submit(std::move(marker));
      for (bool seen = false; !seen;) {
        std::vector<std::vector<store::Op>> batches;
        {
          std::unique_lock lk(mu);
          ASSERT_TRUE(cv.wait_for(lk, std::chrono::seconds(10), [&] { return !done.empty(); }));
          batches.swap(done);
        }
        for (auto& b : batches) {
          for (auto& op : b) seen |= op.tag == kMarker;
          hub->on_committed(std::move(b));
        }
      }
    }
  }

  TestPeer& connect(const std::string& uid) {
    peers.push_back(std::make_unique<TestPeer>(peers.size() + 1, cfg, *hub));
    TestPeer& p = *peers.back();
    hub->attach(p);
    proto::Connect c;
    c.version = 6;
    c.device_flag = 1;
    c.device_id = "d";
    c.uid = uid;
    c.token = "t";
    std::string key = crypto::generate_keypair().public_base64();
    c.client_key = key;
    p.sess.feed(proto::encode_frame(c, 6).value(), clock_now());
    return p;
  }

  static void send(TestPeer& p, const std::string& to, uint32_t seq, const std::string& payload) {
    proto::Send s;
    s.setting.bits = proto::Setting::kNoEncrypt;
    s.client_seq = seq;
    const std::string client_msg_no = "m" + std::to_string(p.sess.id()) + "-" + std::to_string(seq);
    s.client_msg_no = client_msg_no;  // a view: the string must outlive the encode
    s.channel_id = to;
    s.channel_type = util::channel_type::person;
    s.payload.data = payload;
    p.sess.feed(proto::encode_frame(s, 6).value(), clock_now());
  }
};

template <class T>
std::vector<proto::OwnedFrame> frames_of(const TestPeer& p) {
  std::vector<proto::OwnedFrame> out;
  for (const auto& bytes : p.frames) {
    auto f = proto::OwnedFrame::from_bytes(bytes, p.sess.version());
    if (f && std::holds_alternative<T>(f->frame())) out.push_back(std::move(*f));
  }
  return out;
}

uint8_t connack_reason(const TestPeer& p) {
  auto f = proto::OwnedFrame::from_bytes(p.frames.at(0), p.sess.state() == ServerSession::State::open ? 6 : 5);
  return f ? std::get<proto::Connack>(f->frame()).reason_code : 255;
}

}  // namespace

TEST(UidRule, RefusesWhatMakesPersonChannelsAmbiguous) {
  for (std::string_view ok : {"alice", "bob.example.com", "日本", "a b", "x_y-z"})
    EXPECT_EQ(util::uid_problem(ok), "") << ok;
  for (std::string_view bad : {"", "bob@example.com", "@", "a#b", "a&b", "alice@"})
    EXPECT_NE(util::uid_problem(bad), "") << bad;
}

// The reported misdelivery: bob@example.com writes to alice while bob is online.
TEST(ServerHubIdentity, UidWithAtIsRefusedAndNothingReachesBob) {
  Harness h;
  TestPeer& bob = h.connect("bob");
  TestPeer& alice = h.connect("alice");
  TestPeer& fake = h.connect("bob@example.com");
  h.settle();
  EXPECT_EQ(connack_reason(bob), 1);
  EXPECT_EQ(connack_reason(alice), 1);
  EXPECT_EQ(connack_reason(fake), 2);
  EXPECT_TRUE(fake.sess.closed());
  // alice writing to the '@' uid is refused (channel_id_error), never stored.
  Harness::send(alice, "bob@example.com", 1, "for bob@example.com");
  Harness::send(alice, "example.com@alice", 2, "for example.com@alice");
  h.settle();
  auto acks = frames_of<proto::Sendack>(alice);
  ASSERT_EQ(acks.size(), 2u);
  for (auto& a : acks) EXPECT_EQ(std::get<proto::Sendack>(a.frame()).reason_code, 16);
  EXPECT_EQ(h.store->message_count().value(), 0u);
  EXPECT_TRUE(frames_of<proto::Recv>(bob).empty());
  EXPECT_EQ(h.hub->trouble_log().count("connect_refused"), 1u);
}

// Property: random uids made of '@', '#', '&', unicode and empty parts; every
// RECV goes only to a connection whose uid is the one the SEND named, and
// every accepted SEND to an online other user reaches it.
TEST(ServerHubIdentity, EveryMessageReachesOnlyItsRecipient) {
  const std::vector<std::string> parts = {"", "a", "b", "bob", "alice", "@", "#", "&", "é", "日本", "x@y", ".", " "};
  for (uint32_t seed = 1; seed <= 40; ++seed) {
    std::mt19937 rng(seed);
    auto random_uid = [&] {
      std::string uid;
      for (int n = std::uniform_int_distribution<int>(0, 3)(rng); n > 0; --n)
        uid += parts[std::uniform_int_distribution<size_t>(0, parts.size() - 1)(rng)];
      return uid;
    };
    std::vector<std::string> uids = {"bob", "alice", "bob@alice", "alice@bob"};
    while (uids.size() < 10) uids.push_back(random_uid());
    Harness h;
    std::vector<TestPeer*> online;
    for (auto& uid : uids) {
      if (std::find_if(online.begin(), online.end(), [&](TestPeer* p) { return p->sess.uid() == uid; }) !=
          online.end())
        continue;  // one connection per uid
      TestPeer& p = h.connect(uid);
      ASSERT_FALSE(p.frames.empty()) << "seed " << seed;
      const bool valid = util::uid_problem(uid).empty();
      EXPECT_EQ(connack_reason(p), valid ? 1 : 2) << "seed " << seed << " uid '" << uid << "'";
      if (connack_reason(p) == 1) online.push_back(&p);
    }
    h.settle();
    std::map<std::string, int> expected;  // uid -> RECVs it must get
    for (TestPeer* p : online) p->frames.clear();
    uint32_t seq = 0;
    for (TestPeer* from : online) {
      for (int i = 0; i < 5; ++i) {
        std::string to = std::uniform_int_distribution<int>(0, 2)(rng) == 0
                             ? random_uid()
                             : uids[std::uniform_int_distribution<size_t>(0, uids.size() - 1)(rng)];
        Harness::send(*from, to, ++seq, to);  // the payload names the recipient
        if (util::uid_problem(to).empty() && to != from->sess.uid()) {
          bool to_online = false;
          for (TestPeer* p : online) to_online |= p->sess.uid() == to;
          if (to_online) ++expected[to];
        }
      }
    }
    h.settle();
    std::map<std::string, int> got;
    for (TestPeer* p : online) {
      for (auto& f : frames_of<proto::Recv>(*p)) {
        const auto& r = std::get<proto::Recv>(f.frame());
        EXPECT_EQ(std::string(r.payload.data), p->sess.uid())
            << "seed " << seed << ": a message from '" << r.from_uid << "' for '" << r.payload.data
            << "' reached '" << p->sess.uid() << "'";
        EXPECT_EQ(std::string(r.channel_id), std::string(r.from_uid)) << "seed " << seed;
        ++got[p->sess.uid()];
      }
      EXPECT_EQ(frames_of<proto::Sendack>(*p).size(), 5u) << "seed " << seed << ": one SENDACK per SEND";
      for (auto& f : frames_of<proto::Sendack>(*p)) {
        auto reason = std::get<proto::Sendack>(f.frame()).reason_code;
        EXPECT_TRUE(reason == 1 || reason == 16) << "seed " << seed << " reason " << int(reason);
      }
    }
    EXPECT_EQ(got, expected) << "seed " << seed;
  }
}
