// Adaptive latency units and RFC 3339 time stamps (latency_text.hpp).
#include "wkit/util/latency_text.hpp"

#include <cmath>
#include <ctime>
#include <nlohmann/json.hpp>

#include "wkit/util/units.hpp"

namespace wkit::util {

std::string format_latency(uint64_t ns) {
  if (ns == 0) return "0ns";
  return format_duration(std::chrono::nanoseconds(static_cast<int64_t>(std::min<uint64_t>(ns, INT64_MAX))));
}

std::string format_latency_ms(const nlohmann::json& ms) {
  if (!ms.is_number()) return "-";
  const double v = ms.get<double>();
  if (!(v >= 0)) return "-";
  return format_latency(static_cast<uint64_t>(std::llround(v * 1e6)));
}

std::string rfc3339_us(int64_t unix_ns) {
  int64_t secs = unix_ns / 1000000000, us = (unix_ns % 1000000000) / 1000;
  if (us < 0) {
    us += 1000000;
    --secs;
  }
  const std::time_t t = static_cast<std::time_t>(secs);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[48];
  size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(buf + n, sizeof buf - n, ".%06lldZ", static_cast<long long>(us));
  return buf;
}

}  // namespace wkit::util
