#pragma once
// Which input key/column feeds which message field. Defaults are the
// WuKongIM HTTP API names (docs/protocol.md section 6); `--map FIELD=COLUMN` renames.
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "wkit/util/error.hpp"

namespace wkit::audit {

enum class Field : int {
  message_id, message_idstr, client_msg_no, message_seq, from_uid, channel_id,
  channel_type, timestamp, payload, is_deleted, none
};
inline constexpr int kFieldCount = static_cast<int>(Field::none);
const char* field_name(Field f);

class FieldMap {
 public:
  // `defaults`: extra (field, name) pairs a format adds (e.g. SQLite `content`).
  static Result<FieldMap> make(const std::vector<std::pair<std::string, std::string>>& maps,
                               const std::vector<std::pair<Field, std::string>>& extra_defaults = {});
  Field lookup(std::string_view key) const {
    if (key.size() > 16) return lookup_long(key);
    uint64_t w[2] = {0, 0};
    std::memcpy(w, key.data(), key.size());
    return lookup16(w[0], w[1], key.size());
  }
  // Called for every key of every record: a key of n <= 16 bytes given as
  // two little-endian words, zero-padded. One hash, usually one compare.
  Field lookup16(uint64_t lo, uint64_t hi, size_t n) const {
    for (size_t i = slot_of(lo, hi, n) & mask_;; i = (i + 1) & mask_) {
      const Slot& s = slots_[i];
      if (s.field == Field::none) return Field::none;
      if (s.lo == lo && s.hi == hi && s.len == n) return s.field;
    }
  }
  // Every name that feeds field f.
  std::vector<std::string> names_of(Field f) const;

 private:
  struct Slot {
    uint64_t lo = 0, hi = 0;
    size_t len = 0;
    Field field = Field::none;  // none: empty
  };
  static size_t slot_of(uint64_t lo, uint64_t hi, size_t n) {
    return static_cast<size_t>(((lo * 0x9e3779b97f4a7c15ULL) ^ ((hi + n) * 0xc2b2ae3d27d4eb4fULL)) >> 40);
  }
  Field lookup_long(std::string_view key) const;
  void index();
  std::vector<std::pair<std::string, Field>> given_;  // in precedence order
  std::vector<Slot> slots_;  // names of up to 16 bytes (a name's first entry wins); at most 1/4 used
  size_t mask_ = 0;
  std::vector<std::pair<std::string, Field>> long_;  // longer names, in precedence order
};

// Parses --map values (FIELD=COLUMN) and checks FIELD; "table" is allowed too.
Status check_maps(const std::vector<std::pair<std::string, std::string>>& maps);

}  // namespace wkit::audit
