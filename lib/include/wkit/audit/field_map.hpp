#pragma once
// Which input key/column feeds which message field. Defaults are the
// WuKongIM HTTP API names (WIRE.md 6); `--map FIELD=COLUMN` renames.
#include <array>
#include <cstdint>
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
  Field lookup(std::string_view key) const;
  // Every name that feeds field f.
  std::vector<std::string> names_of(Field f) const;

 private:
  void index();
  std::vector<std::pair<std::string, Field>> given_;  // in precedence order
  std::vector<std::pair<std::string, Field>> names_;  // the same by length, then precedence
  // names_[by_len_[n].first .. by_len_[n].second) have length n (< kIndexed).
  static constexpr size_t kIndexed = 64;
  std::array<std::pair<uint8_t, uint8_t>, kIndexed> by_len_{};
};

// Parses --map values (FIELD=COLUMN) and checks FIELD; "table" is allowed too.
Status check_maps(const std::vector<std::pair<std::string, std::string>>& maps);

}  // namespace wkit::audit
