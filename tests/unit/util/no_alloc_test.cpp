// Hot-path helpers must not allocate: Histogram::record, the buffer variant
// of random_client_msg_no, Snowflake ids and person_channel_id_to once warm.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>

#include "wkit/util/channel.hpp"
#include "wkit/util/histogram.hpp"
#include "wkit/util/ids.hpp"

namespace {
std::atomic<long> g_new_calls{0};
}

void* operator new(size_t n) {
  g_new_calls.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }

TEST(UtilHotPath, NoAllocationOnceWarm) {
  wkit::util::Histogram h;
  wkit::util::SnowflakeGenerator g(1);
  char msg_no[32];
  std::string channel;
  wkit::util::random_client_msg_no(msg_no);  // seeds the thread-local RNG
  wkit::util::person_channel_id_to("some-long-user-id-alice", "some-long-user-id-bob", channel);
  long before = g_new_calls.load();
  int64_t last = 0;
  for (uint64_t i = 0; i < 10000; ++i) {
    h.record(i * 7919);
    wkit::util::random_client_msg_no(msg_no);
    last = g.next();
    wkit::util::person_channel_id_to("some-long-user-id-alice", "some-long-user-id-bob", channel);
  }
  EXPECT_EQ(g_new_calls.load() - before, 0);
  EXPECT_EQ(h.count(), 10000u);
  EXPECT_GT(last, 0);
}
