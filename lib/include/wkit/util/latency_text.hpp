#pragma once
// Latency and time stamps for people and for logs.
//   format_latency(420000)      -> "420us"   (ns, us, ms or s, whichever fits;
//                                              3 significant digits; 0 -> "0ns")
//   format_latency_ms(json)     -> the same from a JSON `*_ms` field; "-" for null
//   rfc3339_us(unix_ns)         -> "2026-12-06T22:30:53.123456Z"
#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <string>

namespace wkit::util {

std::string format_latency(uint64_t ns);
std::string format_latency_ms(const nlohmann::json& ms);
std::string rfc3339_us(int64_t unix_ns);

}  // namespace wkit::util
