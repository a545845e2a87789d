#include "wkit/audit/report.hpp"

#include <algorithm>
#include <optional>
#include <string_view>
#include <tuple>

namespace wkit::audit {

using nlohmann::json;

namespace {

// Every record the audit could not read, malformed or skipped: counts and
// the first few by location.
json unreadable_summary(const AuditContext& ctx, uint64_t malformed, uint64_t skipped) {
  std::vector<std::pair<const MalformedLine*, const char*>> all;
  for (auto& m : ctx.malformed_examples()) all.emplace_back(&m, "malformed");
  for (auto& m : ctx.skipped_examples()) all.emplace_back(&m, "skipped");
  std::stable_sort(all.begin(), all.end(), [](auto& a, auto& b) {
    return std::tie(a.first->input, a.first->pos) < std::tie(b.first->input, b.first->pos);
  });
  json examples = json::array();
  for (size_t i = 0; i < all.size() && i < AuditContext::kUnreadableExamples; ++i) {
    const MalformedLine& m = *all[i].first;
    json e = {{"location", ctx.location(m.input, m.pos)}, {"input", m.input}, {"kind", all[i].second},
              {"message", m.message}};
    if (m.offset >= 0) e["offset"] = m.offset;
    examples.push_back(std::move(e));
  }
  return {{"count", malformed + skipped}, {"malformed", malformed}, {"skipped", skipped},
          {"examples", std::move(examples)}};
}

}  // namespace

json build_report(AuditContext& ctx, Analyzer& analyzer) {
  const auto& o = ctx.options;
  json r = json::object();
  r["wkit_audit_report"] = kReportVersion;
  r["options"] = {{"scope", scope_name(o.scope)}, {"window_s", o.window_s}, {"check_gaps", o.check_gaps},
                  {"fail_on", o.fail_on}, {"allow_unreadable", o.allow_unreadable}};
  if (o.shards > 1) r["partial"] = {{"shard", o.shard + 1}, {"of", o.shards}};
  json inputs = json::array();
  uint64_t rows = 0, malformed = 0, skipped = 0;
  for (auto& in : ctx.inputs) {
    json i = {{"name", in.name}, {"format", in.format}, {"compression", in.compression}, {"rows", in.rows},
              {"malformed", in.malformed}, {"skipped", in.skipped}, {"unreadable", in.malformed + in.skipped},
              {"without_message_id", in.without_message_id}};
    if (!in.table.empty()) i["table"] = in.table;
    if (in.not_read) i["not_read"] = true;
    for (auto& [k, v] : in.details.items()) i[k] = v;
    inputs.push_back(std::move(i));
    rows += in.rows;
    malformed += in.malformed;
    skipped += in.skipped;
  }
  r["inputs"] = std::move(inputs);
  r["rows"] = rows;
  json examples = json::array();
  for (auto& m : ctx.malformed_examples()) {
    json e = {{"location", ctx.location(m.input, m.pos)}, {"message", m.message}};
    if (m.offset >= 0) e["offset"] = m.offset;
    examples.push_back(std::move(e));
  }
  r["malformed"] = {{"count", malformed}, {"examples", std::move(examples)}};
  r["unreadable"] = unreadable_summary(ctx, malformed, skipped);
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
    for (uint64_t h : s.senders) senders.push_back(json(ctx.sender_name(h)));
    f["channels"] = std::move(chans);
    f["senders"] = std::move(senders);
    f["first_time"] = s.items.empty() ? json() : json(s.first);
    f["last_time"] = s.items.empty() ? json() : json(s.last);
    f["items"] = std::move(s.items);
    s.items = json::array();
    findings[kFindingNames[k]] = std::move(f);
  }
  r["findings"] = std::move(findings);
  if (const std::string sig = ctx.interrupted_by(); !sig.empty()) r["interrupted"] = sig;
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
// Which listed message a client keeps ("original") and which it should drop
// ("copy"), whatever order the inputs had: the lowest message_seq (messages
// without one come after), then the lowest (earliest) message_id, then the
// location. Every entry with the original's message_id is the original.
// absorbed_duplicate: the SDK already chose, the deleted row is the copy.
void mark_roles(const char* finding, json& items) {
  const bool absorbed = std::string_view(finding) == "absorbed_duplicate";
  if (!absorbed && std::string_view(finding) != "duplicate_client_msg_no" &&
      std::string_view(finding) != "suspected_regenerated_client_msg_no")
    return;
  auto u64 = [](const json& m, const char* k) {
    auto it = m.find(k);
    return it != m.end() && it->is_number_unsigned() ? std::optional<uint64_t>(it->get<uint64_t>()) : std::nullopt;
  };
  for (auto& item : items) {
    json& msgs = item["messages"];
    if (absorbed) {
      for (auto& m : msgs) m["role"] = m.value("is_deleted", false) ? "copy" : "original";
      continue;
    }
    auto rank = [&](const json& m) {
      const auto seq = u64(m, "message_seq"), id = u64(m, "message_id");
      return std::make_tuple(!seq, seq.value_or(0), !id, id.value_or(0), u64(m, "input").value_or(0),
                             u64(m, "pos").value_or(0));
    };
    const json* best = nullptr;
    for (const auto& m : msgs)
      if (!best || rank(m) < rank(*best)) best = &m;
    if (!best) continue;
    const auto original_id = u64(*best, "message_id");
    std::vector<bool> original;
    for (const auto& m : msgs) original.push_back(&m == best || (original_id && u64(m, "message_id") == original_id));
    for (size_t i = 0; i < msgs.size(); ++i) msgs[i]["role"] = original[i] ? "original" : "copy";
  }
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
    mark_roles(name, sorted);
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
  // The one place the verdict is decided (every output format, shards and
  // merges): a run that could not read every record cannot say "clean", nor
  // can one that was stopped (SIGINT/SIGTERM) before the end of its inputs.
  const json none = json::object();
  const json& unread = r.contains("unreadable") ? r["unreadable"] : r.value("malformed", none);
  const uint64_t unreadable = unread.value("count", uint64_t(0));
  const bool interrupted = r.contains("interrupted");
  const char* status = !failed.empty() ? "findings" : unreadable > 0 || interrupted ? "unverified" : "clean";
  r["failed_on"] = failed;
  r["status"] = status;
  r["result"] = status;
}

int report_exit_code(const json& r) {
  const std::string status = r.value("status", r.value("result", std::string("findings")));
  if (status == "clean") return 0;
  // --allow-unreadable forgives records that could not be read, not a run
  // that was stopped before it read everything.
  if (status == "unverified")
    return !r.contains("interrupted") && r.value("options", json::object()).value("allow_unreadable", false) ? 0 : 1;
  return 1;
}

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
    if (p.contains("interrupted"))
      return Error::input("partial report " + std::to_string(i + 1) + " was interrupted (" +
                          p["interrupted"].get<std::string>() +
                          ") before it read every record: run that shard again");
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
    for (const char* key : {"options", "inputs", "rows", "malformed", "unreadable"})
      if (p.value(key, json()) != parts[0].value(key, json()))
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
