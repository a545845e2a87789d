// Parsing and formatting of durations, sizes and rates (docs/cli.md conventions).
#include "wkit/util/units.hpp"

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>

namespace wkit::util {
namespace {

Error usage(std::string msg) { return Error{ErrorKind::usage, std::move(msg), std::nullopt}; }

std::string quoted(std::string_view s) { return "\"" + std::string(s) + "\""; }

// Leading unsigned decimal number (digits with an optional fraction).
// Returns the number of characters used, 0 when there is none.
size_t read_number(std::string_view s, double& value) {
  size_t i = 0;
  while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == '.')) ++i;
  if (i == 0) return 0;
  auto r = std::from_chars(s.data(), s.data() + i, value, std::chars_format::fixed);
  if (r.ec != std::errc() || r.ptr != s.data() + i) return 0;
  return i;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  return true;
}

// Nanoseconds per duration unit, 0 if unknown.
double duration_unit_ns(std::string_view u) {
  if (u == "ns") return 1;
  if (u == "us" || u == "\xc2\xb5s") return 1e3;  // also µs
  if (u == "ms") return 1e6;
  if (u == "s") return 1e9;
  if (u == "m") return 60e9;
  if (u == "h") return 3600e9;
  return 0;
}

// Three significant digits, trailing zeros trimmed: 1.25, 250, 12.3, 2.
std::string short_number(double v) {
  char buf[32];
  int decimals = v >= 100 ? 0 : v >= 10 ? 1 : 2;
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  std::string s = buf;
  if (s.find('.') != std::string::npos) {
    while (s.back() == '0') s.pop_back();
    if (s.back() == '.') s.pop_back();
  }
  return s;
}

constexpr const char* kDurationHelp = "expected a number with a unit ns, us, ms, s, m or h (e.g. 250ms, 1.5s, 1m30s)";

}  // namespace

Result<std::chrono::nanoseconds> parse_duration(std::string_view text) {
  if (text.empty()) return usage("invalid duration \"\": " + std::string(kDurationHelp));
  if (text == "0") return std::chrono::nanoseconds(0);
  double total = 0;
  std::string_view rest = text;
  while (!rest.empty()) {
    double v = 0;
    size_t n = read_number(rest, v);
    if (n == 0) return usage("invalid duration " + quoted(text) + ": " + kDurationHelp);
    rest.remove_prefix(n);
    size_t u = 0;
    while (u < rest.size() && !std::isdigit(static_cast<unsigned char>(rest[u])) && rest[u] != '.') ++u;
    std::string_view unit = rest.substr(0, u);
    if (unit.empty()) return usage("invalid duration " + quoted(text) + ": missing unit; " + kDurationHelp);
    double scale = duration_unit_ns(unit);
    if (scale == 0)
      return usage("invalid duration " + quoted(text) + ": unknown unit " + quoted(unit) + "; " + kDurationHelp);
    total += v * scale;
    rest.remove_prefix(u);
  }
  if (!(total < 9.2e18)) return usage("invalid duration " + quoted(text) + ": too large");
  return std::chrono::nanoseconds(static_cast<int64_t>(std::llround(total)));
}

Result<uint64_t> parse_size(std::string_view text) {
  constexpr const char* help =
      "expected bytes or a number with B, K, M, G, T (= KiB, MiB, GiB, TiB), KiB, MiB, GiB, TiB or KB, MB, GB, TB "
      "(e.g. 64K, 256M, 1G)";
  double v = 0;
  size_t n = read_number(text, v);
  if (n == 0) return usage("invalid size " + quoted(text) + ": " + help);
  std::string_view unit = text.substr(n);
  struct U {
    const char* name;
    double scale;
  };
  // A bare K/M/G/T is binary, as in `ulimit`, `dd` and Kubernetes' Ki/Mi/Gi:
  // the same as KiB/MiB/GiB/TiB. Only the spelled-out KB/MB/GB/TB are decimal.
  static constexpr U units[] = {{"", 1},         {"B", 1},
                                {"KB", 1e3},     {"MB", 1e6},           {"GB", 1e9},           {"TB", 1e12},
                                {"K", 1024.0},   {"M", 1048576.0},      {"G", 1073741824.0},   {"T", 1099511627776.0},
                                {"KiB", 1024.0}, {"MiB", 1048576.0},    {"GiB", 1073741824.0}, {"TiB", 1099511627776.0}};
  for (const auto& u : units) {
    if (!iequals(unit, u.name)) continue;
    double bytes = v * u.scale;
    if (!(bytes < 1.8e19)) return usage("invalid size " + quoted(text) + ": too large");
    if (unit.empty() && bytes != std::floor(bytes)) return usage("invalid size " + quoted(text) + ": fractional bytes");
    return static_cast<uint64_t>(std::llround(bytes));
  }
  return usage("invalid size " + quoted(text) + ": unknown unit " + quoted(unit) + "; " + help);
}

Result<double> parse_rate(std::string_view text) {
  constexpr const char* help = "expected COUNT/PERIOD such as 5000/s, 100/ms, 30000/m or 50/10s";
  double count = 0;
  size_t n = read_number(text, count);
  if (n == 0) return usage("invalid rate " + quoted(text) + ": " + help);
  std::string_view rest = text.substr(n);
  // A bare number is refused like a duration without a unit: "500" could mean
  // per second or per run.
  if (rest.empty()) return usage("invalid rate " + quoted(text) + ": missing period; write " + std::string(text) + "/s");
  if (rest[0] != '/') return usage("invalid rate " + quoted(text) + ": " + help);
  rest.remove_prefix(1);
  // "/s" means "/1s"; "/10s" is a duration.
  std::string per = std::string(rest);
  if (!per.empty() && !std::isdigit(static_cast<unsigned char>(per[0]))) per.insert(0, "1");
  auto d = parse_duration(per);
  if (!d.ok() || d->count() <= 0) return usage("invalid rate " + quoted(text) + ": bad period " + quoted(rest) + "; " + help);
  return count * 1e9 / static_cast<double>(d->count());
}

std::string format_duration(std::chrono::nanoseconds d) {
  int64_t ns = d.count();
  if (ns < 0) return "-" + format_duration(std::chrono::nanoseconds(-ns));
  if (ns == 0) return "0s";
  if (ns < 1000) return std::to_string(ns) + "ns";
  // Thresholds sit where three significant digits would round up to the next unit.
  if (ns < 999500) return short_number(ns / 1e3) + "us";
  if (ns < 999500000) return short_number(ns / 1e6) + "ms";
  if (ns < 59950000000) return short_number(ns / 1e9) + "s";
  int64_t s = (ns + 500000000) / 1000000000;
  std::string out;
  if (s >= 3600) out += std::to_string(s / 3600) + "h";
  if (s >= 60) out += std::to_string(s / 60 % 60) + "m";
  out += std::to_string(s % 60) + "s";
  return out;
}

std::string format_size(uint64_t bytes) {
  static constexpr const char* units[] = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  if (bytes < 1024) return std::to_string(bytes) + " B";
  double v = static_cast<double>(bytes) / 1024;
  int i = 0;
  while (v >= 1024 && i < 5) {
    v /= 1024;
    ++i;
  }
  return short_number(v) + " " + units[i];
}

std::string format_rate(double per_second) {
  if (per_second < 0 || !std::isfinite(per_second)) return std::to_string(per_second) + "/s";
  if (per_second < 10000) return short_number(per_second) + "/s";
  if (per_second < 1e7) return short_number(per_second / 1e3) + "k/s";
  return short_number(per_second / 1e6) + "M/s";
}

}  // namespace wkit::util
