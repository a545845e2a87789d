#pragma once
// Message identifiers (docs/protocol.md sections 4-5).
//
// client_msg_no: 32 lowercase hex characters (128 random bits) from a fast
// thread-local std::mt19937_64 seeded from std::random_device; the SDKs use
// 32 hex chars too. Not cryptographic: uniqueness is what matters.
//
// message_id: Snowflake-style 64-bit id, 41-bit milliseconds since an epoch,
// 10-bit node id, 12-bit sequence (the layout of bwmarrin/snowflake, which
// WuKongIM uses, with its default epoch 2010-11-04T01:42:54.657Z).
#include <atomic>
#include <cstdint>
#include <string>

namespace wkit::util {

inline constexpr size_t kClientMsgNoLength = 32;

// Writes exactly 32 lowercase hex characters to `out` (no terminator, no allocation).
void random_client_msg_no(char* out);
std::string random_client_msg_no();

struct SnowflakeParts {
  int64_t unix_ms = 0;  // milliseconds since 1970 (epoch + time field)
  uint16_t node = 0;
  uint16_t sequence = 0;
};

// Thread-safe (one atomic compare-exchange per id) and strictly increasing
// even when the wall clock steps back: time never goes below the last id's
// time, and when 4096 ids are used within one millisecond the generator
// borrows the next millisecond instead of waiting.
class SnowflakeGenerator {
 public:
  static constexpr int64_t kDefaultEpochMs = 1288834974657;
  static constexpr int kNodeBits = 10, kSequenceBits = 12, kTimeBits = 41;
  static constexpr uint16_t kMaxNode = (1u << kNodeBits) - 1;

  // node_id above 1023 is masked to 10 bits.
  explicit SnowflakeGenerator(uint16_t node_id, int64_t epoch_ms = kDefaultEpochMs);

  int64_t next();                       // uses the system clock
  int64_t next_at(int64_t unix_ms);     // explicit clock (tests, replays)

  uint16_t node() const { return node_; }
  int64_t epoch_ms() const { return epoch_ms_; }
  SnowflakeParts split(int64_t id) const;

 private:
  int64_t epoch_ms_;
  uint16_t node_;
  std::atomic<int64_t> last_{-1};  // the last id handed out; -1 = none yet
};

}  // namespace wkit::util
