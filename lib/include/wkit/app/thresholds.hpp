#pragma once
// Pass/fail thresholds for load runs, k6-style (docs/send.md "Thresholds"):
//   METRIC OP VALUE    e.g.  p99<50ms   acked_ratio>=0.999   late_ratio<0.01
// OP is one of < <= > >= ==. Latency metrics (p50 p90 p95 p99 p99.9 max
// mean) take a duration; ratios a number in 0..1; counts an integer;
// throughput a rate (1000/s). A threshold on a metric the run did not
// measure (no latency values, say) fails: nothing observed is not a pass.
#include <map>

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "wkit/util/error.hpp"
#include "wkit/util/histogram.hpp"

namespace wkit::app {

struct Threshold {
  std::string text;    // as given, for messages
  std::string metric;  // canonical name
  enum class Op { lt, le, gt, ge, eq } op = Op::lt;
  double value = 0;    // latency in ns, rates per second
};

enum class ThresholdScope { send, histogram };  // histogram: latency metrics and count only

Result<Threshold> parse_threshold(std::string_view text, ThresholdScope scope);
// Metric names valid in a scope, for error messages and docs.
std::string threshold_metrics(ThresholdScope scope);

// Metrics measured by a run; latency in ns. A metric missing here is unmeasured.
using Metrics = std::map<std::string, double>;
void add_latency_metrics(const util::Histogram& h, Metrics& m);

struct ThresholdResult {
  const Threshold* threshold;
  std::optional<double> actual;  // nullopt: not measured
  bool passed;
};
std::vector<ThresholdResult> evaluate(const std::vector<Threshold>& ts, const Metrics& m);
// Evaluates and reports: one {threshold, actual (null: not measured), passed}
// per threshold; the texts of the failed ones are appended to `failed`.
nlohmann::json evaluate_to_json(const std::vector<Threshold>& ts, const Metrics& m, std::vector<std::string>& failed);

}  // namespace wkit::app
