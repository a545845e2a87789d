#pragma once
// JSON as text for output (stdout, event logs, payloads). Uids, channel ids
// and client_msg_nos are bytes from the wire or from input files; bytes that
// are not UTF-8 are written as U+FFFD instead of nlohmann's default, which
// throws and would turn one odd uid into an internal error.
#include <nlohmann/json.hpp>
#include <string>

namespace wkit::util {

// indent -1: one line; otherwise pretty-printed with that many spaces.
inline std::string json_text(const nlohmann::json& j, int indent = -1) {
  return j.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}
// The same for ordered JSON: member order kept (e.g. wire order in `wkit
// decode`), not sorted by a conversion to nlohmann::json.
inline std::string json_text(const nlohmann::ordered_json& j, int indent = -1) {
  return j.dump(indent, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

}  // namespace wkit::util
