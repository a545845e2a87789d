#include "wkit/store/message_store.hpp"

#define OPENSSL_SUPPRESS_DEPRECATED  // SHA256_Init and friends, see sha256()
#include <openssl/sha.h>

#include <chrono>

#include "memory_store.hpp"
#include "sqlite_store.hpp"

namespace wkit::store {

std::array<uint8_t, 32> sha256(std::string_view bytes) {
  // OpenSSL 3's one-shot SHA256() fetches the algorithm from the provider on
  // every call (~470 ns for a 64-byte payload); the low-level functions on a
  // stack context take ~110 ns and never allocate (the server hashes every
  // SEND). Deprecated in 3.0 but present, like the MD5 ones crypto/ uses.
  std::array<uint8_t, 32> h{};
  SHA256_CTX c;
  SHA256_Init(&c);
  SHA256_Update(&c, bytes.data(), bytes.size());
  SHA256_Final(h.data(), &c);
  return h;
}

std::string hex32(const std::array<uint8_t, 32>& h) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s(64, '0');
  for (size_t i = 0; i < 32; ++i) {
    s[2 * i] = kHex[h[i] >> 4];
    s[2 * i + 1] = kHex[h[i] & 15];
  }
  return s;
}

Result<std::unique_ptr<MessageStore>> MessageStore::open(const Options& opts) {
  if (opts.in_memory) return std::unique_ptr<MessageStore>(new MemoryStore(opts));
  auto s = SqliteStore::open(opts);
  if (!s) return s.error();
  return std::unique_ptr<MessageStore>(std::move(*s));
}

MessageStore::~MessageStore() { stop(); }

void MessageStore::start(BatchDone done) {
  done_ = std::move(done);
  thread_ = std::thread([this] { run(); });
}

void MessageStore::submit(Op op) {
  std::lock_guard lk(mu_);
  if (stopping_) return;
  bool was_empty = queue_.empty();
  if (was_empty) queue_.emplace_back();
  queue_.back().push_back(std::move(op));
  if (was_empty) cv_.notify_one();
}

void MessageStore::submit(std::vector<Op>& ops) {
  if (ops.empty()) return;
  {
    std::lock_guard lk(mu_);
    if (!stopping_) {
      bool was_empty = queue_.empty();
      queue_.push_back(std::move(ops));
      if (was_empty) cv_.notify_one();
    }
  }
  ops.clear();
}

void MessageStore::stop() {
  {
    std::lock_guard lk(mu_);
    if (stopping_ && !thread_.joinable()) return;
    stopping_ = true;
  }
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void MessageStore::run() {
  std::vector<std::vector<Op>> batches;
  for (;;) {
    {
      std::unique_lock lk(mu_);
      cv_.wait(lk, [&] { return !queue_.empty() || stopping_; });
      if (queue_.empty() && stopping_) return;
      batches.swap(queue_);
    }
    const auto t0 = std::chrono::steady_clock::now();
    apply(batches);
    commit_latency_.add(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    ++transactions_;
    for (auto& b : batches)
      if (done_) done_(std::move(b));
    batches.clear();
    after_batches();
  }
}

}  // namespace wkit::store
