// pcap and pcapng captures (tcpdump): imported on the fly into a temporary
// .wkcap, exactly as `wkit capture import` would write it, and audited as
// that capture (source_wkcap.cpp). Locations are `file.pcap:N`, N the record
// number in that imported capture. Stream gaps, bytes that do not decode and
// streams cut inside a frame hide frames: each is a skipped record, so such
// a capture cannot be called clean.
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "wkit/audit/source.hpp"
#include "wkit/capture/pcap_import.hpp"
#include "wkit/capture/source.hpp"
#include "wkit/capture/writer.hpp"

namespace wkit::audit {

namespace {

namespace pb = capture::pb;

// Frames may be missing where the importer left one of these.
const char* hidden_frames(pb::Anomaly::Kind k) {
  switch (k) {
    case pb::Anomaly::GAP: return "bytes never captured";
    case pb::Anomaly::DECODE_ERROR: return "bytes that are not a frame";
    case pb::Anomaly::TRUNCATED: return "stream ends inside a frame";
    default: return nullptr;  // UNDECODED follows one of the above; NOT_WKPROTO holds no messages
  }
}

class PcapSource final : public RecordSource {
 public:
  PcapSource(std::string name, std::string path, bool temp, std::string temp_dir)
      : name_(std::move(name)), path_(std::move(path)), temp_(temp), temp_dir_(std::move(temp_dir)) {}
  ~PcapSource() override {
    if (temp_) ::unlink(path_.c_str());
  }
  std::string format() const override { return "pcap"; }
  std::string fields_seen() const override { return "message frames (SENDACK, RECV)"; }

  Status run(AuditContext& ctx, uint16_t input) override {
    std::string wkcap = temp_dir_ + "/wkit-audit-pcap-XXXXXX";
    const int fd = ::mkstemp(wkcap.data());
    if (fd < 0) return Error::internal_error("cannot create a temp file in " + temp_dir_ + ": " + std::strerror(errno));
    ::close(fd);
    auto inner = wkcap_file_source(name_, wkcap, true);  // removes the temp capture when done
    std::unique_ptr<capture::CaptureWriter> writer;
    auto open_writer = [&](int64_t start_ns) -> Status {
      capture::WriterOptions wopts;
      wopts.flush_every = 0;
      auto w = capture::CaptureWriter::create(wkcap, capture::import_header(name_, start_ns), wopts);
      if (!w) return w.error();
      writer = std::move(w.value());
      return std::nullopt;
    };
    struct Hidden {
      uint64_t record;
      std::string what;
    };
    std::vector<Hidden> hidden;
    uint64_t records = 0;
    auto stats = capture::import_pcap(path_, {}, [&](const pb::Record& r) -> Status {
      if (ctx.stopping()) return Error::internal_error("stopped");
      if (!writer)
        if (auto err = open_writer(r.timestamp_ns())) return err;
      ++records;
      if (r.has_anomaly())
        if (const char* what = hidden_frames(r.anomaly().kind()))
          hidden.push_back({records, std::string("frames may be missing: ") + what + " (" +
                                         std::to_string(r.anomaly().length()) + " bytes at stream offset " +
                                         std::to_string(r.anomaly().stream_offset()) + ")"});
      return writer->write(r);
    });
    if (ctx.stopping()) return std::nullopt;  // the import did not finish: nothing of it is audited
    if (!stats) return Error::input(name_ + ": " + stats.error().describe());
    const auto& s = stats.value();
    // Nothing to audit is not a clean store: say so rather than report 0 rows.
    if (s.connections == 0)
      return Error::input(name_ + ": no WKProto connection in the capture (" + std::to_string(s.packets) +
                          " packets; a capture started after its connections' CONNECT: `wkit capture import --port "
                          "N` decodes them, then audit the .wkcap)");
    if (!writer)
      if (auto err = open_writer(s.first_ns)) return err;
    if (auto err = writer->commit()) return err;
    writer.reset();
    if (auto err = inner->run(ctx, input)) return err;
    for (const auto& h : hidden) ctx.skipped(input, h.record, h.what);
    if (s.file_truncated) ctx.skipped(input, records + 1, "pcap cut off " + *s.file_truncated);
    nlohmann::json pcap = {{"packets", s.packets},
                           {"tcp_segments", s.tcp_segments},
                           {"connections", s.connections},
                           {"skipped_connections", s.skipped_connections},
                           {"frames", s.frames},
                           {"records", records},
                           {"gaps", s.gaps},
                           {"gap_bytes", s.gap_bytes},
                           {"decode_errors", s.decode_errors},
                           {"hidden_frame_spans", hidden.size()}};
    if (s.file_truncated) pcap["truncated"] = *s.file_truncated;
    std::lock_guard lk(ctx.mu);
    ctx.inputs[input].details["pcap"] = std::move(pcap);
    return std::nullopt;
  }

 private:
  std::string name_, path_;
  bool temp_;
  std::string temp_dir_;
};

}  // namespace

bool detect_pcap(std::string_view head) { return capture::looks_like_pcap(head); }

Result<std::unique_ptr<RecordSource>> open_pcap(std::unique_ptr<PeekableInput> in, const AuditOptions& o) {
  if (in->compression() == Compression::none && in->name() != "<stdin>")
    return std::unique_ptr<RecordSource>(std::make_unique<PcapSource>(in->name(), in->name(), false, temp_dir_of(o)));
  // libpcap reads files: a compressed capture or stdin is copied (decompressed) first.
  auto path = copy_to_temp_file(*in, temp_dir_of(o), "wkit-audit-pcap-in-");
  if (!path) return path.error();
  return std::unique_ptr<RecordSource>(std::make_unique<PcapSource>(in->name(), *path, true, temp_dir_of(o)));
}

}  // namespace wkit::audit
