#include "wkit/audit/field_map.hpp"

#include <algorithm>

namespace wkit::audit {

namespace {
constexpr const char* kNames[] = {"message_id", "message_idstr", "client_msg_no", "message_seq", "from_uid",
                                  "channel_id", "channel_type",  "timestamp",     "payload",     "is_deleted"};
bool field_from_name(std::string_view n, Field& f) {
  for (int i = 0; i < kFieldCount; ++i)
    if (n == kNames[i]) {
      f = static_cast<Field>(i);
      return true;
    }
  return false;
}
}  // namespace

const char* field_name(Field f) { return f == Field::none ? "none" : kNames[static_cast<int>(f)]; }

Status check_maps(const std::vector<std::pair<std::string, std::string>>& maps) {
  for (auto& [field, col] : maps) {
    Field f;
    if (!field_from_name(field, f))
      return Error{ErrorKind::usage, "--map " + field + "=" + col + ": unknown field '" + field +
                   "' (fields: message_id message_idstr client_msg_no message_seq from_uid channel_id "
                   "channel_type timestamp payload is_deleted)", std::nullopt};
    if (col.empty()) return Error{ErrorKind::usage, "--map " + field + "=: empty column name", std::nullopt};
  }
  return std::nullopt;
}

Result<FieldMap> FieldMap::make(const std::vector<std::pair<std::string, std::string>>& maps,
                                const std::vector<std::pair<Field, std::string>>& extra_defaults) {
  if (auto err = check_maps(maps)) return *err;
  FieldMap m;
  bool mapped[kFieldCount] = {};
  for (auto& [field, col] : maps) {
    Field f;
    field_from_name(field, f);
    mapped[static_cast<int>(f)] = true;
    m.names_.emplace_back(col, f);
  }
  for (int i = 0; i < kFieldCount; ++i)
    if (!mapped[i]) m.names_.emplace_back(kNames[i], static_cast<Field>(i));
  for (auto& [f, n] : extra_defaults)
    if (!mapped[static_cast<int>(f)]) m.names_.emplace_back(n, f);
  m.index();
  return m;
}

// Every key of every record is looked up: only names of its length are compared.
void FieldMap::index() {
  given_ = names_;
  std::stable_sort(names_.begin(), names_.end(), [](auto& a, auto& b) { return a.first.size() < b.first.size(); });
  by_len_.fill({0, 0});
  for (size_t i = 0; i < names_.size() && i < 255; ++i) {
    const size_t n = names_[i].first.size();
    if (n >= kIndexed) continue;
    if (by_len_[n].second == 0) by_len_[n].first = static_cast<uint8_t>(i);
    by_len_[n].second = static_cast<uint8_t>(i + 1);
  }
  words_.clear();
  for (auto& [n, f] : names_) words_.push_back(words_of(n));
}

Field FieldMap::lookup_slow(std::string_view key) const {
  for (auto& [n, f] : names_)
    if (n == key) return f;
  return Field::none;
}

std::vector<std::string> FieldMap::names_of(Field f) const {
  std::vector<std::string> out;
  for (auto& [n, g] : given_)
    if (g == f) out.push_back(n);
  return out;
}

}  // namespace wkit::audit
