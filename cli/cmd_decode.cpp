// `wkit decode [FILE...]`: frames to JSON or a table (docs/cli.md, docs/decode.md).
#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <memory>
#include <optional>

#include "command_registry.hpp"
#include "stop_signals.hpp"
#include "wkit/capture/frames.hpp"
#include "wkit/crypto/crypto.hpp"
#include "wkit/proto/input_reader.hpp"
#include "wkit/proto/json.hpp"
#include "wkit/proto/payload_check.hpp"
#include "wkit/util/json_text.hpp"
#include "wkit/util/stoppable_read.hpp"
#include "wkit/util/tty.hpp"

namespace {

using wkit::proto::Json;

struct DecodeOptions {
  std::vector<std::string> files;
  std::string input = "auto";
  std::optional<int> proto_version;
  std::string output;  // "" = text on a TTY, jsonl otherwise
  std::string bytes = "base64";
  bool all_fields = false;
  std::string aes_key, aes_iv;
  std::string jsonrpc_compat;  // "" = lenient 2.2.3
};

class Printer {
 public:
  Printer(std::string mode, wkit::proto::JsonOptions jopts, bool color)
      : mode_(std::move(mode)), jopts_(jopts), palette_(color) {}

  void frame(const std::string& file, const wkit::proto::InputFrame& f,
             const wkit::proto::PayloadCheck* check, const Json* context = nullptr) {
    if (mode_ == "text") return row(f, check);
    Json rec = Json::object();
    rec["file"] = file;
    if (context) rec.update(*context);
    rec["offset"] = f.offset;
    if (f.line) rec["line"] = f.line;
    rec["size"] = f.result.consumed;
    if (f.rpc) return rpc_frame(std::move(rec), f);
    rec["remaining_length"] = f.result.remaining_length;
    if (f.result.extra_body_bytes) rec["extra_body_bytes"] = f.result.extra_body_bytes;
    if (f.result.layout != wkit::proto::DecodeLayout::standard)
      rec["layout"] = std::string(wkit::proto::decode_layout_name(f.result.layout));
    rec["proto_version"] = f.version;
    wkit::proto::append_frame_json(f.result.frame, f.version, rec, jopts_);
    if (check) wkit::proto::append_payload_check(*check, rec);
    emit(std::move(rec));
  }

  // A JSON-RPC message: the frame (none for an error response) and what
  // JSON-RPC adds under "jsonrpc"; no proto_version (JSON has none).
  void rpc_frame(Json rec, const wkit::proto::InputFrame& f) {
    rec["format"] = "jsonrpc";
    if (f.rpc->has_frame) wkit::proto::append_frame_json(f.result.frame, f.version, rec, jopts_);
    rec["jsonrpc"] = wkit::proto::jsonrpc_json(*f.rpc);
    emit(std::move(rec));
  }

  void emit(Json rec) {
    if (mode_ == "jsonl")
      std::cout << wkit::util::json_text(rec) << '\n';
    else
      frames_.push_back(std::move(rec));
    ++count_;
  }

  void error(const std::string& file, const wkit::proto::InputError& e) {
    if (mode_ != "json") return;
    Json err = Json::object();
    err["file"] = file;
    if (e.line) err["line"] = e.line;
    if (e.offset) err["offset"] = *e.offset;
    err["message"] = e.message;
    errors_.push_back(std::move(err));
  }

  // Flushes what was printed so far (input from a pipe: frames as they come).
  void flush() {
    std::fflush(stdout);
    std::cout.flush();
  }

  // `interrupted`: the signal that stopped decoding ("" when none).
  void finish(const std::string& interrupted) {
    if (mode_ == "json") {
      Json doc = Json::object();
      doc["count"] = count_;
      if (!interrupted.empty()) doc["interrupted"] = interrupted;
      doc["frames"] = std::move(frames_);
      doc["errors"] = std::move(errors_);
      std::cout << wkit::util::json_text(doc, 2) << '\n';
    }
    std::cout.flush();
  }

