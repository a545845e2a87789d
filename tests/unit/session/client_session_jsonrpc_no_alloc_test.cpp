// The JSON-RPC client hot path (send, its result, a recv and its recvack)
// allocates nothing once the session's buffers are warm, like the binary one.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <string>
#include <vector>

#include "wkit/session/client_session.hpp"

namespace {
std::atomic<long> g_new_calls{0};
}  // namespace

void* operator new(size_t n) {
  g_new_calls.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }

using namespace wkit::session;

TEST(ClientSessionJsonrpcHotPath, NoAllocationOnceWarm) {
  ClientConfig cfg;
  cfg.uid = "alice";
  cfg.token = "tok";
  cfg.device_id = "dev";
  cfg.jsonrpc = true;
  ClientSession s(cfg);
  std::string out;
  s.encode_connect(1, out);
  s.feed(R"({"id":"c-1","result":{"reasonCode":1}})");
  ASSERT_TRUE(s.poll().has_value());
  ASSERT_EQ(s.state(), ClientSession::State::connected);

  constexpr int kRounds = 1000;
  // Request ids: c-1, then per round one send "s-<n>" and nothing else
  // (recvack is a notification at 2.2.3).
  std::vector<std::string> answers;
  for (int i = 0; i < kRounds + 10; ++i)
    answers.push_back(R"({"jsonrpc":"2.0","id":"s-)" + std::to_string(i + 2) +
                      R"(","result":{"messageId":")" + std::to_string(1000 + i) +
                      R"(","messageSeq":)" + std::to_string(i + 1) + R"(,"reasonCode":1}})"
                      "\n"
                      R"({"jsonrpc":"2.0","method":"recv","params":{"messageId":"77","messageSeq":3,)"
                      R"("channelId":"alice","channelType":1,"fromUid":"bob","clientMsgNo":"c9","payload":"aGVsbG8="}})");
  const std::string payload(64, 'p');
  SendSpec spec;
  spec.channel_id = "bob";
  spec.client_msg_no = "0123456789abcdef0123456789abcdef";
  spec.payload = payload;
  out.reserve(1 << 16);
  int acks = 0, recvs = 0;
  auto round = [&](int i) {
    out.clear();
    spec.client_seq = uint32_t(i + 1);
    ASSERT_TRUE(s.encode_send(spec, out).ok());
    s.feed(answers[size_t(i)]);
    while (auto ev = s.poll()) {
      if (auto* a = std::get_if<SendackEvent>(&*ev)) {
        acks += a->frame.client_seq == uint32_t(i + 1);
      } else if (auto* r = std::get_if<RecvEvent>(&*ev)) {
        recvs += r->plaintext == "hello";
        s.encode_recvack(r->frame.message_id, r->frame.message_seq, out);
      }
    }
  };
  for (int i = 0; i < 10; ++i) round(i);  // warm the buffers
  const long before = g_new_calls.load();
  ASSERT_GT(before, 0) << "the operator new hook is not in use";
  for (int i = 10; i < kRounds + 10; ++i) round(i);
  EXPECT_EQ(g_new_calls.load() - before, 0);
  EXPECT_EQ(acks, kRounds + 10);
  EXPECT_EQ(recvs, kRounds + 10);
}
