// The page around the charts: inline CSS, no scripts (html_report.hpp).
#include "wkit/util/html_report.hpp"

namespace wkit::util {

std::string html_escape(std::string_view s) {
  std::string o;
  o.reserve(s.size());
  for (char c : s) switch (c) {
      case '&': o += "&amp;"; break;
      case '<': o += "&lt;"; break;
      case '>': o += "&gt;"; break;
      case '"': o += "&quot;"; break;
      case '\'': o += "&#39;"; break;
      default: o += c;
    }
  return o;
}

void HtmlPage::heading(std::string_view text, std::string_view id) {
  body_ += id.empty() ? "<h2>" : "<h2 id=\"" + html_escape(id) + "\">";
  body_ += html_escape(text) + "</h2>\n";
}

void HtmlPage::paragraph(std::string_view text) { body_ += "<p>" + html_escape(text) + "</p>\n"; }

void HtmlPage::table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows,
                     std::string_view id) {
  body_ += id.empty() ? "<table>" : "<table id=\"" + html_escape(id) + "\">";
  bool named = false;
  for (auto& h : header) named = named || !h.empty();
  if (named) {
    body_ += "<tr>";
    for (auto& h : header) body_ += "<th>" + html_escape(h) + "</th>";
    body_ += "</tr>";
  }
  for (auto& r : rows) {
    body_ += "<tr>";
    for (auto& c : r) body_ += "<td>" + html_escape(c) + "</td>";
    body_ += "</tr>";
  }
  body_ += "</table>\n";
}

std::string HtmlPage::str() const {
  return "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
         "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">"
         "<title>" + html_escape(title_) + "</title><style>"
         "body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222;max-width:1000px}"
         "h1{font-size:20px}h2{font-size:16px;margin-top:28px}"
         "table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:left}"
         "th{background:#f3f3f3}"
         "svg text{font:12px system-ui,sans-serif;fill:#333}.chart-title{font-weight:bold}"
         ".grid{stroke:#e5e5e5}.frame{fill:none;stroke:#999}.lane{stroke:#bbb;stroke-dasharray:3 3}"
         ".ev-send{fill:#1f77b4}.ev-resend{fill:#ff7f0e}.ev-sendack{fill:#2ca02c}.ev-sendack-dropped{fill:#fff;stroke:#d62728;stroke-width:2}"
         ".ev-recv{fill:#9467bd}.ev-recvack{fill:#8c564b}.ev-stored{fill:#d62728}.ev-label{font-size:11px}"
         ".legend-marks span{margin-right:14px}"
         "</style></head><body>\n<h1>" + html_escape(title_) + "</h1>\n" + body_ + "</body></html>\n";
}

}  // namespace wkit::util
