// The HTML page of `wkit capture info --report` (report_html.hpp).
#include "wkit/capture/report_html.hpp"

#include <algorithm>
#include <set>

#include "wkit/proto/frame.hpp"
#include "wkit/util/html_report.hpp"
#include "wkit/util/latency_text.hpp"

namespace wkit::capture {
namespace {

util::TimelineRow message_row(const MessageSummary& m) {
  util::TimelineRow row;
  std::string cmn = m.client_msg_no.size() > 12 ? m.client_msg_no.substr(0, 12) + "…" : m.client_msg_no;
  row.title = m.uid + " → " + m.channel_id + " " + cmn;
  int64_t t0 = INT64_MAX;
  for (auto& a : m.attempts) t0 = std::min(t0, a.ts_ns);
  for (auto& e : m.events) t0 = std::min(t0, e.ts_ns);
  auto at = [&](int64_t ns) { return double(ns - t0) / 1e9; };
  for (size_t i = 0; i < m.attempts.size(); ++i) {
    const auto& a = m.attempts[i];
    row.events.push_back({at(a.ts_ns), i == 0 ? "send" : "resend",
                          "seq " + std::to_string(a.client_seq) + (a.dup_flag ? " DUP" : "")});
  }
  for (auto& e : m.events) {
    const std::string id = std::to_string(e.message_id);
    switch (e.kind) {
      case MessageEvent::sendack: {
        std::string label = id;
        if (e.reason != 1) label += " " + std::string(proto::reason_code_name(e.reason));
        row.events.push_back({at(e.ts_ns), e.dropped ? "sendack-dropped" : "sendack", label + (e.dropped ? " (dropped)" : "")});
        break;
      }
      case MessageEvent::recv: row.events.push_back({at(e.ts_ns), "recv", id}); break;
      case MessageEvent::recvack: row.events.push_back({at(e.ts_ns), "recvack", ""}); break;
    }
  }
  std::stable_sort(row.events.begin(), row.events.end(),
                   [](const util::TimelineEvent& a, const util::TimelineEvent& b) { return a.t_s < b.t_s; });
  return row;
}

}  // namespace

std::string capture_report_html(const std::string& file, const CaptureSummary& s, size_t max_messages) {
  util::HtmlPage page("wkit capture report: " + file);
  std::vector<std::vector<std::string>> info = {
      {"file", file},
      {"time", s.first_ns ? util::rfc3339_us(s.first_ns) + " to " + util::rfc3339_us(s.last_ns) : "-"},
      {"connections", std::to_string(s.connections.size())},
      {"users", std::to_string(s.users.size())},
      {"frames", std::to_string(s.frames)},
      {"messages", std::to_string(s.messages)},
      {"resent (more than one SEND)", std::to_string(s.resends.size())},
      {"more than one message_id (duplicates)", std::to_string(s.duplicate_message_ids.size())},
      {"SENDs without a SENDACK", std::to_string(s.unacked.size())},
      {"SENDACKs without a SEND", std::to_string(s.sendacks_unmatched)},
      {"injected faults", std::to_string(s.faults.size())},
      {"anomalies", std::to_string(s.anomalies.size())},
  };
  page.heading("Findings", "summary");
  page.table({"", ""}, info, "summary-table");
  // Duplicates first, then the other resends.
  std::vector<const MessageSummary*> flagged;
  std::set<std::tuple<std::string, uint8_t, std::string, std::string>> seen;
  for (const auto* list : {&s.duplicate_message_ids, &s.resends})
    for (const auto& m : *list)
      if (seen.insert({m.uid, m.channel_type, m.channel_id, m.client_msg_no}).second) flagged.push_back(&m);
  page.heading("Retry story of the flagged messages", "messages");
  if (flagged.empty()) {
    page.paragraph("No message was resent or got more than one message_id.");
    page.raw(util::svg_timeline("timeline-messages", {}));
    return page.str();
  }
  const size_t n = std::min(flagged.size(), max_messages ? max_messages : flagged.size());
  page.paragraph(std::to_string(n) + " of " + std::to_string(flagged.size()) +
                 " flagged message(s), seconds after each one's first SEND. Marks: SEND (blue circle), resend "
                 "(orange circle), SENDACK with its message_id (green square; hollow red: dropped by a proxy "
                 "fault), RECV with its message_id (purple triangle), RECVACK (brown diamond).");
  std::vector<util::TimelineRow> rows;
  std::vector<std::vector<std::string>> table;
  for (size_t i = 0; i < n; ++i) {
    const auto& m = *flagged[i];
    rows.push_back(message_row(m));
    std::string ids;
    for (auto id : m.message_ids) ids += (ids.empty() ? "" : ", ") + std::to_string(id);
    table.push_back({m.uid, m.channel_id, m.client_msg_no, std::to_string(m.attempts.size()),
                     std::to_string(m.sendacks) + (m.sendacks_dropped ? " (" + std::to_string(m.sendacks_dropped) + " dropped)" : ""),
                     ids.empty() ? "-" : ids, m.message_ids.size() > 1 ? "DUPLICATE" : ""});
  }
  page.raw(util::svg_timeline("timeline-messages", rows));
  page.table({"uid", "channel", "client_msg_no", "SENDs", "SENDACKs", "message_ids", ""}, table, "messages-table");
  return page.str();
}

}  // namespace wkit::capture
