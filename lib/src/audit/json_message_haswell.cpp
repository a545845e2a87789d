// JSON message parsing with simdjson's AVX2 (haswell) On Demand build. Only
// called after a CPU check (json_message.cpp).
#if defined(__x86_64__)
#pragma GCC target("avx2,bmi,pclmul,lzcnt,popcnt")
#define SIMDJSON_BUILTIN_IMPLEMENTATION haswell
#endif
#include <simdjson.h>

#include <array>
#include <bit>
#include <charconv>
#include <cstring>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "wkit/audit/json_message.hpp"

namespace wkit::audit {
#if defined(__x86_64__)
namespace json_haswell {
namespace ondemand = simdjson::haswell::ondemand;
#include "json_message_impl.inl"
}  // namespace json_haswell

std::unique_ptr<JsonMessageParser::Impl> make_json_parser_haswell(const FieldMap& map) {
  return std::make_unique<json_haswell::Parser>(map);
}
#else
std::unique_ptr<JsonMessageParser::Impl> make_json_parser_haswell(const FieldMap&) { return nullptr; }
#endif
}  // namespace wkit::audit
