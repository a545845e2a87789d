#pragma once
// `wkit audit --report FILE.html` (docs/audit.md "Reports"): the findings
// table and, per finding kind, a timeline of its flagged items: every stored
// copy (message_id, original or copy) placed at its timestamp.
// Ids: #findings-table, #timeline-KIND (one per kind with items).
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace wkit::audit {

std::string render_html(const nlohmann::json& report, size_t items_per_kind = 20);

// One line describing a finding item (as the text report prints it).
std::string finding_item_title(std::string_view kind, const nlohmann::json& item);

}  // namespace wkit::audit
