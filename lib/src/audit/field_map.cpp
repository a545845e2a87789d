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
    m.given_.emplace_back(col, f);
  }
  for (int i = 0; i < kFieldCount; ++i)
    if (!mapped[i]) m.given_.emplace_back(kNames[i], static_cast<Field>(i));
  for (auto& [f, n] : extra_defaults)
    if (!mapped[static_cast<int>(f)]) m.given_.emplace_back(n, f);
  m.index();
  return m;
}

void FieldMap::index() {
  size_t size = 64;
  while (size < 4 * given_.size()) size *= 2;
  slots_.assign(size, Slot{});
  mask_ = size - 1;
  long_.clear();
  for (auto& [name, f] : given_) {
    if (name.size() > 16) {
      long_.emplace_back(name, f);
      continue;
    }
    if (lookup(name) != Field::none) continue;  // an earlier mapping of the same name wins
    Slot s;
    std::memcpy(&s.lo, name.data(), std::min<size_t>(name.size(), 8));
    if (name.size() > 8) std::memcpy(&s.hi, name.data() + 8, name.size() - 8);
    s.len = name.size();
    s.field = f;
    size_t i = slot_of(s.lo, s.hi, s.len) & mask_;
    while (slots_[i].field != Field::none) i = (i + 1) & mask_;
    slots_[i] = s;
  }
}

Field FieldMap::lookup_long(std::string_view key) const {
  for (auto& [n, f] : long_)
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
