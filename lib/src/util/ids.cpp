// client_msg_no and Snowflake message_id generation (ids.hpp).
#include "wkit/util/ids.hpp"

#include <algorithm>
#include <chrono>
#include <random>

namespace wkit::util {
namespace {

std::mt19937_64& thread_rng() {
  thread_local std::mt19937_64 rng = [] {
    std::random_device rd;
    std::seed_seq seq{rd(), rd(), rd(), rd(), rd(), rd(), rd(), rd()};
    return std::mt19937_64(seq);
  }();
  return rng;
}

constexpr char kHex[] = "0123456789abcdef";

}  // namespace

void random_client_msg_no(char* out) {
  auto& rng = thread_rng();
  for (int half = 0; half < 2; ++half) {
    uint64_t bits = rng();
    for (int i = 0; i < 16; ++i) out[half * 16 + i] = kHex[(bits >> (4 * i)) & 15];
  }
}

std::string random_client_msg_no() {
  std::string s(kClientMsgNoLength, '0');
  random_client_msg_no(s.data());
  return s;
}

SnowflakeGenerator::SnowflakeGenerator(uint16_t node_id, int64_t epoch_ms)
    : epoch_ms_(epoch_ms), node_(node_id & kMaxNode) {}

int64_t SnowflakeGenerator::next() {
  auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::system_clock::now().time_since_epoch());
  return next_at(now.count());
}

int64_t SnowflakeGenerator::next_at(int64_t unix_ms) {
  constexpr int64_t kSeqMask = (int64_t{1} << kSequenceBits) - 1;
  constexpr int kTimeShift = kNodeBits + kSequenceBits;
  const int64_t now = std::max<int64_t>(unix_ms - epoch_ms_, 0);
  int64_t last = last_.load(std::memory_order_relaxed);
  for (;;) {
    int64_t last_ms = last >> kTimeShift;
    int64_t ms = std::max(now, last_ms);
    int64_t seq = 0;
    if (ms == last_ms) {
      seq = (last & kSeqMask) + 1;
      if (seq > kSeqMask) {  // sequence exhausted: borrow the next millisecond
        ++ms;
        seq = 0;
      }
    }
    int64_t id = (ms << kTimeShift) | (int64_t{node_} << kSequenceBits) | seq;
    if (last_.compare_exchange_weak(last, id, std::memory_order_relaxed)) return id;
  }
}

SnowflakeParts SnowflakeGenerator::split(int64_t id) const {
  SnowflakeParts p;
  p.unix_ms = (id >> (kNodeBits + kSequenceBits)) + epoch_ms_;
  p.node = static_cast<uint16_t>((id >> kSequenceBits) & kMaxNode);
  p.sequence = static_cast<uint16_t>(id & ((1 << kSequenceBits) - 1));
  return p;
}

}  // namespace wkit::util
