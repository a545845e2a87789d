// Session crypto hot path: seal/open of a 100-byte payload and the SEND/RECV
// msg_key, against a naive baseline measured in the same run (a fresh OpenSSL
// context and fresh strings per call). Counters report allocations per
// operation, both C++ (operator new) and OpenSSL (CRYPTO_malloc/realloc).
//
//   build-rel/tests/bench_crypto --benchmark_min_time=0.5
#include <benchmark/benchmark.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <atomic>
#include <cstdlib>
#include <new>

#include "wkit/crypto/crypto.hpp"

// Our operator new is malloc-based, so free() in operator delete matches it.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

namespace {
std::atomic<long> g_new{0}, g_ossl{0};

void* ossl_malloc(size_t n, const char*, int) {
  g_ossl.fetch_add(1, std::memory_order_relaxed);
  return std::malloc(n);
}
void* ossl_realloc(void* p, size_t n, const char*, int) {
  g_ossl.fetch_add(1, std::memory_order_relaxed);
  return std::realloc(p, n);
}
void ossl_free(void* p, const char*, int) { std::free(p); }
const bool g_hooked = CRYPTO_set_mem_functions(ossl_malloc, ossl_realloc, ossl_free) == 1;
}  // namespace

void* operator new(size_t n) {
  g_new.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }

namespace {
namespace wc = wkit::crypto;

const wc::SessionKeys& keys() {
  static const wc::SessionKeys k = wc::SessionKeys::from_strings("6a42aec326f7c192", "abcdefghijklmnop").value();
  return k;
}
const std::string kPayload(100, 'p');
const std::string kMsgNo = "0123456789abcdef0123456789abcdef";

// Allocation counters per iteration, measured over the timed loop.
struct AllocMeter {
  benchmark::State& st;
  long new0 = g_new.load(), ossl0 = g_ossl.load();
  explicit AllocMeter(benchmark::State& s) : st(s) {}
  ~AllocMeter() {
    double n = static_cast<double>(st.iterations());
    st.counters["new/op"] = static_cast<double>(g_new.load() - new0) / n;
    st.counters["ossl_alloc/op"] = g_hooked ? static_cast<double>(g_ossl.load() - ossl0) / n : -1;
  }
};

// --- the naive approach: everything fresh per call -------------------------
std::string naive_aes(std::string_view plain, bool encrypt) {
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  EVP_CipherInit_ex(ctx, EVP_aes_128_cbc(), nullptr, keys().key.data(), keys().iv.data(), encrypt ? 1 : 0);
  std::string out(plain.size() + 16, '\0');
  int n1 = 0, n2 = 0;
  EVP_CipherUpdate(ctx, reinterpret_cast<unsigned char*>(out.data()), &n1,
                   reinterpret_cast<const unsigned char*>(plain.data()), static_cast<int>(plain.size()));
  EVP_CipherFinal_ex(ctx, reinterpret_cast<unsigned char*>(out.data()) + n1, &n2);
  EVP_CIPHER_CTX_free(ctx);
  out.resize(static_cast<size_t>(n1 + n2));
  return out;
}
std::string naive_seal(std::string_view plain) { return wc::base64_encode(naive_aes(plain, true)); }
std::string naive_open(std::string_view wire) { return naive_aes(wc::base64_decode(wire).value(), false); }
std::string naive_msg_key(const std::string& verity) { return wc::md5_hex(naive_seal(verity)); }

// --- benchmarks ----------------------------------------------------------------
void BM_Seal100(benchmark::State& st) {
  wc::Cipher c(keys());
  std::string wire;
  c.seal(kPayload, wire);
  AllocMeter m(st);
  for (auto _ : st) {
    wire.clear();
    c.seal(kPayload, wire);
    benchmark::DoNotOptimize(wire.data());
  }
}
void BM_Seal100_Naive(benchmark::State& st) {
  AllocMeter m(st);
  for (auto _ : st) benchmark::DoNotOptimize(naive_seal(kPayload));
}

void BM_Open100(benchmark::State& st) {
  wc::Cipher c(keys());
  std::string wire, plain;
  c.seal(kPayload, wire);
  (void)c.open(wire, plain);
  AllocMeter m(st);
  for (auto _ : st) {
    plain.clear();
    auto err = c.open(wire, plain);
    benchmark::DoNotOptimize(err);
    benchmark::DoNotOptimize(plain.data());
  }
}
void BM_Open100_Naive(benchmark::State& st) {
  std::string wire = naive_seal(kPayload);
  AllocMeter m(st);
  for (auto _ : st) benchmark::DoNotOptimize(naive_open(wire));
}

void BM_SendMsgKey(benchmark::State& st) {
  wc::Cipher c(keys());
  std::string wire, key;
  c.seal(kPayload, wire);
  c.send_msg_key(42, kMsgNo, "channel-1", 2, wire, key);
  AllocMeter m(st);
  for (auto _ : st) {
    c.send_msg_key(42, kMsgNo, "channel-1", 2, wire, key);
    benchmark::DoNotOptimize(key.data());
  }
}
void BM_SendMsgKey_Naive(benchmark::State& st) {
  std::string wire = naive_seal(kPayload);
  AllocMeter m(st);
  for (auto _ : st) {
    std::string verity = std::to_string(42u) + kMsgNo + "channel-1" + std::to_string(2) + wire;
    benchmark::DoNotOptimize(naive_msg_key(verity));
  }
}

void BM_RecvMsgKey(benchmark::State& st) {
  wc::Cipher c(keys());
  std::string wire, key;
  c.seal(kPayload, wire);
  c.recv_msg_key(300000000000000001, 10, kMsgNo, 1700000000, "alice", "channel-1", 2, wire, key);
  AllocMeter m(st);
  for (auto _ : st) {
    c.recv_msg_key(300000000000000001, 10, kMsgNo, 1700000000, "alice", "channel-1", 2, wire, key);
    benchmark::DoNotOptimize(key.data());
  }
}
void BM_RecvMsgKey_Naive(benchmark::State& st) {
  std::string wire = naive_seal(kPayload);
  AllocMeter m(st);
  for (auto _ : st) {
    std::string verity = std::to_string(300000000000000001LL) + std::to_string(10ULL) + kMsgNo +
                         std::to_string(1700000000) + "alice" + "channel-1" + std::to_string(2) + wire;
    benchmark::DoNotOptimize(naive_msg_key(verity));
  }
}

}  // namespace

BENCHMARK(BM_Seal100);
BENCHMARK(BM_Seal100_Naive);
BENCHMARK(BM_Open100);
BENCHMARK(BM_Open100_Naive);
BENCHMARK(BM_SendMsgKey);
BENCHMARK(BM_SendMsgKey_Naive);
BENCHMARK(BM_RecvMsgKey);
BENCHMARK(BM_RecvMsgKey_Naive);
BENCHMARK_MAIN();
