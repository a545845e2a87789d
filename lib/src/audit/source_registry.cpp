// The input formats `wkit audit` reads, in detection order. A new format
// is one source_*.cpp plus one line here.
#include "wkit/audit/source.hpp"

namespace wkit::audit {

const std::vector<SourceKind>& source_kinds() {
  static const std::vector<SourceKind> kinds = {
      {"sqlite", detect_sqlite, open_sqlite},
      {"wkcap", detect_wkcap, open_wkcap},
      {"pcap", detect_pcap, open_pcap},  // pcap and pcapng, imported on the fly
      {"json", detect_json, open_json},  // before jsonl: both start with '{'
      {"jsonl", detect_jsonl, open_jsonl},
      {"csv", detect_csv, open_csv},
  };
  return kinds;
}

Result<std::unique_ptr<RecordSource>> open_source(const std::string& path, const AuditOptions& o, InputInfo& info,
                                                  std::atomic<uint64_t>* consumed) {
  auto in = PeekableInput::open(path, consumed, o.stop);
  if (!in) return in.error();
  info.name = (*in)->name();
  info.compression = compression_name((*in)->compression());
  auto head = (*in)->peek(64 * 1024);
  if (!head) return head.error();
  const SourceKind* kind = nullptr;
  for (auto& k : source_kinds()) {
    if (o.input_format == "auto" ? k.detect(*head) : o.input_format == k.name) {
      kind = &k;
      break;
    }
  }
  if (!kind) {
    if (o.input_format != "auto")
      return Error{ErrorKind::usage, "--input-format " + o.input_format + ": not supported (formats: auto, jsonl, "
                                     "json, csv, sqlite, wkcap, pcap)", std::nullopt};
    if (head->empty()) return Error::input(info.name + ": empty input");
    return Error::input(info.name + ": cannot tell the input format (not JSON, CSV, SQLite, a .wkcap capture or a pcap; use --input-format)");
  }
  auto src = kind->open(std::move(*in), o);
  if (!src) return src.error();
  info.format = (*src)->format();
  return src;
}

}  // namespace wkit::audit
