#pragma once
// Flag value parsing shared by every command (docs/cli.md conventions):
// durations `250ms`, `3s`, `2m`, `1h`, `1.5s`, `1m30s` (units ns us ms s m h);
// sizes `64KiB`, `256M`, `1G`, `100` (bytes), `10MB` (K/M/G/T and
// KiB/MiB/GiB/TiB are powers of 1024, KB/MB/GB/TB powers of 1000, unit
// letters case-insensitive);
// rates `5000/s`, `100/ms`, `30000/m`, `50/10s` (a bare number is refused
// with the hint `write N/s`).
// Errors are ErrorKind::usage and quote the bad text.
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "wkit/util/error.hpp"

namespace wkit::util {

Result<std::chrono::nanoseconds> parse_duration(std::string_view text);
Result<uint64_t> parse_size(std::string_view text);
Result<double> parse_rate(std::string_view text);  // events per second, >= 0

std::string format_duration(std::chrono::nanoseconds d);  // "1.25s", "250ms", "12.3us", "1m30s"
std::string format_size(uint64_t bytes);                  // "1.5 MiB", "100 B"
std::string format_rate(double per_second);               // "5000/s", "12.5k/s", "1.2M/s"

}  // namespace wkit::util
