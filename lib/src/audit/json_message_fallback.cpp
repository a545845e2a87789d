// JSON message parsing with simdjson's builtin (baseline) implementation.
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
namespace json_builtin {
namespace ondemand = simdjson::SIMDJSON_BUILTIN_IMPLEMENTATION::ondemand;
#include "json_message_impl.inl"
}  // namespace json_builtin

std::unique_ptr<JsonMessageParser::Impl> make_json_parser_fallback(const FieldMap& map) {
  return std::make_unique<json_builtin::Parser>(map);
}

}  // namespace wkit::audit
