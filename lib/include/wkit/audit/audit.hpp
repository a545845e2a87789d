#pragma once
// `wkit audit` as a library call: read every input, analyse, build the report.
#include <nlohmann/json.hpp>

#include "wkit/audit/options.hpp"
#include "wkit/util/error.hpp"

namespace wkit::audit {

// The report (docs/audit.md), or the error that stopped the audit: an input
// that cannot be read (bad_input, with file:line), a malformed record under
// --strict (bad_input), a bad option (usage).
Result<nlohmann::json> run_audit(const AuditOptions& options);

}  // namespace wkit::audit
