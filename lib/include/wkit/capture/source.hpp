#pragma once
// Records from any capture a user has: a .wkcap file read as it streams, or a
// pcap/pcapng file imported on the fly. Commands that read captures (decode,
// capture info, replay, audit) take records from here.
#include <optional>
#include <string>

#include "wkit/capture/pcap_import.hpp"
#include "wkit/capture/reader.hpp"

namespace wkit::capture {

enum class InputKind { wkcap, pcap };

// From the first bytes of the file: an Error (bad_input) for anything else.
Result<InputKind> detect_input_kind(const std::string& path);

struct SourceInfo {
  InputKind kind = InputKind::wkcap;
  pb::Header header;                      // for a pcap: made up from the import
  std::optional<Truncation> truncation;   // .wkcap cut off inside a record
  std::optional<ImportStats> import;      // pcap only
  uint64_t records = 0;
  // One line for stderr when the input ended early, or "".
  std::string warning(const std::string& path) const;
};

// Calls `sink` for every record of `path`; `kind` nullopt = detect. An Error
// from the sink stops reading and is returned.
Result<SourceInfo> read_records(const std::string& path, std::optional<InputKind> kind,
                                const ImportOptions& import_opts, const RecordSink& sink);

// The header a pcap import writes.
pb::Header import_header(const std::string& pcap_path, int64_t start_ns);

}  // namespace wkit::capture
