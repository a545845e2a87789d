// JSON lines: one WuKongIM message object per line (WuKongIM 3.x's export).
#include <cstring>

#include "wkit/audit/json_message.hpp"
#include "wkit/audit/source.hpp"
#include "wkit/audit/text_pipeline.hpp"

namespace wkit::audit {

namespace {

class JsonLinesParser final : public ChunkParser {
 public:
  explicit JsonLinesParser(const FieldMap& map) : json_(map) {}
  void parse(const TextChunk& c, RecordBuilder& out) override {
    const char* p = c.bytes();
    const char* end = p + c.size;
    uint64_t line = c.first_line;
    size_t rec = 0;
    RawFields f;
    uint64_t newlines = 0;  // a local: the two workers' parsers may share a cache line
    while (p < end) {
      const char* nl = static_cast<const char*>(std::memchr(p, '\n', static_cast<size_t>(end - p)));
      if (nl) ++newlines;
      else nl = end;
      const uint64_t at = c.lines.empty() ? line : c.lines[rec];
      size_t len = static_cast<size_t>(nl - p);
      if (len && p[len - 1] == '\r') --len;
      size_t start = 0;
      while (start < len && (p[start] == ' ' || p[start] == '\t')) ++start;
      if (start < len) {
        std::string_view err = json_.parse(p + start, len - start, f);
        if (c.file && f.client_msg_no_verbatim)
          f.client_msg_no_at = static_cast<int64_t>(c.offset + (f.client_msg_no_verbatim - c.bytes()));
        if (err.empty()) out.add(f, at);
        else out.malformed(at, err);
      }
      ++line;
      ++rec;
      p = nl + 1;
    }
    newlines_ = newlines;
  }
  std::optional<uint64_t> newlines_in_last_chunk() const override { return newlines_; }

 private:
  JsonMessageParser json_;
  uint64_t newlines_ = 0;
};

class JsonLinesSource final : public RecordSource {
 public:
  JsonLinesSource(std::unique_ptr<PeekableInput> in, FieldMap map, std::string keys)
      : in_(std::move(in)), map_(std::move(map)), keys_(std::move(keys)) {}
  std::string format() const override { return "jsonl"; }
  std::string fields_seen() const override { return keys_; }
  Status run(AuditContext& ctx, uint16_t input) override {
    return run_text_pipeline(
        ctx, input, *in_, [&](ChunkSink& sink) { return produce_newline_chunks(*in_, sink); },
        [&] { return std::make_unique<JsonLinesParser>(map_); });
  }

 private:
  std::unique_ptr<PeekableInput> in_;
  FieldMap map_;
  std::string keys_;
};

}  // namespace

bool detect_jsonl(std::string_view head) {
  size_t i = 0;
  while (i < head.size() && std::isspace(static_cast<unsigned char>(head[i]))) ++i;
  return i < head.size() && head[i] == '{';
}

Result<std::unique_ptr<RecordSource>> open_jsonl(std::unique_ptr<PeekableInput> in, const AuditOptions& o) {
  auto map = FieldMap::make(o.maps);
  if (!map) return map.error();
  auto head = in->peek(64 * 1024);
  if (!head) return head.error();
  std::string keys = first_record_keys(*head, false);
  return std::unique_ptr<RecordSource>(
      std::make_unique<JsonLinesSource>(std::move(in), std::move(*map), std::move(keys)));
}

}  // namespace wkit::audit
