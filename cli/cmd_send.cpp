// `wkit send`: single messages with forced retries, load runs, end-to-end
// verification (docs/cli.md, docs/send.md). `wkit send merge-hist FILES...`.
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>

#include "command_registry.hpp"
#include "tls_flags.hpp"
#include "wkit/app/client_cli.hpp"
#include "wkit/app/client_connection.hpp"
#include "wkit/app/client_deliveries.hpp"
#include "wkit/app/client_payload.hpp"
#include "wkit/app/client_send.hpp"
#include "wkit/app/send_report.hpp"
#include "wkit/crypto/crypto.hpp"
#include "progress_flags.hpp"
#include "progress_lines.hpp"
#include "wkit/util/progress.hpp"
#include "wkit/util/units.hpp"
#include "wkit/util/output_file.hpp"
#include "wkit/util/json_text.hpp"
#include "wkit/util/latency_text.hpp"

namespace {

using nlohmann::json;
using wkit::cli::Exit;

struct SendFlags {
  wkit::app::ClientFlags client;  // server and identity
  std::string output = "text";
  std::vector<std::string> to, channel;
  int channel_type = 2;
  unsigned channels = 0;
  std::string text, payload_file, payload_hex, payload_size;
  bool raw_payload = false;
  std::string client_msg_no;
  uint64_t count = 1;
  std::string duration, rate;
  int connections = 1, window = 1;
  std::string ack_timeout = "5s", users_file;
  int retries = 0;
  std::string retry_interval = "1s", retry_mode = "forced";
  bool reconnect_before_retry = false;
  std::string ramp_up = "0s", connect_timeout = "10s", reconnect_budget = "10s", late_tolerance = "10ms";
  std::vector<std::string> thresholds;
  bool count_given = false;
  int max_handshakes = 16;
  bool verify = false, fail_on_duplicate = false;
  std::vector<std::string> receivers;
  std::string verify_wait = "10s", hist_out;
  std::string report;  // --report FILE.html
  bool force = false;  // --hist-out and --report may replace an existing file
  wkit::cli::ProgressFlags progress;
  std::string check_via;  // http(s):// API whose store settles each message
  std::string via = "wkproto", api;  // --via http: POST /message/send to --api
  std::string api_compat = "3";
  int drop_answers = 0;
  std::string protocol = "wkproto", jsonrpc_compat = "2.2.3";
};

[[noreturn]] void send_fail(int code, const std::string& msg) {
  std::cerr << "wkit send: " << msg << "\n";
  throw Exit{code};
}

std::chrono::nanoseconds send_duration_flag(const std::string& flag, const std::string& text) {
  auto d = wkit::util::parse_duration(text);
  if (!d) send_fail(2, "bad " + flag + " '" + text + "': " + d.error().message);
  return *d;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) send_fail(4, "cannot read --payload-file " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<wkit::app::Target> expand_targets(const SendFlags& f) {
  std::vector<wkit::app::Target> out;
  auto add = [&](const std::string& id, uint8_t type) {
    auto at = id.find("{i}");
    if (f.channels == 0 || at == std::string::npos) {
      out.push_back({id, type});
      return;
    }
    for (unsigned i = 0; i < f.channels; ++i) {
      std::string x = id;
      x.replace(at, 3, std::to_string(i));
      out.push_back({x, type});
    }
  };
  for (auto& t : f.to) add(t, 1);
  for (auto& c : f.channel) add(c, uint8_t(f.channel_type));
  return out;
}

// A JSON `*_ms` field for people: "420us", "1.25ms", "-" when not measured.
std::string fmt_ms(const json& v) { return wkit::util::format_latency_ms(v); }

// What would settle an unverified message, for the text output.
constexpr const char* kSettleHint =
    "to settle it: --check-via http://HOST:PORT (the server's store decides), --verify --receiver UID (the "
    "receivers' view decides), or `wkit audit` of the server's store";

// "checked via URL" when the store settled the message, else "".
std::string store_note(const json& summary) {
  if (!summary.contains("checked_via") || !summary["checked_via"]["checked"].get<bool>()) return "";
  return " (checked via " + summary["checked_via"]["url"].get<std::string>() + ")";
}

void print_single(const json& r, const json& summary) {
  auto& o = std::cout;
  const char* answers = summary.value("via", "") == "http" ? " answer(s)" : " SENDACK(s)";
  o << "client_msg_no " << r["client_msg_no"].get<std::string>() << "  client_seq " << r["client_seq"]
    << "  to " << r["channel_id"].get<std::string>() << " (type " << r["channel_type"] << ")\n";
  o << "attempts " << r["attempts"] << "  sendacks " << r["sendacks"] << "  reason "
    << r["reason"].get<std::string>() << "  latency " << fmt_ms(r["latency_ms"]) << "\n";
  o << "message_ids " << r["message_idstrs"].dump() << "  message_seq " << r["message_seq"] << "\n";
  const bool stored = r.contains("store_message_idstrs");
  if (stored) o << "store holds " << r["store_message_idstrs"].dump() << store_note(summary) << "\n";
  const std::string v = r["verdict"].get<std::string>();
  const size_t n = r["message_ids"].size();
  const bool all_answered = r["sendacks"].get<uint64_t>() >= r["attempts"].get<uint64_t>();
  if (v == "duplicated")
    o << "verdict: duplicated: the server stored this message " << n << " times (" << n
      << " distinct message_ids for one client_msg_no)\n";
  else if (v == "idempotent" && stored && !all_answered)
    o << "verdict: idempotent: the server's store holds it once (one message_id) for " << r["attempts"]
      << " attempt(s), " << r["sendacks"] << answers << "\n";
  else if (v == "idempotent")
    o << "verdict: idempotent: one message_id for " << r["attempts"] << " attempt(s), every attempt answered\n";
  else if (v == "unverified")
    o << "verdict: unverified: " << r["attempts"] << " attempt(s), " << r["sendacks"]
      << answers << ": the server may hold a copy this sender never saw; " << kSettleHint << "\n";
  else if (stored && r["attempts"] != 0 && r["store_message_ids"].empty())
    o << "verdict: failed: not stored: the server's store holds no message with this client_msg_no from this "
         "sender\n";
  else
    o << "verdict: failed: " << (r["attempts"] == 0 ? "never sent" : "refused by the server (" + r["reason"].get<std::string>() + ")")
      << "\n";
}

void print_summary(const json& s) {
  auto& o = std::cout;
  o << "sent " << s["attempted"] << " messages (" << s["sends"] << " SENDs) over " << s["connections"]
    << " connection(s) to " << s["server"].get<std::string>() << "\n";
  o << "acknowledged " << s["acknowledged"] << ", not acknowledged " << s["not_acknowledged"]
    << "; reasons " << s["reasons"].dump() << "\n";
  const auto& v = s["verdicts"];
  o << "verdicts: idempotent " << v["idempotent"] << ", duplicated " << v["duplicated"] << ", unverified "
    << v["unverified"] << ", failed " << v["failed"] << "\n";
  if (s.contains("checked_via")) {
    const auto& c = s["checked_via"];
    o << "checked via " << c["url"].get<std::string>() << ": ";
    if (c["checked"].get<bool>()) {
      const auto& st = c["settled"];
      o << c["channels"] << " channel(s), " << c["messages_read"] << " stored message(s) read; unverified settled: "
        << "idempotent " << st["idempotent"] << ", duplicated " << st["duplicated"] << ", failed (not stored) "
        << st["failed"] << "; duplicates found only in the store " << c["store_duplicates"]
        << "; acknowledged but not stored " << c["acknowledged_not_stored"] << "\n";
    } else {
      o << "not checked: " << c["error"].get<std::string>() << "\n";
    }
  }
  if (v["unverified"].get<uint64_t>() > 0) o << "unverified: " << kSettleHint << "\n";
  std::ostringstream tp;
  tp.precision(0);
  tp << std::fixed << s["throughput_per_s"].get<double>();
  o << "throughput " << tp.str() << " acked/s in " << s["elapsed_s"].get<double>() << "s\n";
  const auto& l = s["latency"];
  if (l["count"].get<uint64_t>() == 0) o << "latency: nothing measured (no SENDACK)\n";
  else o << "latency p50 " << fmt_ms(l["p50_ms"]) << "  p90 " << fmt_ms(l["p90_ms"]) << "  p99 "
    << fmt_ms(l["p99_ms"]) << "  p99.9 " << fmt_ms(l["p999_ms"]) << "  max " << fmt_ms(l["max_ms"]) << "\n";
  if (s.contains("schedule")) {
    const auto& sc = s["schedule"];
    std::ostringstream ratio;
    ratio.precision(2);
    ratio << std::fixed << 100 * sc["late_ratio"].get<double>() << "%";
    o << "schedule " << sc["rate_per_s"].get<double>() << "/s: " << (sc["kept_up"].get<bool>() ? "kept up" : "fell behind")
      << " (" << sc["late_sends"] << " sends, " << ratio.str() << ", later than " << fmt_ms(sc["late_tolerance_ms"])
      << "; max lag " << fmt_ms(sc["max_lag_ms"]) << ", behind at end " << fmt_ms(sc["behind_at_end_ms"]) << ")\n";
  }
}

// "threshold p99<50ms: passed" per threshold of a summary that has them.
void print_thresholds(const json& s) {
  if (!s.contains("thresholds")) return;
  for (auto& t : s["thresholds"])
    std::cout << "threshold " << t["threshold"].get<std::string>() << ": " << (t["passed"].get<bool>() ? "passed" : "FAILED")
              << (t["actual"].is_null() ? std::string(" (not measured)") : "") << "\n";
}

void print_text(const json& s, const json& single_record) {
  auto& o = std::cout;
  if (!single_record.is_null()) {
    print_single(single_record, s);
    if (s.contains("checked_via") && !s["checked_via"]["checked"].get<bool>())
      o << "checked via " << s["checked_via"]["url"].get<std::string>() << ": not checked: "
        << s["checked_via"]["error"].get<std::string>() << "\n";
  } else {
    print_summary(s);
  }
  if (s.contains("verify")) {
    const auto& v = s["verify"];
    o << "verify (" << v["receivers"] << " receiver(s)): attempted " << v["attempted"] << ", acknowledged "
      << v["acknowledged"] << ", delivered " << v["delivered"] << ", lost " << v["lost"] << ", unexpected "
      << v["unexpected"] << ", preexisting " << v["preexisting"] << ", duplicated raw " << v["duplicated"]["raw"]
      << " / distinct message_ids " << v["duplicated"]["distinct_message_ids"] << "\n";
    for (auto& r : v["per_receiver"])
      for (auto& u : r["unexpected_sample"])
        o << "  unexpected at " << r["uid"].get<std::string>() << ": client_msg_no " << u["client_msg_no"].get<std::string>()
          << "  message_id " << u["message_idstr"].get<std::string>() << "  from " << u["from_uid"].get<std::string>() << "\n";
  }
  print_thresholds(s);
  if (s["interrupted"].get<bool>()) o << "interrupted: the summary covers what was measured until the stop\n";
  o << "result: " << s["verdict"].get<std::string>();
  if (!s["findings"].get<std::string>().empty()) o << ": " << s["findings"].get<std::string>();
  o << "\n";
}

// --hist-out FILE (and merge-hist --out FILE): FILE is the mergeable JSON,
// FILE.hgrm HdrHistogram's percentile distribution text (docs/histogram-format.md).
std::string hgrm_path(const std::string& path) { return path + ".hgrm"; }

void check_hist_out(const std::string& path, const wkit::util::OutputPolicy& policy) {
  if (path.empty()) return;
  for (const auto& p : {path, hgrm_path(path)})
    if (auto err = wkit::util::check_output(p, policy)) send_fail(2, err->message);
}

void write_hist_out(const std::string& path, const wkit::util::Histogram& h, const wkit::util::OutputPolicy& policy) {
  if (path.empty()) return;
  if (auto err = wkit::util::write_output_file(path, h.to_json(), policy))
    send_fail(wkit::app::exit_code_of(err->kind), err->message);
  if (auto err = wkit::util::write_output_file(hgrm_path(path), h.to_hgrm(), policy))
    send_fail(wkit::app::exit_code_of(err->kind), err->message);
}

std::vector<wkit::app::Threshold> parse_thresholds(const std::vector<std::string>& texts, wkit::app::ThresholdScope scope) {
  std::vector<wkit::app::Threshold> out;
  for (auto& t : texts) {
    auto th = wkit::app::parse_threshold(t, scope);
    if (!th) send_fail(2, th.error().message);
    out.push_back(std::move(*th));
  }
  return out;
}

int run(const SendFlags& f) {
  wkit::app::SendOptions o;
  auto url = wkit::app::resolve_server(f.client);
  if (!url) send_fail(2, url.error().message);
  o.url = *url;
  if (!f.check_via.empty()) {
    auto api = wkit::net::Url::parse(f.check_via);
    if (!api) send_fail(2, "bad --check-via '" + f.check_via + "': " + api.error().message);
    if (!api->http()) send_fail(2, "--check-via takes http://HOST:PORT or https://HOST:PORT, got '" + f.check_via + "'");
    o.check_via = *api;
  }
  const bool via_http = f.via == "http";
  if (via_http != !f.api.empty())
    send_fail(2, via_http ? "--via http needs --api http://HOST:PORT (or https://)" : "--api is for --via http");
  if (via_http) {
    auto api = wkit::net::Url::parse(f.api);
    if (!api) send_fail(2, "bad --api '" + f.api + "': " + api.error().message);
    if (!api->http()) send_fail(2, "--api takes http://HOST:PORT or https://HOST:PORT, got '" + f.api + "'");
    if (f.reconnect_before_retry) send_fail(2, "--reconnect-before-retry is for --via wkproto (HTTP has no session to renew)");
    o.api = *api;
    o.api_generation = f.api_compat == "2" ? wkit::app::ApiGeneration::v2 : wkit::app::ApiGeneration::v3;
  }
  o.drop_answers = f.drop_answers;
  // The TLS flags serve whichever of --server, --api and --check-via is TLS.
  const bool api_tls = (o.check_via && o.check_via->tls()) || (o.api && o.api->tls());
  if (api_tls) {
    auto t = wkit::net::ClientTls::create(f.client.tls);
    if (!t) send_fail(wkit::app::exit_code_of(t.error().kind), t.error().message);
    if (o.check_via && o.check_via->tls()) o.check_via_tls = *t;
    if (o.api && o.api->tls()) o.api_tls = *t;
  }
  if (!(api_tls && !url->tls())) {
    auto tls = wkit::cli::client_tls_for(*url, f.client.tls, "--server");
    if (!tls) send_fail(wkit::app::exit_code_of(tls.error().kind), tls.error().message);
    o.tls = *tls;
  }
  if (auto e = wkit::app::apply_client_flags(f.client, "wkit-send", o.base)) send_fail(2, e->message);
  if (auto e = wkit::app::apply_protocol_flags(f.protocol, f.jsonrpc_compat, o.base)) send_fail(2, e->message);
  if (o.base.jsonrpc && o.api) send_fail(2, "--protocol jsonrpc is for --via wkproto (the HTTP API has no dialects)");
  if (!f.users_file.empty()) {
    auto users = wkit::app::read_users_file(f.users_file);
    if (!users) send_fail(4, users.error().describe());
    o.users = std::move(*users);
  } else if (f.client.uid.empty()) {
    send_fail(2, "-u/--uid (or --users-file) is required");
  }
  o.targets = expand_targets(f);
  if (o.targets.empty()) send_fail(2, "a target is required: --to UID or --channel ID");

  int payload_sources = !f.text.empty() + !f.payload_file.empty() + !f.payload_hex.empty() + !f.payload_size.empty();
  if (payload_sources > 1) send_fail(2, "give one of --text, --payload-file, --payload-hex, --payload-size");
  if (!f.text.empty()) o.payload = f.raw_payload ? f.text : wkit::app::text_content(f.text);
  else if (!f.payload_file.empty()) o.payload = read_file(f.payload_file);
  else if (!f.payload_hex.empty()) {
    auto h = wkit::crypto::hex_decode(f.payload_hex);
    if (!h) send_fail(2, "bad --payload-hex: " + h.error().describe());
    o.payload = std::move(*h);
  } else {
    std::string size = f.payload_size.empty() ? "64" : f.payload_size;
    auto n = wkit::util::parse_size(size);
    if (!n) send_fail(2, "bad --payload-size '" + size + "': " + n.error().message);
    o.payload_size = *n;
  }

  o.client_msg_no = f.client_msg_no;
  o.count = f.count;
  if (f.count_given && f.count == 0) send_fail(2, "--count must be at least 1 (use --duration for a timed run)");
  if (!f.duration.empty()) {
    o.duration = send_duration_flag("--duration", f.duration);
    if (o.duration.count() <= 0) send_fail(2, "--duration must be above 0");
    if (!f.count_given) o.count = 0;  // the duration alone bounds the run
  }
  if (!f.client_msg_no.empty() && (o.count != 1 || o.duration.count() > 0))
    send_fail(2, "--client-msg-no fixes one message: it cannot be combined with --count above 1 or --duration");
  if (!f.rate.empty()) {
    auto r = wkit::util::parse_rate(f.rate);
    if (!r) send_fail(2, "bad --rate '" + f.rate + "': " + r.error().message);
    o.rate = *r;
  }
  o.connections = f.connections;
  o.window = f.window;
  o.ack_timeout = send_duration_flag("--ack-timeout", f.ack_timeout);
  o.retries = f.retries;
  o.retry_interval = send_duration_flag("--retry-interval", f.retry_interval);
  o.retry_mode = f.retry_mode == "forced" ? wkit::app::SendOptions::RetryMode::forced
                                          : wkit::app::SendOptions::RetryMode::on_timeout;
  o.reconnect_before_retry = f.reconnect_before_retry;
  o.ramp_up = send_duration_flag("--ramp-up", f.ramp_up);
  o.connect_timeout = std::chrono::duration_cast<std::chrono::milliseconds>(send_duration_flag("--connect-timeout", f.connect_timeout));
  o.max_handshakes = f.max_handshakes;
  o.reconnect_budget = send_duration_flag("--reconnect-budget", f.reconnect_budget);
  o.late_tolerance = send_duration_flag("--late-tolerance", f.late_tolerance);
  o.thresholds = parse_thresholds(f.thresholds, wkit::app::ThresholdScope::send);
  o.handle_signals = true;
  for (auto& r : f.receivers) o.receivers.push_back(wkit::app::parse_identity(r));
  if (f.verify && o.receivers.empty()) send_fail(2, "--verify needs at least one --receiver UID[:TOKEN]");
  o.verify_wait = send_duration_flag("--verify-wait", f.verify_wait);
  o.fail_on_duplicate = f.fail_on_duplicate;

  const bool single = o.count == 1 && o.duration.count() == 0 && o.receivers.empty();
  json single_record;
  auto progress_settings = wkit::cli::progress_settings(f.progress);
  if (!progress_settings) send_fail(2, progress_settings.error().message);
  wkit::util::Progress progress(*progress_settings);
  wkit::util::ProgressWindow progress_window;  // acked messages and their latency since the previous line
  wkit::app::SendHooks hooks;
  // -o jsonl lines on the terminal the progress line is redrawn on go above it.
  const bool lines_share_terminal = progress.shares_terminal_with(1);
  auto print_jsonl = [&](const json& j) {
    if (!lines_share_terminal) {
      std::cout << wkit::util::json_text(j) << '\n';
      return;
    }
    progress.print_above([&] { std::cout << wkit::util::json_text(j) << '\n' << std::flush; });
  };
  // Per-message JSON is built only when someone reads it (it costs more than a SEND).
  if (f.output == "jsonl" || single)
    hooks.on_message = [&](const json& j) {
      if (f.output == "jsonl") print_jsonl(j);
      if (single) single_record = j;
    };
  if (f.output == "jsonl") hooks.on_delivery = print_jsonl;
  hooks.on_notice = [&](const std::string& line) {
    progress.clear();
    std::cerr << "wkit send: " << line << "\n";
  };
  if (progress.enabled()) {
    hooks.window_latency = &progress_window.latency();
    hooks.on_progress = [&](uint64_t sent, uint64_t acked, double secs, uint64_t) {
      progress.update_with([&] {
        return wkit::cli::send_progress_line(progress_window.close(acked),
                                             std::chrono::nanoseconds(int64_t(secs * 1e9)), sent, o.count, o.duration);
      });
    };
  }

  // Refused before any message is sent, not after the run.
  wkit::util::OutputPolicy hist_policy;
  hist_policy.force = f.force;
  hist_policy.inputs = {f.payload_file, f.users_file};
  check_hist_out(f.hist_out, hist_policy);
  if (!f.report.empty())
    if (auto err = wkit::util::check_output(f.report, hist_policy)) send_fail(2, err->message);
  auto out = wkit::app::run_send(o, hooks);
  progress.finish();
  write_hist_out(f.hist_out, out.latency, hist_policy);
  if (!f.report.empty())
    if (auto err = wkit::util::write_output_file(
            f.report, wkit::app::send_report_html(out.summary, out.latency, out.timeline), hist_policy))
      send_fail(wkit::app::exit_code_of(err->kind), err->message);
  if (f.output == "json") std::cout << wkit::util::json_text(out.summary, 2) << '\n';
  else if (f.output == "jsonl") {
    json s = out.summary;
    s["type"] = "summary";
    std::cout << wkit::util::json_text(s) << '\n';
  } else {
    print_text(out.summary, single ? single_record : json());
  }
  std::cout.flush();
  if (out.exit_code == 3) std::cerr << "wkit send: " << out.error << "\n";
  else if (out.exit_code == 1)
    std::cerr << "wkit send: check failed: " << out.summary["findings"].get<std::string>() << "\n";
  return out.exit_code;
}

int merge_hist(const std::vector<std::string>& files, const std::string& out_path, bool force, const std::string& output,
               const std::vector<std::string>& threshold_texts) {
  wkit::util::OutputPolicy out_policy;
  out_policy.force = force;
  out_policy.inputs = files;
  check_hist_out(out_path, out_policy);
  const auto thresholds = parse_thresholds(threshold_texts, wkit::app::ThresholdScope::histogram);
  wkit::util::Histogram total;
  for (auto& path : files) {
    std::ifstream in(path, std::ios::binary);
    if (!in) send_fail(4, "cannot read " + path);
    std::ostringstream ss;
    ss << in.rdbuf();
    auto h = wkit::util::Histogram::from_json(ss.str());
    if (!h) send_fail(4, path + ": " + h.error().describe());
    total.merge(*h);
  }
  write_hist_out(out_path, total, out_policy);
  json s = wkit::app::latency_json(total);
  s["files"] = files.size();
  wkit::app::Metrics metrics;
  wkit::app::add_latency_metrics(total, metrics);
  std::vector<std::string> failed;
  if (!thresholds.empty()) s["thresholds"] = wkit::app::evaluate_to_json(thresholds, metrics, failed);
  const int rc = failed.empty() ? 0 : 1;
  s["exit_code"] = rc;
  if (output == "json") std::cout << wkit::util::json_text(s, 2) << '\n';
  else {
    std::cout << "merged " << files.size() << " histogram(s): " << s["count"] << " values  p50 " << fmt_ms(s["p50_ms"])
              << "  p90 " << fmt_ms(s["p90_ms"]) << "  p99 " << fmt_ms(s["p99_ms"]) << "  p99.9 "
              << fmt_ms(s["p999_ms"]) << "  max " << fmt_ms(s["max_ms"]) << "\n";
    print_thresholds(s);
  }
  std::cout.flush();
  for (auto& t : failed) std::cerr << "wkit send merge-hist: threshold " << t << " failed\n";
  return rc;
}

wkit::cli::Registration send_reg{"send", 20, [](CLI::App& app) {
  auto f = std::make_shared<SendFlags>();
  auto* sub = app.add_subcommand("send", "Send messages: forced retries with a per-message duplicate verdict, "
                                         "load runs, end-to-end verification");
  sub->add_option("-u,--uid", f->client.uid, "Sender uid");
  sub->add_option("-t,--token", f->client.token, "Token (env WKIT_TOKEN)");
  sub->add_option("--device-flag", f->client.device_flag, "app, web, pc or a number")->capture_default_str();
  sub->add_option("--device-id", f->client.device_id, "Device id (default wkit-send-PID; -N appended per connection)");
  sub->add_option("-s,--server", f->client.server, "Server URL tcp://HOST:PORT or ws://HOST:PORT[/PATH] (env WKIT_SERVER; "
                                            "default tcp://127.0.0.1:5100)");
  sub->add_option("--proto-version", f->client.proto_version, "Protocol version to ask for (the CONNACK decides)")
      ->check(CLI::Range(0, 255))->capture_default_str();
  wkit::cli::add_client_tls_flags(sub, f->client.tls);
  sub->add_flag("--no-encrypt", f->client.no_encrypt, "Send plaintext payloads with the NoEncrypt setting bit");
  sub->add_option("--protocol", f->protocol, "wkproto (binary) or jsonrpc (WuKongIM's JSON-RPC dialect, no encryption)")
      ->check(CLI::IsMember({"wkproto", "jsonrpc"}))->capture_default_str();
  sub->add_option("--jsonrpc-compat", f->jsonrpc_compat, "JSON-RPC wire generation: 2.1, 2.2 (embedded JSON payloads) "
                  "or 2.2.3 (= 3, base64 payloads)")
      ->check(CLI::IsMember({"2.1", "2.2", "2.2.3", "3"}))->capture_default_str();
  sub->add_option("-o,--output", f->output, "text, json (summary) or jsonl (one line per message, then the summary)")
      ->check(CLI::IsMember({"text", "json", "jsonl"}))->capture_default_str();
  sub->add_option("--to", f->to, "Person channel: the peer's uid (repeatable; {i} with --channels)");
  sub->add_option("--channel", f->channel, "Channel id (repeatable; {i} with --channels)");
  sub->add_option("--channel-type", f->channel_type, "Channel type for --channel (1 person, 2 group, ...)")
      ->check(CLI::Range(0, 255))->capture_default_str();
  sub->add_option("--channels", f->channels, "Expand {i} in --to/--channel to 0..K-1; messages go round-robin");
  sub->add_option("--text", f->text, "Text, sent as {\"type\":1,\"content\":TEXT} unless --raw-payload");
  sub->add_flag("--raw-payload", f->raw_payload, "Send --text as is");
  sub->add_option("--payload-file", f->payload_file, "Payload bytes from a file");
  sub->add_option("--payload-hex", f->payload_hex, "Payload bytes as hex");
  sub->add_option("--payload-size", f->payload_size, "Generated payload of N bytes carrying the send time "
                                                     "(default 64 when no payload is given)");
  sub->add_option("--client-msg-no", f->client_msg_no, "Fix the client_msg_no (single message)");
  sub->add_option("--count", f->count, "Messages to send (with --duration: whichever comes first)")
      ->capture_default_str()->each([f](const std::string&) { f->count_given = true; });
  sub->add_option("--duration", f->duration, "Send for this long (with --count: whichever comes first)");
  sub->add_option("--rate", f->rate, "Open model: send on a schedule, e.g. 5000/s; latency from the schedule");
  sub->add_option("--connections", f->connections, "Connections")->check(CLI::Range(1, 100000))->capture_default_str();
  sub->add_option("--window", f->window, "In-flight SENDs per connection")->check(CLI::Range(1, 1000000))->capture_default_str();
  sub->add_option("--ack-timeout", f->ack_timeout, "Give up on a SENDACK after this long")->capture_default_str();
  sub->add_option("--users-file", f->users_file, "uid[:token] per line; connection i uses line i mod N");
  sub->add_option("--retries", f->retries, "Resend each SEND N more times (same client_seq and client_msg_no, DUP set)")
      ->check(CLI::Range(0, 10000))->capture_default_str();
  sub->add_option("--retry-interval", f->retry_interval, "Time between forced resends")->capture_default_str();
  sub->add_option("--retry-mode", f->retry_mode, "forced: resend whether or not a SENDACK came; on-timeout: resend "
                                                 "only when no SENDACK came within --ack-timeout")
      ->check(CLI::IsMember({"forced", "on-timeout"}))->capture_default_str();
  sub->add_flag("--reconnect-before-retry", f->reconnect_before_retry, "Resend over a fresh connection (new handshake)");
  sub->add_option("--ramp-up", f->ramp_up, "Spread connection starts over this long")->capture_default_str();
  sub->add_option("--max-handshakes", f->max_handshakes, "Concurrent handshakes at most")
      ->check(CLI::Range(1, 100000))->capture_default_str();
  sub->add_option("--connect-timeout", f->connect_timeout, "Deadline for DNS, TCP connect, WebSocket upgrade and CONNECT/CONNACK")
      ->capture_default_str();
  sub->add_option("--reconnect-budget", f->reconnect_budget, "A lost connection is re-established for at most this "
                                                              "long, then the run ends (exit 3, with its summary)")
      ->capture_default_str();
  sub->add_option("--late-tolerance", f->late_tolerance, "With --rate: a send later than this behind schedule is late")
      ->capture_default_str();
  sub->add_option("--threshold", f->thresholds, "Pass/fail rule, e.g. 'p99<50ms', 'acked_ratio>=0.999', "
                                                "'late_ratio<0.01' (repeatable; a failed one exits 1)");
  sub->add_flag("--verify", f->verify, "Open --receiver connections in this process and account every message");
  sub->add_option("--receiver", f->receivers, "Receiver UID[:TOKEN] for --verify (repeatable)");
  sub->add_option("--verify-wait", f->verify_wait, "How long to wait for deliveries after the last SENDACK")
      ->capture_default_str();
  sub->add_flag("--fail-on-duplicate", f->fail_on_duplicate, "With --verify: exit 1 on repeated deliveries of one "
                                                            "message_id too (server-created duplicates always fail)");
  sub->add_option("--check-via", f->check_via, "After the run, ask the server's HTTP API (POST /channel/messagesync) "
                                               "which message_ids its store holds for each sent message: settles "
                                               "unverified ones (docs/send.md)")
      ->type_name("URL");
  sub->add_option("--via", f->via, "wkproto: SEND on WKProto connections to --server; http: POST /message/send to --api "
                                   "(as an application backend does), with the same retries and verdicts")
      ->check(CLI::IsMember({"wkproto", "http"}))->capture_default_str();
  sub->add_option("--api", f->api, "--via http: the server's HTTP API, http://HOST:PORT or https://HOST:PORT")
      ->type_name("URL");
  sub->add_option("--api-compat", f->api_compat, "--via http: how the API answers, WuKongIM 3 (reason, message_seq) "
                                                 "or 2 ({status,data})")
      ->check(CLI::IsMember({"3", "2"}))->capture_default_str();
  sub->add_option("--drop-answers", f->drop_answers, "Fault injection: ignore the first N answers (SENDACKs or HTTP "
                                                     "answers) to each message, as if lost")
      ->check(CLI::Range(0, 10000))->capture_default_str();
  sub->add_option("--hist-out", f->hist_out, "Write the latency histogram to FILE (mergeable JSON) and FILE.hgrm "
                                             "(HdrHistogram percentile text; docs/histogram-format.md)")->type_name("FILE");
  sub->add_option("--report", f->report, "Write an HTML page with latency percentiles, latency and throughput "
                                         "over time (self-contained; docs/send.md \"Reports\")")->type_name("FILE.html");
  sub->add_flag("--force", f->force, "Replace the --hist-out and --report files if they exist");
  wkit::cli::add_progress_flags(sub, f->progress);

  auto files = std::make_shared<std::vector<std::string>>();
  auto merged_out = std::make_shared<std::string>();
  auto merge_output = std::make_shared<std::string>("text");
  auto merge_thresholds = std::make_shared<std::vector<std::string>>();
  auto* merge = sub->add_subcommand("merge-hist", "Merge --hist-out files from several runs and print percentiles");
  merge->add_option("files", *files, "Histogram files")->required();
  merge->add_option("--out", *merged_out, "Write the merged histogram to FILE and FILE.hgrm")->type_name("FILE");
  auto merged_force = std::make_shared<bool>(false);
  merge->add_flag("--force", *merged_force, "Replace the --out file if it exists");
  merge->add_option("-o,--output", *merge_output, "text or json")->check(CLI::IsMember({"text", "json"}))->capture_default_str();
  merge->add_option("--threshold", *merge_thresholds, "Latency rule over the merged histogram, e.g. 'p99<50ms' (repeatable)");
  merge->final_callback([files, merged_out, merged_force, merge_output, merge_thresholds] {
    throw Exit{merge_hist(*files, *merged_out, *merged_force, *merge_output, *merge_thresholds)};
  });
  sub->require_subcommand(0, 1);
  sub->final_callback([f] { throw Exit{run(*f)}; });
}};

}  // namespace
