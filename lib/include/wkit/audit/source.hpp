#pragma once
// Record sources: one per input format. A source reads one input and feeds
// RecordBuilders (on as many threads as it can use). Adding a format is one
// file implementing RecordSource plus its SourceKind line in
// source_registry.cpp.
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "wkit/audit/byte_input.hpp"
#include "wkit/audit/context.hpp"
#include "wkit/audit/field_map.hpp"

namespace wkit::audit {

class RecordSource {
 public:
  virtual ~RecordSource() = default;
  // "jsonl", "json", "csv", "sqlite:android", ... (shown in the report)
  virtual std::string format() const = 0;
  // Reads every record of input `input` into ctx. Errors that make the input
  // unreadable are returned; malformed records go to the builders.
  virtual Status run(AuditContext& ctx, uint16_t input) = 0;
  // What the input has instead of the fields (e.g. "columns: a, b"), for the
  // refusal of an input in which no record has client_msg_no or message_id.
  virtual std::string fields_seen() const = 0;
};

struct SourceKind {
  const char* name;  // the --input-format value
  // Whether the first decompressed bytes look like this format.
  bool (*detect)(std::string_view head);
  Result<std::unique_ptr<RecordSource>> (*open)(std::unique_ptr<PeekableInput> in, const AuditOptions& o);
};

const std::vector<SourceKind>& source_kinds();

// Opens `path`, detects (or takes from options) its format, and returns the source.
// `consumed` counts the raw (compressed) bytes read, for progress.
Result<std::unique_ptr<RecordSource>> open_source(const std::string& path, const AuditOptions& o,
                                                  InputInfo& info, std::atomic<uint64_t>* consumed = nullptr);

// "a, b, c" (the first 20 names, control bytes as '?'), "none" when empty.
std::string describe_names(const std::vector<std::string>& names);
// "keys of the first record: a, b" for the first message object in `head`:
// a JSON line, or (document) the first element of the message array.
std::string first_record_keys(std::string_view head, bool document);

// The individual formats (source_*.cpp).
bool detect_jsonl(std::string_view head);
bool detect_json(std::string_view head);
bool detect_csv(std::string_view head);
bool detect_sqlite(std::string_view head);
bool detect_wkcap(std::string_view head);
bool detect_pcap(std::string_view head);
Result<std::unique_ptr<RecordSource>> open_jsonl(std::unique_ptr<PeekableInput> in, const AuditOptions& o);
Result<std::unique_ptr<RecordSource>> open_json(std::unique_ptr<PeekableInput> in, const AuditOptions& o);
Result<std::unique_ptr<RecordSource>> open_csv(std::unique_ptr<PeekableInput> in, const AuditOptions& o);
Result<std::unique_ptr<RecordSource>> open_sqlite(std::unique_ptr<PeekableInput> in, const AuditOptions& o);
Result<std::unique_ptr<RecordSource>> open_wkcap(std::unique_ptr<PeekableInput> in, const AuditOptions& o);
Result<std::unique_ptr<RecordSource>> open_pcap(std::unique_ptr<PeekableInput> in, const AuditOptions& o);
// A .wkcap file read as input `name` (its locations); `remove` deletes `path` when done.
std::unique_ptr<RecordSource> wkcap_file_source(std::string name, std::string path, bool remove);

}  // namespace wkit::audit
