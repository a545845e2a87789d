#pragma once
// 64-bit ids in HTTP API answers: WuKongIM writes message_id as a JSON
// number, and sometimes (message_idstr, 2.x data) as a string of digits.
#include <charconv>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

namespace wkit::util {

// A 64-bit id given as a number or as a string of decimal digits.
inline bool read_json_id(const nlohmann::json& v, int64_t& out) {
  if (v.is_number_integer()) {
    out = v.get<int64_t>();
    return true;
  }
  if (!v.is_string()) return false;
  const auto& s = v.get_ref<const std::string&>();
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size() && !s.empty();
}

}  // namespace wkit::util
