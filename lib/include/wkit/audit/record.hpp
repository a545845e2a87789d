#pragma once
// The per-message summary every audit input is reduced to. Fixed-size and
// trivially copyable so millions of them sort in place and spill to disk as
// raw bytes; strings live elsewhere (channel/sender names interned once,
// client_msg_no in the StringLog) and are referred to by 64-bit hashes.
#include <cstdint>
#include <optional>
#include <string_view>
#include <type_traits>

namespace wkit::audit {

enum RecordFlag : uint8_t {
  kHasMessageId = 1,
  kHasClientMsgNo = 2,
  kHasSeq = 4,
  kDeleted = 8,  // is_deleted = 1 in a client SDK store
};

// The three groupings every finding is computed from. A record takes part in
// a grouping when its bit is set in Record::kinds (sharding clears bits).
enum Grouping : uint8_t {
  kByClientMsgNo = 1,  // duplicate_client_msg_no
  kByMessageId = 2,    // message_id_collision, duplicate_row
  kByChannel = 4,      // seq_anomaly, suspected_regenerated, absorbed, missing
  kAllGroupings = 7,
};

struct Record {
  uint64_t message_id;
  uint64_t cmn_hash;  // client_msg_no
  uint64_t channel;   // hash of (channel_type, channel_id)
  uint64_t from;      // hash of from_uid
  uint64_t payload;   // hash of the payload as given
  int64_t timestamp;  // seconds
  uint64_t pos;       // line (text inputs) or rowid (SQLite)
  uint64_t cmn_ref;   // StringLog reference of client_msg_no
  uint32_t message_seq;
  uint16_t input;     // index into the audit's input list
  uint8_t flags;
  uint8_t kinds;
};
static_assert(std::is_trivially_copyable_v<Record>);
static_assert(sizeof(Record) == 72);

// One message's fields as read from any input; views valid for one call.
struct RawFields {
  std::optional<uint64_t> message_id;
  std::optional<std::string_view> client_msg_no;
  // Where client_msg_no's bytes stand verbatim in the parsed text (no
  // escapes), and, for a positional input, their offset in the file: the
  // string is then referred to there instead of copied to the StringLog.
  const char* client_msg_no_verbatim = nullptr;
  int64_t client_msg_no_at = -1;
  std::optional<uint64_t> message_seq;
  std::string_view from_uid;
  std::string_view channel_id;
  int64_t channel_type = 0;
  int64_t timestamp = 0;
  std::string_view payload;
  int is_deleted = -1;  // -1: the input has no such column
};

// Every hash here is defined by the bytes alone (XXH3-64 of the string, then
// fixed arithmetic), never by std::hash or anything else a build may choose:
// spill partitions and the shards of `--shard K/N` come out the same on every
// machine and build, so partial reports made anywhere merge
// (tests/unit/audit/shard_hash_test.cpp pins the values).
uint64_t hash_bytes(std::string_view s, uint64_t seed = 0);  // XXH3_64bits_withSeed
inline uint64_t client_msg_no_hash(std::string_view s) { return hash_bytes(s, 0xc3); }
inline uint64_t sender_hash(std::string_view from_uid) { return hash_bytes(from_uid); }
inline uint64_t payload_hash(std::string_view payload) { return hash_bytes(payload, 0x70); }
inline uint64_t mix64(uint64_t x) {  // splitmix64 finaliser
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}
inline uint64_t hash_combine(uint64_t a, uint64_t b) { return mix64(a ^ (mix64(b) + 0x9e3779b97f4a7c15ULL)); }
uint64_t channel_key(std::string_view channel_id, int64_t channel_type);
// Hash of every field a record keeps: tells identical copies apart. Computed
// when needed rather than stored: 8 bytes less for each of millions of records.
inline uint64_t row_hash(const Record& r) {
  return hash_combine(hash_combine(hash_combine(r.message_id, r.cmn_hash), hash_combine(r.channel, r.from)),
                      hash_combine(hash_combine(r.payload, static_cast<uint64_t>(r.timestamp)),
                                   (uint64_t(r.message_seq) << 8) | r.flags));
}

// Hash that decides the shard and spill partition of a record in a grouping.
uint64_t grouping_hash(const Record& r, Grouping g, int scope);
// The shard (0-based) of `shards` that audits the record in grouping g.
inline uint32_t shard_of(const Record& r, Grouping g, int scope, uint32_t shards) {
  return static_cast<uint32_t>(grouping_hash(r, g, scope) % shards);
}

}  // namespace wkit::audit
