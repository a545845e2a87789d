#include "wkit/audit/report.hpp"

#include <algorithm>

namespace wkit::audit {

using nlohmann::json;

json build_report(AuditContext& ctx, Analyzer& analyzer) {
  const auto& o = ctx.options;
  json r = json::object();
  r["wkit_audit_report"] = kReportVersion;
  r["options"] = {{"scope", scope_name(o.scope)}, {"window_s", o.window_s}, {"check_gaps", o.check_gaps},
                  {"fail_on", o.fail_on}};
  if (o.shards > 1) r["partial"] = {{"shard", o.shard + 1}, {"of", o.shards}};
  json inputs = json::array();
  uint64_t rows = 0, malformed = 0;
  for (auto& in : ctx.inputs) {
    json i = {{"name", in.name}, {"format", in.format}, {"compression", in.compression}, {"rows", in.rows},
              {"malformed", in.malformed}, {"without_message_id", in.without_message_id}};
    if (!in.table.empty()) i["table"] = in.table;
    for (auto& [k, v] : in.details.items()) i[k] = v;
    inputs.push_back(std::move(i));
    rows += in.rows;
    malformed += in.malformed;
  }
  r["inputs"] = std::move(inputs);
  r["rows"] = rows;
  json examples = json::array();
  for (auto& m : ctx.malformed_examples())
    examples.push_back({{"location", ctx.location(m.input, m.pos)}, {"message", m.message}});
  r["malformed"] = {{"count", malformed}, {"examples", std::move(examples)}};
  json findings = json::object();
  auto& sets = analyzer.findings();
  for (int k = 0; k < kFindingCount; ++k) {
    auto& s = sets[k];
    json f = json::object();
    f["count"] = s.count;
    json chans = json::array(), senders = json::array();
    for (uint64_t h : s.channels) {
      const auto& c = ctx.channel_name(h);
      chans.push_back({{"channel_id", c.id}, {"channel_type", c.type}});
    }
    for (uint64_t h : s.senders) senders.push_back(ctx.sender_name(h));
    f["channels"] = std::move(chans);
    f["senders"] = std::move(senders);
    f["first_time"] = s.items.empty() ? json() : json(s.first);
    f["last_time"] = s.items.empty() ? json() : json(s.last);
    f["items"] = std::move(s.items);
    s.items = json::array();
    findings[kFindingNames[k]] = std::move(f);
  }
  r["findings"] = std::move(findings);
  finalize_report(r);
  return r;
}

namespace {
std::pair<uint64_t, uint64_t> item_key(const json& item) {
  auto it = item.find("messages");
  if (it == item.end() || it->empty()) return {UINT64_MAX, UINT64_MAX};
  const json& m = it->front();
  return {m.value("input", uint64_t(0)), m.value("pos", uint64_t(0))};
}
void sort_unique(json& arr) {
  std::vector<json> v(arr.begin(), arr.end());
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  arr = json(std::move(v));
}
}  // namespace

void finalize_report(json& r) {
  json summary = json::object();
  json failed = json::array();
  const json fail_on = r["options"]["fail_on"];
  for (const char* name : kFindingNames) {
    json& f = r["findings"][name];
    std::vector<std::pair<std::pair<uint64_t, uint64_t>, json>> items;
    for (auto& it : f["items"]) items.emplace_back(item_key(it), std::move(it));
    std::sort(items.begin(), items.end(), [](auto& a, auto& b) {
      if (a.first != b.first) return a.first < b.first;
      return a.second < b.second;  // json's own order: no dump (and no UTF-8 check) per compare
    });
    json sorted = json::array();
    for (auto& [k, it] : items) sorted.push_back(std::move(it));
    f["items"] = std::move(sorted);
    sort_unique(f["channels"]);
    sort_unique(f["senders"]);
    f["affected_channels"] = f["channels"].size();
    f["affected_senders"] = f["senders"].size();
    summary[name] = f["count"];
    if (f["count"].get<uint64_t>() > 0 && std::find(fail_on.begin(), fail_on.end(), json(name)) != fail_on.end())
      failed.push_back(name);
  }
  r["summary"] = std::move(summary);
  r["failed_on"] = failed;
  r["result"] = failed.empty() ? "clean" : "findings";
}

int report_exit_code(const json& r) { return r.value("failed_on", json::array()).empty() ? 0 : 1; }

Result<json> merge_reports(const std::vector<json>& parts) {
  if (parts.empty()) return Error::input("no partial reports to merge");
  uint64_t of = 0;
  std::vector<bool> seen;
  for (size_t i = 0; i < parts.size(); ++i) {
    const json& p = parts[i];
    if (!p.is_object() || p.value("wkit_audit_report", 0) != kReportVersion || !p.contains("findings"))
      return Error::input("partial report " + std::to_string(i + 1) + " is not a wkit audit report (version " +
                          std::to_string(kReportVersion) + ")");
    if (!p.contains("partial"))
      return Error::input("report " + std::to_string(i + 1) + " is a complete report, not a --shard partial");
    const uint64_t n = p["partial"].value("of", uint64_t(0)), k = p["partial"].value("shard", uint64_t(0));
    if (i == 0) {
      of = n;
      seen.assign(n + 1, false);
    }
    if (n != of || k == 0 || k > of) return Error::input("partial report " + std::to_string(i + 1) + ": shard " +
                                                         std::to_string(k) + "/" + std::to_string(n) +
                                                         " does not belong with shards of " + std::to_string(of));
    if (seen[k]) return Error::input("shard " + std::to_string(k) + "/" + std::to_string(of) + " given twice");
    seen[k] = true;
    for (const char* key : {"options", "inputs", "rows", "malformed"})
      if (p[key] != parts[0][key])
        return Error::input("partial report " + std::to_string(i + 1) + ": '" + key +
                            "' differs from the first (different inputs or options)");
  }
  for (uint64_t k = 1; k <= of; ++k)
    if (!seen[k]) return Error::input("shard " + std::to_string(k) + "/" + std::to_string(of) + " is missing");
  json r = parts[0];
  r.erase("partial");
  r.erase("run");
  for (const char* name : kFindingNames) {
    json& f = r["findings"][name];
    for (size_t i = 1; i < parts.size(); ++i) {
      const json& g = parts[i]["findings"][name];
      f["count"] = f["count"].get<uint64_t>() + g["count"].get<uint64_t>();
      for (auto& it : g["items"]) f["items"].push_back(it);
      for (auto& c : g["channels"]) f["channels"].push_back(c);
      for (auto& s : g["senders"]) f["senders"].push_back(s);
      for (const char* t : {"first_time", "last_time"}) {
        if (g[t].is_null()) continue;
        if (f[t].is_null()) f[t] = g[t];
        else if (t[0] == 'f') f[t] = std::min(f[t].get<int64_t>(), g[t].get<int64_t>());
        else f[t] = std::max(f[t].get<int64_t>(), g[t].get<int64_t>());
      }
    }
  }
  finalize_report(r);
  r["run"] = {{"merged_shards", of}};
  return r;
}

}  // namespace wkit::audit
