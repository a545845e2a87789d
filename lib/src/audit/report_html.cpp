// The HTML page of `wkit audit --report` (report_html.hpp).
#include "wkit/audit/report_html.hpp"

#include <algorithm>

#include "wkit/audit/report.hpp"
#include "wkit/util/html_report.hpp"

namespace wkit::audit {

using nlohmann::json;

namespace {

std::string count_text(const json& j, const char* key) {
  auto it = j.find(key);
  return it == j.end() || it->is_null() ? "-" : it->is_string() ? it->get<std::string>() : it->dump();
}

// One row per item: its stored copies at their timestamps (seconds since the row's first one).
util::TimelineRow item_row(std::string_view kind, const json& item) {
  util::TimelineRow row;
  row.title = finding_item_title(kind, item);
  if (row.title.size() > 34) row.title = row.title.substr(0, 33) + "…";
  const json& msgs = item.contains("messages") ? item["messages"] : json::array();
  int64_t t0 = INT64_MAX;
  for (const auto& m : msgs)
    if (m.contains("timestamp") && m["timestamp"].is_number()) t0 = std::min(t0, m["timestamp"].get<int64_t>());
  for (const auto& m : msgs) {
    util::TimelineEvent e;
    e.kind = "stored";
    const bool timed = m.contains("timestamp") && m["timestamp"].is_number();
    e.t_s = timed && t0 != INT64_MAX ? double(m["timestamp"].get<int64_t>() - t0) : 0;
    e.label = m.contains("message_idstr") ? m["message_idstr"].get<std::string>() : std::string("no message_id");
    if (m.contains("role")) e.label += " (" + m["role"].get<std::string>() + ")";
    if (m.value("is_deleted", false)) e.label += " deleted";
    row.events.push_back(std::move(e));
  }
  return row;
}

}  // namespace

std::string render_html(const json& r, size_t per_kind) {
  util::HtmlPage page("wkit audit report");
  std::vector<std::vector<std::string>> info = {
      {"status", count_text(r, "status")},
      {"inputs", std::to_string(r.contains("inputs") ? r["inputs"].size() : 0)},
      {"rows", count_text(r, "rows")},
      {"scope", r.contains("options") ? count_text(r["options"], "scope") : "-"},
  };
  if (r.contains("failed_on")) info.push_back({"failed on", r["failed_on"].dump()});
  page.heading("Summary", "summary");
  page.table({"", ""}, info, "summary-table");
  std::vector<std::vector<std::string>> rows;
  for (const char* name : kFindingNames) {
    if (!r.contains("findings") || !r["findings"].contains(name)) continue;
    const json& f = r["findings"][name];
    rows.push_back({name, count_text(f, "count"), count_text(f, "affected_channels"), count_text(f, "affected_senders"),
                    finding_explanation(name)});
  }
  page.heading("Findings", "findings");
  page.table({"finding", "count", "channels", "senders", "what it means"}, rows, "findings-table");
  bool any = false;
  for (const char* name : kFindingNames) {
    if (!r.contains("findings") || !r["findings"].contains(name)) continue;
    const json& items = r["findings"][name]["items"];
    if (!items.is_array() || items.empty()) continue;
    any = true;
    std::vector<util::TimelineRow> tl;
    const size_t n = per_kind ? std::min(per_kind, items.size()) : items.size();
    for (size_t i = 0; i < n; ++i) tl.push_back(item_row(name, items[i]));
    page.heading(std::string(name) + " (" + std::to_string(n) + " of " + std::to_string(items.size()) + ")",
                 std::string("finding-") + name);
    page.paragraph(std::string(finding_explanation(name)) +
                   ". Each row is one item; each mark a stored message (red diamond) at its timestamp, seconds "
                   "after the item's first one, labelled with its message_id.");
    page.raw(util::svg_timeline(std::string("timeline-") + name, tl));
  }
  if (!any) page.paragraph("No flagged messages.");
  return page.str();
}

}  // namespace wkit::audit