 private:
  void row(const wkit::proto::InputFrame& f, const wkit::proto::PayloadCheck* check) {
    if (!header_done_) {
      std::printf("%10s %6s %6s  %-10s %s\n", "OFFSET", "LINE", "SIZE", "TYPE",
                  "[HEADER FLAGS] FIELDS");
      header_done_ = true;
    }
    const bool has_frame = !f.rpc || f.rpc->has_frame;
    std::string summary = has_frame ? wkit::proto::frame_summary(f.result.frame, f.version) : "";
    if (const std::string flags = wkit::proto::header_flags_text(f.result.frame); has_frame && flags != "-")
      summary = "[" + flags + "] " + summary;
    if (f.rpc) summary = "(" + wkit::proto::jsonrpc_summary(*f.rpc) + ")" + (summary.empty() ? "" : " ") + summary;
    if (f.result.extra_body_bytes)
      summary += " extra_body_bytes=" + std::to_string(f.result.extra_body_bytes);
    if (check) {
      if (check->decrypted) {
        std::string plain = wkit::proto::is_valid_utf8(check->plain)
                                ? check->plain.substr(0, 60)
                                : std::to_string(check->plain.size()) + "B";
        for (char& c : plain)  // no terminal control sequences from payloads
          if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
        summary += " plain=" + plain;
      }
      else
        summary += " " + palette_.red("decrypt_error");
      summary += check->msg_key_ok ? " msg_key=ok" : " " + palette_.red("msg_key=BAD");
    }
    for (char& c : summary)
      if (c == '\n' || c == '\r' || c == '\t') c = ' ';
    const std::string type(has_frame ? wkit::proto::frame_type_name(wkit::proto::type_of(f.result.frame)) : "ERROR");
    const std::string line = f.line ? std::to_string(f.line) : "-";
    std::printf("%10llu %6s %6zu  %s%*s %s\n", static_cast<unsigned long long>(f.offset),
                line.c_str(), f.result.consumed, palette_.paint(type, wkit::util::ansi::bold).c_str(),
                static_cast<int>(10 - type.size()), "", summary.c_str());
    ++count_;
  }

