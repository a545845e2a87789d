#include "wkit/app/thresholds.hpp"

#include <array>
#include <charconv>

#include "wkit/util/units.hpp"

namespace wkit::app {

namespace {

enum class Kind { latency, ratio, count, rate };

struct MetricInfo {
  std::string_view name;
  Kind kind;
  bool histogram;  // available from a histogram alone (merge-hist)
};

constexpr std::array kMetrics{
    MetricInfo{"p50", Kind::latency, true},          MetricInfo{"p90", Kind::latency, true},
    MetricInfo{"p95", Kind::latency, true},          MetricInfo{"p99", Kind::latency, true},
    MetricInfo{"p99.9", Kind::latency, true},        MetricInfo{"max", Kind::latency, true},
    MetricInfo{"mean", Kind::latency, true},         MetricInfo{"count", Kind::count, true},
    MetricInfo{"acked_ratio", Kind::ratio, false},   MetricInfo{"late_ratio", Kind::ratio, false},
    MetricInfo{"duplicated", Kind::count, false},    MetricInfo{"unverified", Kind::count, false},
    MetricInfo{"failed", Kind::count, false},        MetricInfo{"lost", Kind::count, false},
    MetricInfo{"throughput", Kind::rate, false},
};

const MetricInfo* find_metric(std::string_view name) {
  if (name == "p999") name = "p99.9";
  for (auto& m : kMetrics)
    if (m.name == name) return &m;
  return nullptr;
}

Error bad(std::string_view text, const std::string& why) {
  return Error{ErrorKind::usage, "--threshold '" + std::string(text) + "': " + why, std::nullopt};
}

}  // namespace

std::string threshold_metrics(ThresholdScope scope) {
  std::string out;
  for (auto& m : kMetrics) {
    if (scope == ThresholdScope::histogram && !m.histogram) continue;
    if (!out.empty()) out += ", ";
    out += m.name;
  }
  return out;
}

Result<Threshold> parse_threshold(std::string_view text, ThresholdScope scope) {
  Threshold t;
  t.text = std::string(text);
  size_t at = text.find_first_of("<>=");
  if (at == std::string_view::npos || at == 0)
    return bad(text, "expected METRIC OP VALUE, e.g. p99<50ms or acked_ratio>=0.999");
  auto trim = [](std::string_view s) {
    while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
    while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
    return s;
  };
  std::string_view name = trim(text.substr(0, at)), rest = text.substr(at);
  const MetricInfo* info = find_metric(name);
  if (!info || (scope == ThresholdScope::histogram && !info->histogram))
    return bad(text, "unknown metric '" + std::string(name) + "' (valid: " + threshold_metrics(scope) + ")");
  t.metric = std::string(info->name);
  if (rest.starts_with("<=")) t.op = Threshold::Op::le, rest.remove_prefix(2);
  else if (rest.starts_with(">=")) t.op = Threshold::Op::ge, rest.remove_prefix(2);
  else if (rest.starts_with("==")) t.op = Threshold::Op::eq, rest.remove_prefix(2);
  else if (rest.starts_with("<")) t.op = Threshold::Op::lt, rest.remove_prefix(1);
  else if (rest.starts_with(">")) t.op = Threshold::Op::gt, rest.remove_prefix(1);
  else return bad(text, "operator must be one of < <= > >= ==");
  std::string_view value = trim(rest);
  if (value.empty()) return bad(text, "missing value");
  switch (info->kind) {
    case Kind::latency: {
      auto d = util::parse_duration(value);
      if (!d) return bad(text, "latency needs a duration with a unit (e.g. 50ms): " + d.error().message);
      t.value = double(d->count());
      break;
    }
    case Kind::rate: {
      if (value.find('/') == std::string_view::npos) return bad(text, "throughput needs a rate with a unit, e.g. 1000/s");
      auto r = util::parse_rate(value);
      if (!r) return bad(text, r.error().message);
      t.value = *r;
      break;
    }
    case Kind::ratio:
    case Kind::count: {
      double v = 0;
      auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
      if (ec != std::errc() || p != value.data() + value.size()) return bad(text, "value must be a number");
      if (info->kind == Kind::ratio && (v < 0 || v > 1)) return bad(text, "a ratio is between 0 and 1");
      t.value = v;
      break;
    }
  }
  return t;
}

void add_latency_metrics(const util::Histogram& h, Metrics& m) {
  m["count"] = double(h.count());
  if (h.count() == 0) return;  // no latency measured: latency thresholds fail
  m["p50"] = double(h.value_at_quantile(0.5));
  m["p90"] = double(h.value_at_quantile(0.9));
  m["p95"] = double(h.value_at_quantile(0.95));
  m["p99"] = double(h.value_at_quantile(0.99));
  m["p99.9"] = double(h.value_at_quantile(0.999));
  m["max"] = double(h.max());
  m["mean"] = h.mean();
}

std::vector<ThresholdResult> evaluate(const std::vector<Threshold>& ts, const Metrics& m) {
  std::vector<ThresholdResult> out;
  for (auto& t : ts) {
    auto it = m.find(t.metric);
    if (it == m.end()) {
      out.push_back({&t, std::nullopt, false});
      continue;
    }
    const double a = it->second;
    bool pass = false;
    switch (t.op) {
      case Threshold::Op::lt: pass = a < t.value; break;
      case Threshold::Op::le: pass = a <= t.value; break;
      case Threshold::Op::gt: pass = a > t.value; break;
      case Threshold::Op::ge: pass = a >= t.value; break;
      case Threshold::Op::eq: pass = a == t.value; break;
    }
    out.push_back({&t, a, pass});
  }
  return out;
}

nlohmann::json evaluate_to_json(const std::vector<Threshold>& ts, const Metrics& m, std::vector<std::string>& failed) {
  nlohmann::json out = nlohmann::json::array();
  for (auto& res : evaluate(ts, m)) {
    out.push_back({{"threshold", res.threshold->text},
                   {"actual", res.actual ? nlohmann::json(*res.actual) : nlohmann::json()},
                   {"passed", res.passed}});
    if (!res.passed) failed.push_back(res.threshold->text);
  }
  return out;
}

}  // namespace wkit::app
