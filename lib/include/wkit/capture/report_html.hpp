#pragma once
// `wkit capture info --report FILE.html` (docs/capture.md "Reports"): the
// capture's counts and the retry story of every flagged message (resent, or
// more than one message_id): SEND attempts, SENDACKs (with the message_ids
// they carried), RECVs and RECVACKs on one timeline.
// Ids: #summary-table, #timeline-messages.
#include <string>

#include "wkit/capture/summary.hpp"

namespace wkit::capture {

std::string capture_report_html(const std::string& file, const CaptureSummary& s, size_t max_messages = 50);

}  // namespace wkit::capture
