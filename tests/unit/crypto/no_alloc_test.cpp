// The hot path (seal/open/msg_key) must not allocate once buffers are warm:
// neither through operator new nor through OpenSSL's allocator.
#include <gtest/gtest.h>
#include <openssl/crypto.h>

#include <atomic>
#include <cstdlib>
#include <new>

#include "wkit/crypto/crypto.hpp"

namespace {
std::atomic<long> g_new_calls{0};
std::atomic<long> g_ossl_calls{0};

void* ossl_malloc(size_t n, const char*, int) {
  g_ossl_calls.fetch_add(1, std::memory_order_relaxed);
  return std::malloc(n);
}
void* ossl_realloc(void* p, size_t n, const char*, int) {
  g_ossl_calls.fetch_add(1, std::memory_order_relaxed);
  return std::realloc(p, n);
}
void ossl_free(void* p, const char*, int) { std::free(p); }

// Must run before OpenSSL allocates anything (OpenSSL refuses later).
const bool g_ossl_hooked = CRYPTO_set_mem_functions(ossl_malloc, ossl_realloc, ossl_free) == 1;
}  // namespace

void* operator new(size_t n) {
  g_new_calls.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }

TEST(CipherHotPath, NoAllocationOnceWarm) {
  ASSERT_TRUE(g_ossl_hooked) << "OpenSSL allocated before the hook was installed";
  namespace wc = wkit::crypto;
  wc::Cipher c(wc::SessionKeys::from_strings("6a42aec326f7c192", "abcdefghijklmnop").value());
  const std::string payload(100, 'p');
  std::string wire, plain, key;
  auto round = [&] {
    wire.clear();
    plain.clear();
    c.seal(payload, wire);
    auto err = c.open(wire, plain);
    ASSERT_FALSE(err.has_value());
    c.send_msg_key(42, "0123456789abcdef0123456789abcdef", "some-channel", 2, wire, key);
    c.recv_msg_key(300000000000000001, 10, "0123456789abcdef0123456789abcdef", 1700000000, "alice",
                   "some-channel", 2, wire, key);
  };
  round();  // warm the buffers
  long new_before = g_new_calls.load(), ossl_before = g_ossl_calls.load();
  for (int i = 0; i < 100; ++i) round();
  EXPECT_EQ(g_new_calls.load() - new_before, 0);
  EXPECT_EQ(g_ossl_calls.load() - ossl_before, 0);
  EXPECT_EQ(plain, payload);
}
