#include "wkit/capture/source.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace wkit::capture {

namespace {
// "FILE: byte N: what" (the offset stays in the Error for callers that want it).
Error with_path(const std::string& path, Error e) {
  e.message = path + ": " + e.describe();
  e.offset.reset();
  return e;
}
}  // namespace

Result<InputKind> detect_input_kind(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return Error::input("cannot open " + path + ": " + std::strerror(errno));
  char head[8] = {};
  size_t n = std::fread(head, 1, sizeof head, f);
  std::fclose(f);
  std::string_view prefix(head, n);
  if (looks_like_wkcap(prefix)) return InputKind::wkcap;
  if (looks_like_pcap(prefix)) return InputKind::pcap;
  return Error::input(path + ": byte 0: neither a .wkcap capture nor a pcap/pcapng file (unknown magic)");
}

pb::Header import_header(const std::string& pcap_path, int64_t start_ns) {
  pb::Header h;
  h.set_format_version(kFormatVersion);
  h.set_creator("wkit capture import");
  h.set_start_time_ns(start_ns);
  h.set_source("pcap " + pcap_path);
  return h;
}

std::string SourceInfo::warning(const std::string& path) const {
  if (truncation) return path + ": warning: " + truncation->describe();
  if (import && import->file_truncated) return path + ": warning: pcap file is cut off " + *import->file_truncated;
  return "";
}

Result<SourceInfo> read_records(const std::string& path, std::optional<InputKind> kind,
                                const ImportOptions& import_opts, const RecordSink& sink) {
  SourceInfo info;
  if (!kind) {
    auto k = detect_input_kind(path);
    if (!k) return k.error();
    kind = k.value();
  }
  info.kind = *kind;
  if (*kind == InputKind::pcap) {
    auto counted = [&](const pb::Record& r) -> Status {
      ++info.records;
      return sink(r);
    };
    auto st = import_pcap(path, import_opts, counted);
    if (!st) return st.error();
    info.import = st.value();
    info.header = import_header(path, st->first_ns);
    return info;
  }
  auto reader = CaptureReader::open(path);
  if (!reader) {
    return with_path(path, reader.error());
  }
  info.header = reader.value()->header();
  pb::Record rec;
  while (true) {
    auto got = reader.value()->next(rec);
    if (!got) {
      return with_path(path, got.error());
    }
    if (!got.value()) break;
    ++info.records;
    if (auto err = sink(rec)) return *err;
  }
  info.truncation = reader.value()->truncation();
  return info;
}

}  // namespace wkit::capture