  std::string mode_;
  wkit::proto::JsonOptions jopts_;
  wkit::util::Palette palette_;
  bool header_done_ = false;
  uint64_t count_ = 0;
  Json frames_ = Json::array();
  Json errors_ = Json::array();
};

// Set by SIGINT/SIGTERM (catch_stop_signals): decoding ends after the current frame.
const std::atomic<int>* g_stop = nullptr;
bool stopping() { return g_stop && g_stop->load(std::memory_order_relaxed) != 0; }

// Decodes one input; returns false if it was bad (the error is printed).
// Stopped by a signal, it ends after the last whole frame read: the bytes
// after it are not complained about (the input did not end there).
bool decode_one(const std::string& path, const DecodeOptions& o, wkit::proto::InputFormat fmt,
                Printer& out, wkit::crypto::Cipher* cipher) {
  const bool is_stdin = path == "-";
  const std::string name = is_stdin ? "<stdin>" : path;
  std::FILE* in = is_stdin ? stdin : std::fopen(path.c_str(), "rb");
  if (!in) {
    const wkit::proto::InputError e{std::string("cannot open: ") + std::strerror(errno), {}, 0};
    out.error(name, e);
    std::cerr << e.describe(name) << "\n";
    return false;
  }
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> closer(is_stdin ? nullptr : in, &std::fclose);

  wkit::proto::InputFrameReader::Options ro;
  ro.format = fmt;
  ro.version = o.proto_version.value_or(wkit::proto::kMaxProtoVersion);
  ro.adopt_connack_version = !o.proto_version.has_value();
  if (!o.jsonrpc_compat.empty()) {  // a generation given: read strictly as it
    wkit::proto::jsonrpc::compat_from_name(o.jsonrpc_compat, ro.jsonrpc.compat);
    ro.jsonrpc.lenient = false;
  }
  wkit::proto::InputFrameReader reader(ro);
  wkit::proto::PayloadCheck check;
  bool announced = false;
  auto sink = [&](const wkit::proto::InputFrame& f) {
    // JSON-RPC payloads are never encrypted.
    const bool checked = cipher && !f.rpc && wkit::proto::check_payload(*cipher, f.result.frame, check);
    out.frame(name, f, checked ? &check : nullptr);
  };
  auto announce = [&] {
    if (announced || !reader.guessed() || reader.format() == wkit::proto::InputFormat::auto_detect)
      return;
    std::cerr << "wkit decode: " << name << ": input looks like "
              << wkit::proto::input_format_name(reader.format()) << " (--input to choose)\n";
    announced = true;
  };

  // read(2) on the descriptor, not fread: fread waits for a full buffer, so
  // frames written to a pipe would show only when 64 KiB had come.
  const int fd = ::fileno(in);
  const bool blocking = wkit::util::may_block(fd);
  std::vector<char> buf(1 << 16);
  std::optional<wkit::proto::InputError> err;
  for (;;) {
    const ssize_t n = wkit::util::read_or_stop(fd, buf.data(), buf.size(), g_stop, blocking);
    if (n < 0) {
      const wkit::proto::InputError e{std::string("read error: ") + std::strerror(errno), {}, 0};
      out.error(name, e);
      std::cerr << e.describe(name) << "\n";
      return false;
    }
    if (n == 0) break;
    err = reader.feed(std::string_view(buf.data(), static_cast<size_t>(n)), sink);
    announce();
    if (err) break;
    if (blocking) out.flush();
  }
  if (!err && stopping()) return true;
  if (!err) {
    err = reader.finish(sink);
    announce();
  }
  if (err) {
    out.error(name, *err);
    std::cout.flush();  // frames before the bad byte first
    std::cerr << err->describe(name) << "\n";
    return false;
  }
  return true;
}

// .wkcap and pcap/pcapng inputs (chosen, or recognised by their magic under
// auto) are read by the capture layer; each frame keeps its connection,
// direction, time and recorded plaintext.
std::optional<wkit::capture::InputKind> capture_kind(const std::string& path, const std::string& input) {
  if (input == "wkcap") return wkit::capture::InputKind::wkcap;
  if (input == "pcap") return wkit::capture::InputKind::pcap;
  if (input != "auto" || path == "-") return std::nullopt;
  // Sniffing opens the file a second time: a pipe (a FIFO, <(cmd)) would
  // lose the bytes read for it. Captures are regular files.
  struct stat st{};
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
  auto k = wkit::capture::detect_input_kind(path);
  return k.ok() ? std::optional(k.value()) : std::nullopt;
}

bool decode_capture(const std::string& path, wkit::capture::InputKind kind, Printer& out,
                    wkit::crypto::Cipher* cipher) {
  wkit::proto::PayloadCheck check;
  Json context = Json::object();
  auto info = wkit::capture::read_frames(path, kind, {}, [&](const wkit::capture::CaptureFrame& f) -> wkit::Status {
    context = Json::object();
    wkit::capture::append_capture_context(f, context);
    const bool checked = cipher && wkit::proto::check_payload(*cipher, f.result.frame, check);
    out.frame(path, wkit::proto::InputFrame{f.result, f.record.frame().stream_offset(), 0, f.version},
              checked ? &check : nullptr, &context);
    if (stopping()) return wkit::Error::input("stopped");  // ends the reading; not an error of the input
    return std::nullopt;
  });
  if (!info.ok() && stopping()) return true;
  if (!info.ok()) {
    std::cout.flush();
    std::cerr << info.error().describe() << "\n";
    return false;
  }
  std::string warning = info->source.warning(path);
  if (!warning.empty()) std::cerr << "wkit decode: " << warning << "\n";
  if (info->undecodable) std::cerr << "wkit decode: " << path << ": " << info->undecodable << " frame record(s) do not decode\n";
  return true;
}

int run(const DecodeOptions& o) {
  wkit::proto::InputFormat fmt = wkit::proto::InputFormat::auto_detect;
  const bool capture_input = o.input == "wkcap" || o.input == "pcap";
  if (!capture_input && !wkit::proto::input_format_from_name(o.input, fmt)) {
    std::cerr << "wkit decode: --input " << o.input << ": not one of auto, hex, base64, raw, jsonrpc, wkcap, pcap\n";
    return 2;
  }
  wkit::proto::JsonOptions jopts;
  wkit::proto::bytes_form_from_name(o.bytes, jopts.bytes);
  jopts.show_absent = o.all_fields;
  if (o.aes_key.empty() != o.aes_iv.empty()) {
    std::cerr << "wkit decode: --aes-key and --aes-iv go together\n";
    return 2;
  }
  std::optional<wkit::crypto::Cipher> cipher;
  if (!o.aes_key.empty()) {
    auto keys = wkit::crypto::SessionKeys::from_strings(o.aes_key, o.aes_iv);
    if (!keys.ok()) {
      std::cerr << "wkit decode: " << keys.error().describe() << "\n";
      return 2;
    }
    cipher.emplace(*keys);
  }
  std::string mode = o.output;
  if (mode.empty()) mode = wkit::util::is_tty(1) ? "text" : "jsonl";
  Printer out(mode, jopts, mode == "text" && wkit::util::use_color(1));
  std::vector<std::string> files = o.files;
  if (files.empty()) files.push_back("-");
  g_stop = &wkit::cli::catch_stop_signals("decode", "stopping after the current frame");
  bool ok = true;
  for (const auto& f : files) {
    if (stopping()) break;
    auto kind = capture_kind(f, o.input);
    ok = (kind ? decode_capture(f, *kind, out, cipher ? &*cipher : nullptr)
               : decode_one(f, o, fmt, out, cipher ? &*cipher : nullptr)) && ok;
  }
  const int sig = g_stop->load();
  out.finish(sig ? wkit::cli::stop_signal_name(sig) : "");
  // A bad input (4) says more than the interruption; else 128 + the signal.
  return !ok ? 4 : sig ? 128 + sig : 0;
}

wkit::cli::Registration decode_reg{"decode", 60, [](CLI::App& app) {
  auto o = std::make_shared<DecodeOptions>();
  auto* sub = app.add_subcommand(
      "decode",
      "Decode WKProto frames from hex, base64 or raw bytes, or JSON-RPC messages (files or "
      "stdin), to JSON or a table");
  sub->add_option("FILE", o->files, "Input files; '-' or none reads stdin")->type_name("FILE")->default_str("-");
  sub->add_option("--input", o->input,
                  "Input form: auto guesses and says so on stderr; jsonrpc reads JSON-RPC "
                  "objects (JSON lines or back to back)")
      ->check(CLI::IsMember({"auto", "hex", "base64", "raw", "jsonrpc", "wkcap", "pcap"}))
      ->capture_default_str();
  sub->add_option("--jsonrpc-compat", o->jsonrpc_compat,
                  "Read JSON-RPC strictly as this WuKongIM generation: 2.1 (recvack a request, "
                  "embedded JSON payload), 2.2, 2.2.3 or 3 (base64 payload). Default: 2.2.3 "
                  "accepting every payload form and both recvack forms")
      ->check(CLI::IsMember({"2.1", "2.2", "2.2.3", "3"}));
  sub->add_option("--proto-version", o->proto_version,
                  "Protocol version to read frames at (default 6; a CONNACK's server "
                  "version is adopted unless this is given)")
      ->check(CLI::Range(0, 255));
  sub->add_option("-o,--output", o->output,
                  "text (table; default on a terminal), jsonl (one object per frame; "
                  "default otherwise) or json (one document)")
      ->check(CLI::IsMember({"text", "json", "jsonl"}));
  sub->add_option("--bytes", o->bytes, "How payloads and EVENT data are shown")
      ->check(CLI::IsMember({"base64", "hex", "both"}))
      ->capture_default_str();
  sub->add_flag("--all-fields", o->all_fields,
                "Also show fields that are not on the wire at this version/setting");
  sub->add_option("--aes-key", o->aes_key,
                  "Session AES key (16 characters or 32 hex digits): decrypt SEND/RECV "
                  "payloads and verify msg_key");
  sub->add_option("--aes-iv", o->aes_iv, "Session AES IV (the salt's first 16 characters)");
  sub->footer(
      "Exit status: 0 all input decoded; 2 usage; 4 bad input (FILE[:LINE]: byte N: reason "
      "on stderr; frames before it are still printed); 130/143 stopped by SIGINT/SIGTERM "
      "(after the current frame; what was decoded is printed).");
  sub->final_callback([o] { throw wkit::cli::Exit{run(*o)}; });
}};

}  // namespace
