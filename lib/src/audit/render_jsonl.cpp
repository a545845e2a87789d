// `-o jsonl`: one finding item per line, for jq and line-oriented tools.
#include <set>
#include <string>

#include "wkit/audit/report.hpp"
#include "wkit/util/json_text.hpp"

namespace wkit::audit {

using nlohmann::json;

std::string render_jsonl(const json& report) {
  std::string out;
  for (const char* name : kFindingNames) {
    const json& f = report["findings"][name];
    for (const auto& item : f["items"]) {
      json line = item;
      line["kind"] = name;
      // Every message_id the item names, as strings (exact in jq and
      // JavaScript above 2^53). Only as strings: `message_ids` is already
      // the item's count of them in duplicate_client_msg_no.
      json idstrs = json::array();
      std::set<std::string> seen;
      for (const auto& m : item["messages"])
        if (auto it = m.find("message_idstr"); it != m.end() && seen.insert(it->get<std::string>()).second)
          idstrs.push_back(*it);
      line["message_idstrs"] = std::move(idstrs);
      out += util::json_text(line);
      out += '\n';
    }
  }
  return out;
}

}  // namespace wkit::audit
