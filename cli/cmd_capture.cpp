// `wkit capture import IN.pcap --out OUT.wkcap [--port N] [--force] [--skip-bad] [-o text|json]` and
// `wkit capture info FILE` (docs/cli.md; docs/capture.md).
#include <cinttypes>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <memory>
#include <vector>

#include "command_registry.hpp"
#include "progress_flags.hpp"
#include "progress_lines.hpp"
#include "stop_signals.hpp"
#include "wkit/capture/source.hpp"
#include "wkit/capture/report_html.hpp"
#include "wkit/capture/summary.hpp"
#include "wkit/capture/writer.hpp"
#include "wkit/proto/frame.hpp"
#include "wkit/util/json_text.hpp"
#include "wkit/util/output_file.hpp"
#include "wkit/util/progress_ticker.hpp"

namespace {

using namespace wkit::capture;

int exit_code(const wkit::Error& e) { return static_cast<int>(e.kind); }

struct ImportArgs {
  std::string in, out;
  int port = 0;
  bool force = false, skip_bad = false;
  std::vector<std::string> output_values;  // every -o/--output given (a file among them: the old spelling)
  std::string output = "text";             // the summary format they settle on
  wkit::cli::ProgressFlags progress;
};

bool is_format(const std::string& v) { return v == "text" || v == "json"; }

// Until this release `-o` named the output file; a value that is no format but
// a path ("out.wkcap", "dir/x") is still taken as --out, with a warning.
bool looks_like_file(const std::string& v) { return v.find('/') != std::string::npos || v.find('.') != std::string::npos; }

// Settles --out and the format from the old and new spellings; false after a
// usage error is printed.
// `-o OLD.wkcap --output json` (the old spelling of both) still works.
bool resolve_import_spelling(ImportArgs& a) {
  std::vector<std::string> files;
  for (const auto& v : a.output_values)
    if (is_format(v)) a.output = v;
    else files.push_back(v);
  if (files.size() > 1 || (!files.empty() && !a.out.empty())) {
    std::cerr << "wkit capture import: -o/--output is the summary format (text or json), not '" << files.back()
              << "'; give the output file once, as --out FILE\n";
    return false;
  }
  if (!files.empty()) {
    std::cerr << "wkit capture import: warning: -o FILE for the output file is deprecated and goes in the next "
                 "release; write --out "
              << files[0] << " (-o is the summary format, text or json)\n";
    a.out = files[0];
  }
  if (a.out.empty()) {
    std::cerr << "wkit capture import: --out FILE is required (the .wkcap to write; -o is the summary format)\n";
    return false;
  }
  return true;
}

int run_import(ImportArgs a) {
  if (!resolve_import_spelling(a)) return 2;
  auto progress_settings = wkit::cli::progress_settings(a.progress);
  if (!progress_settings) {
    std::cerr << "wkit capture import: " << progress_settings.error().message << "\n";
    return 2;
  }
  wkit::util::OutputPolicy out_policy;
  out_policy.force = a.force;
  out_policy.inputs = {a.in};
  if (auto err = wkit::util::check_output(a.out, out_policy)) {
    std::cerr << "wkit capture import: " << err->describe() << "\n";
    return exit_code(*err);
  }
  auto kind = detect_input_kind(a.in);
  if (!kind) {
    std::cerr << "wkit capture import: " << kind.error().describe() << "\n";
    return 4;
  }
  if (kind.value() != InputKind::pcap) {
    std::cerr << "wkit capture import: " << a.in << " is already a .wkcap capture\n";
    return 4;
  }
  ImportOptions opts;
  if (a.port) opts.port = static_cast<uint16_t>(a.port);
  opts.skip_bad = a.skip_bad;
  // The writer is made at the first record (its header carries the start
  // time); it writes to a temporary file renamed only when all went well.
  std::unique_ptr<CaptureWriter> writer;
  WriterOptions wopts;
  wopts.atomic = true;
  wopts.output = out_policy;
  wopts.flush_every = 0;
  auto open_writer = [&](int64_t start_ns) -> wkit::Status {
    auto w = CaptureWriter::create(a.out, import_header(a.in, start_ns), wopts);
    if (!w) return w.error();
    writer = std::move(w.value());
    return std::nullopt;
  };
  // SIGINT/SIGTERM: stop at the next record; the temporary output is removed
  // (nothing half-imported is renamed into place).
  const auto& stop = wkit::cli::catch_stop_signals("capture import", "stopping; " + a.out + " is not written");
  uint64_t records = 0;
  // Progress (docs/cli.md "Progress"): file bytes read of its size.
  wkit::util::Progress progress(*progress_settings);
  ImportProgress counters;
  wkit::util::ProgressWindow window;  // bytes read since the previous line
  std::optional<wkit::util::ProgressTicker> ticker;
  if (progress.enabled()) {
    opts.progress = &counters;
    std::error_code size_error;
    const uint64_t file_size = std::filesystem::file_size(a.in, size_error);
    ticker.emplace([&, file_size](wkit::util::ProgressTicker::Clock::time_point now) {
      progress.update_with([&] {
        return wkit::cli::import_progress_line(window.close(counters.bytes_read.load(), now), size_error ? 0 : file_size,
                                               counters.packets.load());
      }, now);
    });
  }
  auto stats = import_pcap(a.in, opts, [&](const pb::Record& r) -> wkit::Status {
    if (stop.load()) return wkit::Error{wkit::ErrorKind::internal, "interrupted", std::nullopt};
    if (!writer)
      if (auto err = open_writer(r.timestamp_ns())) return err;
    ++records;
    return writer->write(r);
  });
  if (ticker) ticker->stop();
  progress.finish();
  if (int sig = stop.load()) {
    writer.reset();  // removes the temporary file
    const char* name = sig == SIGTERM ? "SIGTERM" : "SIGINT";
    if (a.output == "json")
      std::cout << wkit::util::json_text(nlohmann::ordered_json{{"output", nullptr},
                                                                {"interrupted", name},
                                                                {"records_read", records}},
                                         2)
                << "\n";
    else
      std::printf("%s: interrupted (%s) after %" PRIu64 " record(s); %s not written\n", a.in.c_str(), name, records,
                  a.out.c_str());
    return 128 + sig;
  }
  if (!stats) {
    std::cerr << "wkit capture import: " << stats.error().describe() << "\n";
    return exit_code(stats.error());
  }
  const auto& s = stats.value();
  if (!writer)
    if (auto err = open_writer(s.first_ns)) {
      std::cerr << "wkit capture import: " << err->describe() << "\n";
      return exit_code(*err);
    }
  if (auto err = writer->commit()) {
    std::cerr << "wkit capture import: " << err->describe() << "\n";
    return exit_code(*err);
  }
  if (s.file_truncated) std::cerr << "wkit capture import: warning: " << a.in << " is cut off " << *s.file_truncated << "\n";
  if (s.bad_records) {
    std::cerr << "wkit capture import: warning: skipped " << s.bad_records << " corrupt record(s), " << s.bad_bytes
              << " bytes\n";
    for (const auto& note : s.bad_record_notes) std::cerr << "  " << a.in << ": " << note << "\n";
    if (s.bad_records > s.bad_record_notes.size())
      std::cerr << "  (" << s.bad_records - s.bad_record_notes.size() << " more not listed)\n";
  }
  if (s.tls_connections)
    std::cerr << "wkit capture import: warning: skipped " << s.tls_connections << " TLS connection(s) (first to "
              << s.first_tls_server << "): ciphertext; record wss:// sessions at the proxy (docs/tls.md)\n";
  if (s.gaps)
    std::cerr << "wkit capture import: warning: " << s.gaps << " gap(s), " << s.gap_bytes
              << " bytes never captured; frames after a gap are not decoded (see `wkit capture info`)\n";
  if (s.connections == 0)
    std::cerr << "wkit capture import: warning: no WKProto connection found"
              << (a.port ? "" : " (use --port to name the server port)") << "\n";
  if (a.output == "json") {
    nlohmann::ordered_json j{{"output", a.out},
                             {"link_type", s.link_type},
                             {"packets", s.packets},
                             {"tcp_segments", s.tcp_segments},
                             {"skipped_packets", s.skipped_packets},
                             {"snapped_packets", s.snapped_packets},
                             {"connections", s.connections},
                             {"skipped_connections", s.skipped_connections},
                             {"tls_connections", s.tls_connections},
                             {"frames", s.frames},
                             {"records", writer->records_written()},
                             {"gaps", s.gaps},
                             {"gap_bytes", s.gap_bytes},
                             {"retransmitted_segments", s.retransmitted_segments},
                             {"out_of_order_segments", s.out_of_order_segments},
                             {"inconsistent_retransmitted_bytes", s.inconsistent_retransmitted_bytes},
                             {"decode_errors", s.decode_errors},
                             {"file_truncated", s.file_truncated ? *s.file_truncated : ""},
                             {"file_truncated_offset", s.file_truncated_offset ? nlohmann::ordered_json(*s.file_truncated_offset)
                                                                               : nlohmann::ordered_json(nullptr)},
                             {"skipped_bad_records", s.bad_records},
                             {"skipped_bad_bytes", s.bad_bytes},
                             {"bad_records", s.bad_record_notes}};
    std::cout << wkit::util::json_text(j, 2) << "\n";
  } else {
    std::printf("%s: %" PRIu64 " packets (%s), %" PRIu64 " connection(s) (WKProto or JSON-RPC), %" PRIu64
                " frames -> %s\n",
                a.in.c_str(), s.packets, s.link_type.c_str(), s.connections, s.frames, a.out.c_str());
    std::printf("  retransmitted segments %" PRIu64 ", out of order %" PRIu64 ", gaps %" PRIu64
                " (%" PRIu64 " bytes), decode errors %" PRIu64 ", skipped connections %" PRIu64 "\n",
                s.retransmitted_segments, s.out_of_order_segments, s.gaps, s.gap_bytes, s.decode_errors,
                s.skipped_connections);
    if (a.skip_bad)
      std::printf("  corrupt records skipped %" PRIu64 " (%" PRIu64 " bytes)\n", s.bad_records, s.bad_bytes);
  }
  return 0;
}

std::string iso_time(int64_t ns) {
  if (!ns) return "-";
  std::time_t t = ns / 1'000'000'000;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  char out[80];
  std::snprintf(out, sizeof out, "%s.%03dZ", buf, int((ns / 1'000'000) % 1000));
  return out;
}

void print_text(const std::string& path, const CaptureSummary& s) {
  std::printf("capture  %s (%s%s%s)\n", path.c_str(), s.header.creator().c_str(),
              s.header.source().empty() ? "" : ", ", s.header.source().c_str());
  std::printf("time     %s .. %s (%.3f s)\n", iso_time(s.first_ns).c_str(), iso_time(s.last_ns).c_str(),
              s.last_ns > s.first_ns ? double(s.last_ns - s.first_ns) / 1e9 : 0.0);
  std::printf("records  %" PRIu64 ", frames %" PRIu64 ", connections %zu, users %zu\n", s.records, s.frames,
              s.connections.size(), s.users.size());
  if (!s.users.empty()) {
    std::printf("users   ");
    for (auto& u : s.users) std::printf(" %s", u.c_str());
    std::printf("\n");
  }
  std::printf("frames  ");
  for (auto& [t, n] : s.frames_by_type) std::printf(" %s=%" PRIu64, t.c_str(), n);
  std::printf("\n");
  if (s.encrypted_payloads)
    std::printf("payloads %" PRIu64 " still encrypted (passive capture), %" PRIu64 " plaintext\n",
                s.encrypted_payloads, s.plaintext_payloads);
  std::printf("\nconnections\n  %4s %-22s %-22s %-4s %-8s %-12s %3s %6s %6s  %s\n", "ID", "CLIENT", "SERVER", "TR",
              "PROTOCOL", "UID", "V", "C->S", "S->C", "CLOSED");
  for (auto& c : s.connections)
    std::printf("  %4" PRIu64 " %-22s %-22s %-4s %-8s %-12s %3u %6" PRIu64 " %6" PRIu64 "  %s\n", c.id,
                c.info.client_address().c_str(), c.info.server_address().c_str(), c.info.transport().c_str(),
                c.info.dialect() == pb::DIALECT_JSONRPC ? "jsonrpc" : "wkproto",
                c.info.uid().empty() ? "-" : c.info.uid().c_str(), c.info.protocol_version(), c.frames_c2s,
                c.frames_s2c, c.closed.empty() ? "open" : c.closed.c_str());
  std::printf("\nmessages %" PRIu64 ", resent %zu, with more than one message_id %zu\n", s.messages,
              s.resends.size(), s.duplicate_message_ids.size());
  for (auto& m : s.resends) {
    std::printf("  resend  %s -> %s client_msg_no=%s sends=%zu sendacks=%" PRIu64 " (dropped %" PRIu64
                ") message_ids=",
                m.uid.c_str(), m.channel_id.c_str(), m.client_msg_no.c_str(), m.attempts.size(), m.sendacks,
                m.sendacks_dropped);
    for (size_t i = 0; i < m.message_ids.size(); ++i)
      std::printf("%s%" PRId64, i ? "," : "", m.message_ids[i]);
    std::printf("%s\n", m.message_ids.size() > 1 ? "  DUPLICATE" : "");
  }
  std::printf("SENDs without a SENDACK: %zu\n", s.unacked.size());
  for (auto& u : s.unacked)
    std::printf("  conn %" PRIu64 " client_seq=%u client_msg_no=%s channel=%s at %s\n", u.connection_id,
                u.client_seq, u.client_msg_no.c_str(), u.channel_id.c_str(), iso_time(u.ts_ns).c_str());
  if (!s.faults.empty()) {
    std::printf("injected faults: %zu\n", s.faults.size());
    for (auto& f : s.faults)
      std::printf("  conn %" PRIu64 " %s %s %s (%s) at %s\n", f.connection_id,
                  std::string(direction_name(f.direction)).c_str(), f.action.c_str(), f.frame_type.c_str(),
                  f.spec.c_str(), iso_time(f.ts_ns).c_str());
  }
  if (!s.anomalies.empty()) {
    std::printf("anomalies: %zu\n", s.anomalies.size());
    for (auto& a : s.anomalies) {
      std::printf("  conn %" PRIu64 " %s %s at stream byte %" PRIu64 ": %s\n", a.connection_id,
                  std::string(direction_name(a.direction)).c_str(),
                  pb::Anomaly::Kind_Name(a.anomaly.kind()).c_str(), a.anomaly.stream_offset(),
                  a.anomaly.message().c_str());
      // The kept bytes (a proxy's invalid JSON-RPC object), quoted on one line.
      if (!a.anomaly.wire().empty())
        std::printf("    bytes: %s\n", wkit::util::json_text(nlohmann::json(a.anomaly.wire())).c_str());
    }
  }
  if (s.undecodable_frames) std::printf("undecodable frame records: %" PRIu64 "\n", s.undecodable_frames);
}

struct InfoArgs {
  std::string file;
  int port = 0;
  std::string output = "text";
  std::string report;  // --report FILE.html (never replaces a file)
};

int run_info(const InfoArgs& a) {
  wkit::util::OutputPolicy report_policy;
  report_policy.inputs = {a.file};
  if (!a.report.empty())
    if (auto err = wkit::util::check_output(a.report, report_policy)) {
      std::cerr << "wkit capture info: " << err->message << "\n";
      return 2;
    }
  SummaryBuilder b;
  ImportOptions opts;
  if (a.port) opts.port = static_cast<uint16_t>(a.port);
  auto src = read_records(a.file, std::nullopt, opts, [&](const pb::Record& r) -> wkit::Status {
    b.add(r);
    return std::nullopt;
  });
  if (!src) {
    std::cerr << "wkit capture info: " << src.error().describe() << "\n";
    return exit_code(src.error());
  }
  b.set_header(src->header);
  auto s = b.finish();
  std::string warning = src->warning(a.file);
  if (!warning.empty()) std::cerr << "wkit capture info: " << warning << "\n";
  if (a.output == "json") {
    auto j = summary_to_json(s);
    j["file"] = a.file;
    j["input"] = src->kind == InputKind::pcap ? "pcap" : "wkcap";
    if (src->truncation) j["truncated"] = {{"offset", src->truncation->offset}, {"message", src->truncation->describe()}};
    std::cout << wkit::util::json_text(j, 2) << "\n";
  } else {
    print_text(a.file, s);
  }
  std::cout.flush();
  if (!a.report.empty())
    if (auto err = wkit::util::write_output_file(a.report, wkit::capture::capture_report_html(a.file, s), report_policy)) {
      std::cerr << "wkit capture info: " << err->describe() << "\n";
      return exit_code(*err);
    }
  return 0;
}

wkit::cli::Registration capture_reg{"capture", 70, [](CLI::App& app) {
  auto* cap = app.add_subcommand("capture", "Import tcpdump captures and inspect .wkcap captures");
  cap->require_subcommand(1);

  auto ia = std::make_shared<ImportArgs>();
  auto* imp = cap->add_subcommand("import", "Turn a pcap/pcapng file (WKProto over TCP or WebSocket) into a .wkcap capture");
  imp->add_option("input", ia->in, "pcap or pcapng file (tcpdump -w)")->required();
  imp->add_option("--out", ia->out, "output .wkcap file (required)")->type_name("FILE");
  imp->add_option("--port", ia->port, "server port: only connections to it (default: every TCP connection that starts with CONNECT or a WebSocket upgrade)")
      ->check(CLI::Range(1, 65535));
  // The description "{text,json}" is what help and the completion scripts
  // show; a path is let through for the deprecated `-o FILE` (run_import).
  const CLI::Validator format_or_old_file(
      [](std::string& v) {
        if (is_format(v) || looks_like_file(v)) return std::string();
        return "'" + v + "' is not a format (text or json); the output file is --out FILE";
      },
      "{text,json}");
  imp->add_option("-o,--output", ia->output_values, "summary format, default text (-o FILE, the old spelling of "
                                                    "--out, still works this release with a warning)")
      ->expected(1)
      ->allow_extra_args(false)  // one value per -o: `-o OUT.wkcap IN.pcap` keeps IN.pcap positional
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
      ->check(format_or_old_file);
  imp->add_flag("--force", ia->force, "replace OUT if it exists");
  imp->add_flag("--skip-bad", ia->skip_bad, "skip corrupt pcap records (resynchronising on the next believable one) "
                                            "instead of stopping with exit 4");
  wkit::cli::add_progress_flags(imp, ia->progress);
  imp->final_callback([ia] { throw wkit::cli::Exit{run_import(*ia)}; });

  auto inf = std::make_shared<InfoArgs>();
  auto* info = cap->add_subcommand("info", "Connections, users, frames, resends and unanswered SENDs of a capture");
  info->add_option("file", inf->file, ".wkcap, pcap or pcapng file")->required();
  info->add_option("--port", inf->port, "for pcap input: the server port")->check(CLI::Range(1, 65535));
  info->add_option("-o,--output", inf->output, "output format")->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  info->add_option("--report", inf->report, "Also write an HTML page: counts and the retry story of every resent or "
                                             "duplicated message (self-contained; never replaces a file)")
      ->type_name("FILE.html");
  info->final_callback([inf] { throw wkit::cli::Exit{run_info(*inf)}; });
}};

}  // namespace
