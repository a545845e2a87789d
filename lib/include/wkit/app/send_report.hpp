#pragma once
// `wkit send --report FILE.html`: the run on one self-contained page (docs/send.md "Reports"):
// summary table, latency percentile curve (#latency-percentiles), latency over
// time (#latency-over-time) and throughput over time (#throughput-over-time).
#include <nlohmann/json.hpp>
#include <string>

#include "wkit/util/histogram.hpp"
#include "wkit/util/run_timeline.hpp"

namespace wkit::app {

std::string send_report_html(const nlohmann::json& summary, const util::Histogram& latency,
                             const util::RunTimeline& timeline);

}  // namespace wkit::app
