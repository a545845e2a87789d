#pragma once
// Puts the items of a `wkit audit -o json` report and the rows of the query
// of `wkit audit sql` into one form (one string per item, the columns of
// wkit/audit/sql.hpp), so tests can require the same items from both.
// missing_client_msg_no: the report lists 5 example rows, the SQL every
// message_id, so their message_ids are compared apart (report's within SQL's).
#include <algorithm>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "wkit/audit/sql.hpp"

namespace wkit::audit::sqltest {

using Row = std::map<std::string, std::optional<std::string>>;  // column -> value (nullopt: NULL)

inline std::string ids_text(std::vector<uint64_t> ids) {
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  std::string s;
  for (auto id : ids) s += (s.empty() ? "" : ",") + std::to_string(id);
  return s;
}

inline std::string line(const Row& r) {
  std::string s;
  for (const char* c : kSqlItemColumns) {
    auto it = r.find(c);
    s += std::string(s.empty() ? "" : " | ") + c + "=" +
         (it == r.end() || !it->second ? std::string("NULL") : *it->second);
  }
  return s;
}

// The SQL's rows in the common form, sorted; missing_client_msg_no ids -> "*".
inline std::vector<std::string> from_sql(std::vector<Row> rows, std::map<std::string, std::set<uint64_t>>* missing_ids = nullptr) {
  std::vector<std::string> out;
  for (auto& r : rows) {
    if (r["finding"] == std::optional<std::string>("missing_client_msg_no")) {
      if (missing_ids && r["message_ids"]) {
        std::stringstream ss(*r["message_ids"]);
        for (std::string id; std::getline(ss, id, ',');)
          (*missing_ids)[r["channel_id"].value_or("") + "/" + r["channel_type"].value_or("")].insert(std::stoull(id));
      }
      r["message_ids"] = "*";
    }
    out.push_back(line(r));
  }
  std::sort(out.begin(), out.end());
  return out;
}

// The report's items in the common form, sorted.
inline std::vector<std::string> from_report(const nlohmann::json& report,
                                            std::map<std::string, std::set<uint64_t>>* missing_ids = nullptr) {
  using nlohmann::json;
  std::vector<std::string> out;
  auto str = [](const json& j, const char* k) -> std::optional<std::string> {
    if (!j.contains(k) || j[k].is_null()) return std::nullopt;
    return j[k].is_string() ? j[k].get<std::string>() : j[k].dump();
  };
  auto ids_of = [](const json& msgs) {
    std::vector<uint64_t> ids;
    for (auto& m : msgs)
      if (m.contains("message_idstr")) ids.push_back(std::stoull(m["message_idstr"].get<std::string>()));
    return ids;
  };
  for (auto& [finding, set] : report["findings"].items()) {
    for (auto& it : set["items"]) {
      Row r;
      r["finding"] = finding;
      r["detail"] = "";
      r["counts"] = "1";
      r["message_ids"] = ids_text(ids_of(it["messages"]));
      if (finding == "duplicate_client_msg_no") {
        r["channel_id"] = str(it, "channel_id");
        r["channel_type"] = str(it, "channel_type");
        r["from_uid"] = str(it, "from_uid");
        r["client_msg_no"] = str(it, "client_msg_no");
        r["first_time"] = str(it, "first_time");
        r["last_time"] = str(it, "last_time");
        r["n"] = str(it, "message_ids");
      } else if (finding == "message_id_collision" || finding == "duplicate_row") {
        r["message_id"] = str(it, "message_idstr");
        if (finding == "message_id_collision") {
          r["n"] = str(it, "variants");
        } else {
          r["n"] = str(it, "copies");
          r["detail"] = it["identical"].get<bool>() ? "identical" : "different";
        }
      } else if (finding == "seq_anomaly") {
        r["detail"] = str(it, "type");
        r["channel_id"] = str(it, "channel_id");
        r["channel_type"] = str(it, "channel_type");
        const bool gap = it["type"] == "gap";
        r["message_seq"] = str(it, gap ? "after_seq" : "message_seq");
        r["n"] = str(it, gap ? "missing" : "message_ids");
      } else if (finding == "suspected_regenerated_client_msg_no") {
        r["channel_id"] = str(it, "channel_id");
        r["channel_type"] = str(it, "channel_type");
        r["from_uid"] = str(it, "from_uid");
        r["first_time"] = str(it, "first_time");
        r["last_time"] = str(it, "last_time");
        r["n"] = str(it, "client_msg_nos");
      } else if (finding == "absorbed_duplicate") {
        const json& d = it["messages"][0];  // the deleted row
        r["detail"] = str(it, "rule");
        r["channel_id"] = str(it, "channel_id");
        r["channel_type"] = str(it, "channel_type");
        r["from_uid"] = str(d, "from_uid");
        r["client_msg_no"] = str(d, "client_msg_no");
        r["message_id"] = str(d, "message_idstr");
        r["n"] = "1";
      } else if (finding == "missing_client_msg_no") {
        r["channel_id"] = str(it, "channel_id");
        r["channel_type"] = str(it, "channel_type");
        r["n"] = str(it, "rows");
        r["counts"] = str(it, "rows");
        if (missing_ids)
          for (auto id : ids_of(it["messages"]))
            (*missing_ids)[r["channel_id"].value_or("") + "/" + r["channel_type"].value_or("")].insert(id);
        r["message_ids"] = "*";
      }
      out.push_back(line(r));
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

// Lines in one list and not the other, for a readable failure.
inline std::string difference(const std::vector<std::string>& report, const std::vector<std::string>& sql) {
  std::vector<std::string> only_report, only_sql;
  std::set_difference(report.begin(), report.end(), sql.begin(), sql.end(), std::back_inserter(only_report));
  std::set_difference(sql.begin(), sql.end(), report.begin(), report.end(), std::back_inserter(only_sql));
  std::string s;
  for (auto& l : only_report) s += "  only in the report: " + l + "\n";
  for (auto& l : only_sql) s += "  only in the SQL:    " + l + "\n";
  return s;
}

// Every message_id the report lists per channel must be among the SQL's.
inline std::string missing_ids_outside(const std::map<std::string, std::set<uint64_t>>& report,
                                       const std::map<std::string, std::set<uint64_t>>& sql) {
  std::string s;
  for (auto& [chan, ids] : report)
    for (auto id : ids)
      if (!sql.count(chan) || !sql.at(chan).count(id))
        s += "  missing_client_msg_no " + chan + ": message_id " + std::to_string(id) + " not in the SQL's list\n";
  return s;
}

}  // namespace wkit::audit::sqltest
