#pragma once
// The audit report (schema in docs/audit.md): built from the findings,
// finalised (sorted, summarised) the same way for a single run, a shard and
// a merge of shards, so a merge equals the single run. Renderers for text and
// Markdown work from the JSON.
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "wkit/audit/analyzer.hpp"
#include "wkit/audit/options.hpp"

namespace wkit::audit {

inline constexpr int kReportVersion = 1;

nlohmann::json build_report(AuditContext& ctx, Analyzer& analyzer);
// Sorts items and name lists, marks each listed message's `role` (original
// or copy), fills counts, `summary`, `failed_on` and `status` (= `result`):
// "findings" when a finding named in options.fail_on has a count, else
// "unverified" when any record could not be read or the run was stopped
// before the end of its inputs (`interrupted`), else "clean".
void finalize_report(nlohmann::json& report);
// 1 for "findings", 1 for "unverified" unless options.allow_unreadable (and
// not interrupted), else 0.
int report_exit_code(const nlohmann::json& report);

// Combines partial reports (--shard K/N, all N of them) into the report one
// run over the same inputs gives. Errors: ErrorKind::bad_input.
Result<nlohmann::json> merge_reports(const std::vector<nlohmann::json>& partials);

// `top`: items listed per finding (0 = every item, and every message of each;
// otherwise 5 messages per item). A cut list says how many it shows of how
// many and how to get all of them.
std::string render_text(const nlohmann::json& report, bool color, size_t top = 10);
std::string render_markdown(const nlohmann::json& report, size_t top = 20);
// One line per finding item, for jq: {"kind": NAME, the item's fields,
// "message_idstrs": its distinct message_ids as strings}.
std::string render_jsonl(const nlohmann::json& report);
// What a finding means and why it matters, in one line (text and md reports).
const char* finding_explanation(std::string_view name);

}  // namespace wkit::audit
