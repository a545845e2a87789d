#include "wkit/app/server_options.hpp"

#include <fstream>

namespace wkit::app {

Result<std::unordered_map<std::string, std::string>> read_tokens_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Error::input("cannot read tokens file '" + path + "'");
  std::unordered_map<std::string, std::string> out;
  std::string line;
  size_t n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    size_t first = line.find_first_not_of(" \t");
    if (first == std::string::npos || line[first] == '#') continue;
    size_t colon = line.find(':');
    if (colon == std::string::npos || colon == 0)
      return Error::input(path + ":" + std::to_string(n) + ": expected uid:token");
    out[line.substr(0, colon)] = line.substr(colon + 1);
  }
  return out;
}

Status parse_group(std::string_view spec, std::map<std::string, std::vector<std::string>>& groups) {
  size_t eq = spec.find('=');
  if (eq == std::string_view::npos || eq == 0)
    return Error{ErrorKind::usage, "bad --group '" + std::string(spec) + "': expected ID=UID,UID,...", std::nullopt};
  auto& members = groups[std::string(spec.substr(0, eq))];
  std::string_view rest = spec.substr(eq + 1);
  while (!rest.empty()) {
    size_t c = rest.find(',');
    std::string_view uid = rest.substr(0, c);
    if (uid.empty())
      return Error{ErrorKind::usage, "bad --group '" + std::string(spec) + "': empty uid", std::nullopt};
    if (std::find(members.begin(), members.end(), uid) == members.end()) members.emplace_back(uid);
    if (c == std::string_view::npos) break;
    rest = rest.substr(c + 1);
  }
  if (members.empty())
    return Error{ErrorKind::usage, "bad --group '" + std::string(spec) + "': no members", std::nullopt};
  return std::nullopt;
}

}  // namespace wkit::app
