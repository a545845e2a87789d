#pragma once
// Flag value parsing shared by every command (CLI.md conventions):
// durations `250ms`, `3s`, `2m`, `1h`, `1.5s`; sizes `64KiB`, `1GiB`, `100` (bytes),
// `10MB`; rates `5000/s`, `100/ms`, `30000/m`.
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "wkit/util/error.hpp"

namespace wkit::util {

Result<std::chrono::nanoseconds> parse_duration(std::string_view text);
Result<uint64_t> parse_size(std::string_view text);
Result<double> parse_rate(std::string_view text);  // events per second

std::string format_duration(std::chrono::nanoseconds d);  // "1.25s", "250ms", "12.3us"
std::string format_size(uint64_t bytes);                  // "1.5 MiB"

}  // namespace wkit::util
