#pragma once
// Which input key/column feeds which message field. Defaults are the
// WuKongIM HTTP API names (WIRE.md 6); `--map FIELD=COLUMN` renames.
#include <array>
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
  // Called for every key of every record: names of the key's length are
  // compared as two (overlapping) word loads each, no memcmp call.
  Field lookup(std::string_view key) const {
    if (key.size() < kIndexed && names_.size() < 255) {
      const auto [b, e] = by_len_[key.size()];
      if (b == e) return Field::none;
      const Words w = words_of(key);
      for (size_t i = b; i < e; ++i)
        if (words_[i].head == w.head && words_[i].tail == w.tail &&
            (key.size() <= 16 || names_[i].first == key))
          return names_[i].second;
      return Field::none;
    }
    return lookup_slow(key);
  }
  // Every name that feeds field f.
  std::vector<std::string> names_of(Field f) const;

 private:
  // The first and the last 8 bytes (4 or 1 for short names, zero-extended):
  // equal words and length mean equal names up to 16 bytes.
  struct Words {
    uint64_t head = 0, tail = 0;
  };
  static Words words_of(std::string_view s) {
    Words w;
    const size_t n = s.size();
    if (n >= 8) {
      std::memcpy(&w.head, s.data(), 8);
      std::memcpy(&w.tail, s.data() + n - 8, 8);
    } else if (n >= 4) {
      uint32_t h, t;
      std::memcpy(&h, s.data(), 4);
      std::memcpy(&t, s.data() + n - 4, 4);
      w.head = h;
      w.tail = t;
    } else {
      for (size_t i = 0; i < n; ++i) w.head |= uint64_t(static_cast<unsigned char>(s[i])) << (8 * i);
    }
    return w;
  }
  Field lookup_slow(std::string_view key) const;
  void index();
  std::vector<Words> words_;  // of names_[i]
  std::vector<std::pair<std::string, Field>> given_;  // in precedence order
  std::vector<std::pair<std::string, Field>> names_;  // the same by length, then precedence
  // names_[by_len_[n].first .. by_len_[n].second) have length n (< kIndexed).
  static constexpr size_t kIndexed = 64;
  std::array<std::pair<uint8_t, uint8_t>, kIndexed> by_len_{};
};

// Parses --map values (FIELD=COLUMN) and checks FIELD; "table" is allowed too.
Status check_maps(const std::vector<std::pair<std::string, std::string>>& maps);

}  // namespace wkit::audit
