// `wkit replay FILE -s URL` (docs/cli.md; docs/replay.md).
#include <cstdlib>
#include <iostream>
#include <sstream>

#include "command_registry.hpp"
#include "progress_flags.hpp"
#include "progress_lines.hpp"
#include "tls_flags.hpp"
#include "wkit/app/replay.hpp"
#include "wkit/util/progress_ticker.hpp"
#include "wkit/app/server_options.hpp"
#include "wkit/util/units.hpp"
#include "wkit/util/json_text.hpp"

namespace {

struct ReplayFlags {
  std::string file, server, speed = "1", output = "text", tokens_file, types = "send";
  std::optional<std::string> token;
  int loop = 1;
  std::vector<std::string> map_uid;
  std::vector<uint64_t> conns;
  bool fresh = false, raw = false, expect_same = false, no_ack = false;
  std::string ack_timeout = "5s", connect_timeout = "5s", from, to;
  wkit::net::ClientTlsOptions tls;
  wkit::cli::ProgressFlags progress;
};

int usage(const std::string& msg) {
  std::cerr << "wkit replay: " << msg << "\n";
  return 2;
}

int run(const ReplayFlags& f) {
  wkit::app::ReplayOptions o;
  o.capture_path = f.file;
  std::string s = f.server;
  if (s.empty()) s = std::getenv("WKIT_SERVER") ? std::getenv("WKIT_SERVER") : "tcp://127.0.0.1:5100";
  auto url = wkit::net::Url::parse(s);
  if (!url) return usage("bad -s '" + s + "': " + url.error().message);
  o.server = *url;
  auto tls = wkit::cli::client_tls_for(*url, f.tls, "-s");
  if (!tls) {
    std::cerr << "wkit replay: " << tls.error().message << "\n";
    return static_cast<int>(tls.error().kind);
  }
  o.tls = *tls;
  if (f.speed == "max") {
    o.speed = 0;
  } else {
    char* end = nullptr;
    o.speed = std::strtod(f.speed.c_str(), &end);
    if (!end || *end || !(o.speed > 0)) return usage("--speed must be a positive number or max, not '" + f.speed + "'");
  }
  o.loop = f.loop;
  for (const auto& m : f.map_uid) {
    auto eq = m.find('=');
    if (eq == std::string::npos || eq == 0) return usage("--map-uid wants OLD=NEW, not '" + m + "'");
    o.map_uid[m.substr(0, eq)] = m.substr(eq + 1);
  }
  o.token = f.token;
  if (!f.tokens_file.empty()) {
    auto t = wkit::app::read_tokens_file(f.tokens_file);
    if (!t) {
      std::cerr << "wkit replay: " << t.error().describe() << "\n";
      return 4;
    }
    o.tokens = std::move(*t);
  }
  o.fresh_client_msg_no = f.fresh;
  o.connections.insert(f.conns.begin(), f.conns.end());
  o.types.clear();
  std::stringstream ts(f.types);
  for (std::string t; std::getline(ts, t, ',');) {
    wkit::proto::FrameType ft;
    if (!wkit::proto::frame_type_from_name(t, ft)) return usage("--types: unknown frame type '" + t + "'");
    if (ft == wkit::proto::FrameType::connect) continue;  // every replayed connection makes its own
    o.types.insert(ft);
  }
  o.raw = f.raw;
  o.ack_recvs = !f.no_ack;
  auto d = wkit::util::parse_duration(f.ack_timeout);
  if (!d) return usage("--ack-timeout: " + d.error().message);
  o.ack_timeout = std::chrono::duration_cast<std::chrono::milliseconds>(*d);
  auto ct = wkit::util::parse_duration(f.connect_timeout);
  if (!ct) return usage("--connect-timeout: " + ct.error().message);
  if (ct->count() <= 0) return usage("--connect-timeout must be above 0");
  o.connect_timeout = std::chrono::duration_cast<std::chrono::milliseconds>(*ct);
  if (!f.from.empty()) {
    auto x = wkit::util::parse_duration(f.from);
    if (!x) return usage("--from: " + x.error().message);
    o.from_ns = x->count();
  }
  if (!f.to.empty()) {
    auto x = wkit::util::parse_duration(f.to);
    if (!x) return usage("--to: " + x.error().message);
    o.to_ns = x->count();
  }
  o.handle_signals = true;
  auto progress_settings = wkit::cli::progress_settings(f.progress);
  if (!progress_settings) return usage(progress_settings.error().message);
  wkit::util::Progress progress(*progress_settings);
  wkit::app::ReplayProgress counters;
  wkit::util::ProgressWindow window;  // frames sent since the previous line
  std::optional<wkit::util::ProgressTicker> ticker;
  if (progress.enabled()) {
    o.progress = &counters;
    ticker.emplace([&](wkit::util::ProgressTicker::Clock::time_point now) {
      progress.update_with([&] {
        return wkit::cli::replay_progress_line(window.close(counters.frames_sent.load(), now), counters.frames_total.load(),
                                               counters.sessions_done.load(), counters.sessions_total.load());
      }, now);
    });
  }
  auto rep = wkit::app::replay(o);
  if (ticker) ticker->stop();
  progress.finish();
  if (!rep) {
    std::cerr << "wkit replay: " << rep.error().describe() << "\n";
    return static_cast<int>(rep.error().kind);
  }
  const auto& r = *rep;
  if (r.raw_encrypted_sends)
    std::cerr << "wkit replay: warning: --raw resent " << r.raw_encrypted_sends
              << " SEND(s) encrypted with the recorded session's keys; a server that checks msg_key refuses them "
                 "(reason 8)\n";
  if (f.output == "json") {
    std::cout << wkit::util::json_text(r.to_json(), 2) << "\n";
  } else {
    std::printf("%6s %4s %-14s %6s %6s %8s %6s %8s %8s %s\n", "CONN", "LOOP", "UID", "FRAMES", "SENDS", "SENDACKS",
                "RECVS", "MISMATCH", "RESENT", "SAME_ID/NEW_ID/UNVERIFIED");
    for (const auto& c : r.connections)
      std::printf("%6llu %4d %-14s %6llu %6llu %8llu %6llu %8llu %8llu %llu/%llu/%llu %s\n",
                  (unsigned long long)c.connection_id, c.loop, c.uid.c_str(), (unsigned long long)c.frames_sent,
                  (unsigned long long)c.sends, (unsigned long long)c.sendacks, (unsigned long long)c.recvs,
                  (unsigned long long)(c.reason_mismatches + c.missing_sendacks),
                  (unsigned long long)c.resent_messages, (unsigned long long)c.resent_same_id,
                  (unsigned long long)c.resent_new_id, (unsigned long long)c.resent_unverified, c.error.c_str());
    std::printf("total: %llu frames, %llu SENDs, %llu SENDACKs, %llu RECVs in %.3f s; resent messages %llu "
                "(same message_id %llu, new message_id %llu, unverified %llu; recording: new %llu)\n",
                (unsigned long long)r.frames_sent, (unsigned long long)r.sends, (unsigned long long)r.sendacks,
                (unsigned long long)r.recvs, r.elapsed_s, (unsigned long long)r.resent_messages,
                (unsigned long long)r.resent_same_id, (unsigned long long)r.resent_new_id,
                (unsigned long long)r.resent_unverified, (unsigned long long)r.recorded_resent_new_id);
    if (r.drift_count)
      std::printf("timing drift from the schedule: p50 %.3f ms, p99 %.3f ms, max %.3f ms (%llu frames)\n",
                  r.drift_p50_ns / 1e6, r.drift_p99_ns / 1e6, r.drift_max_ns / 1e6, (unsigned long long)r.drift_count);
    std::printf("failed connections: %llu of %zu\n", (unsigned long long)r.failed_connections, r.connections.size());
    for (const auto& l : r.failures) std::printf("failed: %s\n", l.c_str());
    for (const auto& d : r.differences) std::printf("difference: %s\n", d.c_str());
    if (r.interrupted) std::printf("interrupted: the report covers what was replayed until the stop\n");
  }
  if (r.interrupted) std::cerr << "wkit replay: interrupted; connections still running count as failed\n";
  if (r.opened_connections == 0 && !r.connections.empty() && !r.interrupted) {
    std::cerr << "wkit replay: no connection could be replayed: " << r.connections.front().error << "\n";
    return 3;
  }
  int code = 0;
  if (f.expect_same && r.failed_connections) {
    std::cerr << "wkit replay: " << r.failed_connections
              << " connection(s) failed (refused or ended by the server; not compared past the failure), first: "
              << r.failures.front() << "\n";
    code = 1;
  }
  if (f.expect_same && !r.differences.empty()) {
    std::cerr << "wkit replay: " << r.differences.size() << " difference(s) from the recording, first: "
              << r.differences.front() << "\n";
    code = 1;
  }
  return code;
}

wkit::cli::Registration replay_reg{"replay", 85, [](CLI::App& app) {
  auto f = std::make_shared<ReplayFlags>();
  auto* sub = app.add_subcommand("replay", "Replay recorded client sessions on fresh connections (re-encrypted) "
                                           "and compare the server's answers with the recording");
  sub->add_option("file", f->file, ".wkcap capture (from wkit proxy) or pcap")->required();
  sub->add_option("-s,--server", f->server, "Server URL (env WKIT_SERVER; default tcp://127.0.0.1:5100)");
  wkit::cli::add_client_tls_flags(sub, f->tls);
  sub->add_option("--speed", f->speed, "Timing: 1 = as recorded, 2 = twice as fast, 0.5, or max")->capture_default_str();
  sub->add_option("--loop", f->loop, "Replay the whole capture N times")->check(CLI::Range(1, 1000000))->capture_default_str();
  sub->add_option("--map-uid", f->map_uid, "Replace a recorded uid: OLD=NEW (repeatable)");
  sub->add_option("-t,--token", f->token, "Token for every connection (default: the recorded one)")->envname("WKIT_TOKEN");
  sub->add_option("--tokens", f->tokens_file, "uid:token lines (after --map-uid)");
  sub->add_flag("--fresh-client-msg-no", f->fresh,
                "New client_msg_no per recorded message (resends keep sharing theirs)");
  sub->add_option("--conn", f->conns, "Only these recorded connection ids (repeatable)");
  sub->add_option("--types", f->types, "Client frame types to replay, comma-separated (send,ping,recvack,...)")
      ->capture_default_str();
  sub->add_option("--from", f->from, "Only frames at or after this offset from the capture start (e.g. 2s)");
  sub->add_option("--to", f->to, "Only frames up to this offset from the capture start");
  sub->add_option("--connect-timeout", f->connect_timeout,
                  "Per connection: DNS, TCP connect, WebSocket upgrade and CONNECT/CONNACK within this long, or the "
                  "connection fails")
      ->capture_default_str();
  sub->add_option("--ack-timeout", f->ack_timeout, "Wait this long for outstanding SENDACKs at the end")
      ->capture_default_str();
  sub->add_flag("--no-ack", f->no_ack, "Do not RECVACK the RECVs the server sends");
  sub->add_flag("--raw", f->raw,
                "Resend the recorded frame bytes after a fresh handshake (captures with encrypted payloads; "
                "only for servers that accept them as NoEncrypt)");
  sub->add_flag("--expect-same", f->expect_same, "Exit 1 when the server answers differently from the recording");
  sub->add_option("-o,--output", f->output, "text or json")->check(CLI::IsMember({"text", "json"}))->capture_default_str();
  wkit::cli::add_progress_flags(sub, f->progress);
  sub->final_callback([f] { throw wkit::cli::Exit{run(*f)}; });
}};

}  // namespace
