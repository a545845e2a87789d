#pragma once
// The idempotency keys of the messages the SQLite file has stored but not yet
// put in its unique index (the messages after wkit_meta
// 'idempotency_through', schema.hpp), so the store can refuse a repeated key
// when it is appended, as a unique index would, without an index insert per
// SEND. Exact: the key bytes live in one arena, and a SEND allocates nothing
// once the arena and the table have grown.
//
// Keys are staged first (a multi-row insert checks several before writing
// any), then kept once their rows are written or dropped if not.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "wkit/store/message_store.hpp"

namespace wkit::store {

class TailKeys {
 public:
  // Stages the key of `m` (non-empty client_msg_no). Returns the message_id
  // that already holds it (kept or staged), or 0 if it is new.
  int64_t stage(const Message& m);
  // The hash and bytes of the key stage() just staged.
  uint64_t staged_hash() const { return staged_.back().hash; }
  std::string_view staged_key() const { return bytes(staged_.back().offset, staged_.back().length); }
  // The message_id holding a kept key (bytes and hash as staged), or 0.
  int64_t find_id(std::string_view key, uint64_t hash) const;
  void keep_staged();
  void drop_staged();
  // Forgets every key (after they were indexed in the file).
  void clear();
  size_t size() const { return kept_.size(); }
  int64_t max_id() const { return max_id_; }  // of the kept keys
  template <class F>
  void for_each_hash(F&& f) const {
    for (const Kept& k : kept_) f(k.hash);
  }
  // f(key bytes, message_id) for each kept key; the bytes stay valid until
  // the next stage() or clear().
  template <class F>
  void for_each_key(F&& f) const {
    for (const Kept& k : kept_) f(bytes(k.offset, k.length), k.message_id);
  }
  // The parts of key bytes from stage().
  struct Parts {
    uint8_t channel_type;
    std::string_view channel_id, from_uid, client_msg_no;
  };
  static Parts parts(std::string_view key);
  // The hash stage() gives the key of (type, channel, from, client_msg_no);
  // `scratch` holds its bytes.
  static uint64_t hash_of(uint8_t channel_type, std::string_view channel_id, std::string_view from_uid,
                          std::string_view client_msg_no, std::string& scratch);

 private:
  // The table holds 8-byte slots (a hash tag and an index into kept_), so a
  // probe touches one small cache line; the keys themselves are appended
  // to kept_ and the arena in order.
  struct Slot {
    uint32_t tag = 0;    // high half of the hash
    uint32_t entry = 0;  // index into kept_ + 1; 0: empty
  };
  struct Kept {
    uint64_t hash, offset;
    uint32_t length;
    int64_t message_id;
  };
  std::string_view bytes(uint64_t offset, uint32_t length) const { return {arena_.data() + offset, length}; }
  // The slot holding `key`, or the empty slot where it would go.
  size_t find(uint64_t hash, std::string_view key) const;
  void insert(const Kept& k);
  void grow();

  std::vector<Slot> slots_;
  std::vector<Kept> kept_;
  std::string arena_;
  size_t kept_bytes_ = 0;  // arena_ beyond this holds staged keys
  int64_t max_id_ = 0;
  std::vector<Kept> staged_;
};

}  // namespace wkit::store
