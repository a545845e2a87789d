#pragma once
// One WuKongIM message object (HTTP API JSON, docs/protocol.md section 6) to RawFields with
// simdjson On Demand. One instance per thread: the parser is reused, so a
// record costs no allocation once buffers have grown.
#include <memory>
#include <string_view>

#include "wkit/audit/field_map.hpp"
#include "wkit/audit/record.hpp"

namespace wkit::audit {

class JsonMessageParser {
 public:
  explicit JsonMessageParser(const FieldMap& map);
  ~JsonMessageParser();
  // `data` must have at least 64 (SIMDJSON_PADDING) readable bytes after len.
  // Returns "" on success or what was wrong.
  std::string_view parse(const char* data, size_t len, RawFields& out) { return impl_->parse(data, len, out); }

  struct Impl {
    virtual ~Impl();
    virtual std::string_view parse(const char* data, size_t len, RawFields& out) = 0;
  };

 private:
  std::unique_ptr<Impl> impl_;
};

std::unique_ptr<JsonMessageParser::Impl> make_json_parser_fallback(const FieldMap& map);
std::unique_ptr<JsonMessageParser::Impl> make_json_parser_haswell(const FieldMap& map);

}  // namespace wkit::audit
