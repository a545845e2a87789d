// Canonical person channel ids (CRC32 ordering) and channel type names.
#include "wkit/util/channel.hpp"

#include <zlib.h>

#include <algorithm>
#include <charconv>
#include <iterator>

namespace wkit::util {
namespace {
constexpr std::string_view kTypeNames[] = {"unknown",         "person",    "group", "customer_service",
                                           "community",       "community_topic", "info", "data",
                                           "temp",            "live",      "visitors", "agent",
                                           "agent_group"};
}

uint32_t crc32_ieee(std::string_view s) {
  uLong crc = crc32(0L, Z_NULL, 0);
  // zlib takes a uInt length: feed large inputs in pieces.
  while (!s.empty()) {
    auto n = static_cast<uInt>(std::min<size_t>(s.size(), 1u << 30));
    crc = crc32(crc, reinterpret_cast<const Bytef*>(s.data()), n);
    s.remove_prefix(n);
  }
  return static_cast<uint32_t>(crc);
}

void person_channel_id_to(std::string_view uid1, std::string_view uid2, std::string& out) {
  uint32_t c1 = crc32_ieee(uid1), c2 = crc32_ieee(uid2);
  bool first_is_1 = c1 != c2 ? c1 > c2 : uid1 > uid2;
  std::string_view a = first_is_1 ? uid1 : uid2, b = first_is_1 ? uid2 : uid1;
  out.clear();
  out.append(a);
  out.push_back('@');
  out.append(b);
}

std::string person_channel_id(std::string_view uid1, std::string_view uid2) {
  std::string out;
  person_channel_id_to(uid1, uid2, out);
  return out;
}

std::optional<std::pair<std::string_view, std::string_view>> split_person_channel_id(std::string_view id) {
  auto at = id.find('@');
  if (at == std::string_view::npos) return std::nullopt;
  return std::pair{id.substr(0, at), id.substr(at + 1)};
}

std::string_view uid_problem(std::string_view uid) {
  if (uid.empty()) return "is empty";
  if (uid.find('@') != std::string_view::npos) return "contains '@' (the person channel separator)";
  if (uid.find('#') != std::string_view::npos) return "contains '#'";
  if (uid.find('&') != std::string_view::npos) return "contains '&'";
  return {};
}

std::string_view channel_type_name(uint8_t type) {
  return type < std::size(kTypeNames) ? kTypeNames[type] : kTypeNames[0];
}

std::optional<uint8_t> parse_channel_type(std::string_view text) {
  for (size_t i = 1; i < std::size(kTypeNames); ++i)
    if (text == kTypeNames[i]) return static_cast<uint8_t>(i);
  unsigned v = 0;
  auto r = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || r.ec != std::errc() || r.ptr != text.data() + text.size() || v > 255) return std::nullopt;
  return static_cast<uint8_t>(v);
}

}  // namespace wkit::util
