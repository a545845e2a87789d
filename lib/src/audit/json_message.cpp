#include "wkit/audit/json_message.hpp"

namespace wkit::audit {

JsonMessageParser::Impl::~Impl() = default;

JsonMessageParser::JsonMessageParser(const FieldMap& map) {
  // simdjson On Demand runs the implementation it was compiled for; pick the
  // AVX2 build when this CPU has it (the x86-64 baseline build is scalar).
#if defined(__x86_64__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("bmi") && __builtin_cpu_supports("pclmul"))
    impl_ = make_json_parser_haswell(map);
#endif
  if (!impl_) impl_ = make_json_parser_fallback(map);
}

JsonMessageParser::~JsonMessageParser() = default;

}  // namespace wkit::audit
