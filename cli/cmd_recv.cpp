// `wkit recv`: receive as a user, verify and decrypt every RECV, ack by
// policy, and account duplicates and gaps (docs/cli.md, docs/recv.md).
#include <unistd.h>

#include <utility>  // before asio (Boost 1.74 awaitable.hpp needs std::exchange)
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <csignal>
#include <cstdlib>
#include <iostream>
#include <sstream>

#include "command_registry.hpp"
#include "progress_flags.hpp"
#include "progress_lines.hpp"
#include "tls_flags.hpp"
#include "wkit/app/client_cli.hpp"
#include "wkit/app/client_receiver.hpp"
#include "wkit/app/verdict.hpp"
#include "wkit/util/units.hpp"
#include "wkit/util/json_text.hpp"
#include "wkit/util/latency_text.hpp"

namespace {

using nlohmann::json;
using wkit::cli::Exit;
namespace asio = boost::asio;

struct RecvFlags {
  wkit::app::ClientFlags client;  // server and identity
  std::string output = "text";
  uint64_t count = 0;
  std::string timeout, ack = "always", dedup_window = "0s", connect_timeout = "10s";
  uint64_t seed = 1;
  bool fail_on_duplicate = false;
  wkit::cli::ProgressFlags progress;
  std::string protocol = "wkproto", jsonrpc_compat = "2.2.3";
};

[[noreturn]] void recv_fail(int code, const std::string& msg) {
  std::cerr << "wkit recv: " << msg << "\n";
  throw Exit{code};
}

std::chrono::nanoseconds recv_duration_flag(const std::string& flag, const std::string& text) {
  auto d = wkit::util::parse_duration(text);
  if (!d) recv_fail(2, "bad " + flag + " '" + text + "': " + d.error().message);
  return *d;
}

void print_line(const json& j) {
  auto dup = j.value("duplicate", std::string("-"));
  std::cout << "seq " << j["message_seq"] << "  id " << j["message_id"] << "  from " << j["from_uid"].get<std::string>()
            << "  channel " << j["channel_id"].get<std::string>() << "/" << j["channel_type"] << "  cmn "
            << j["client_msg_no"].get<std::string>() << "  check " << j["check"].get<std::string>() << "  dup " << dup
            << "  ack " << j["acked"].get<std::string>();
  if (j.contains("payload")) {
    std::string p = j["payload"].get<std::string>();
    if (p.size() > 60) p = p.substr(0, 57) + "...";
    for (auto& c : p)
      if (static_cast<unsigned char>(c) < 0x20) c = '.';
    std::cout << "  payload " << p;
  }
  std::cout << "\n";
}

int run(const RecvFlags& f) {
  wkit::app::ReceiverOptions o;
  auto url = wkit::app::resolve_server(f.client);
  if (!url) recv_fail(2, url.error().message);
  o.url = *url;
  auto tls = wkit::cli::client_tls_for(*url, f.client.tls, "--server");
  if (!tls) recv_fail(wkit::app::exit_code_of(tls.error().kind), tls.error().message);
  o.tls = *tls;
  if (f.client.uid.empty()) recv_fail(2, "-u/--uid is required");
  if (auto e = wkit::app::apply_client_flags(f.client, "wkit-recv", o.cfg)) recv_fail(2, e->message);
  if (auto e = wkit::app::apply_protocol_flags(f.protocol, f.jsonrpc_compat, o.cfg)) recv_fail(2, e->message);
  auto ack = wkit::app::AckPolicy::parse(f.ack);
  if (!ack) recv_fail(2, ack.error().message);
  o.ack = *ack;
  o.dedup_window = recv_duration_flag("--dedup-window", f.dedup_window);
  o.connect_timeout = std::chrono::duration_cast<std::chrono::milliseconds>(recv_duration_flag("--connect-timeout", f.connect_timeout));
  o.seed = f.seed;
  const auto timeout = f.timeout.empty() ? std::chrono::nanoseconds(0) : recv_duration_flag("--timeout", f.timeout);
  const auto started = std::chrono::steady_clock::now();
  const auto deadline = timeout.count() > 0 ? started + timeout : std::chrono::steady_clock::time_point::max();
  // --timeout bounds the whole run, connecting included.
  if (timeout.count() > 0)
    o.connect_timeout = std::min(o.connect_timeout, std::chrono::duration_cast<std::chrono::milliseconds>(timeout));

  // Progress (docs/cli.md "Progress"): sampled on this thread while receiving.
  auto progress_settings = wkit::cli::progress_settings(f.progress);
  if (!progress_settings) recv_fail(2, progress_settings.error().message);
  wkit::util::Progress progress(*progress_settings, 2, started);
  // Message lines on the terminal the progress line is redrawn on go above it.
  const bool lines_share_terminal = progress.shares_terminal_with(1);
  auto on_msg = [&](const json& j) {
    auto write = [&] {
      if (f.output == "jsonl") {
        std::cout << wkit::util::json_text(j) << '\n' << std::flush;  // a line at a time, into a pipe too
      } else if (f.output == "text") {
        print_line(j);
        if (lines_share_terminal) std::cout.flush();
      }
    };
    if (lines_share_terminal) progress.print_above(write);
    else write();
  };
  // Declared first, destroyed last: the receiver's connection (a WebSocket
  // stream) uses the context's services until it is destroyed.
  asio::io_context ctx(1);
  wkit::app::Receiver rx(o, on_msg);
  wkit::util::ProgressWindow progress_window(started);  // unique messages since the previous line
  asio::steady_timer progress_timer(ctx);
  bool receiving = false;
  auto progress_loop = [&]() -> asio::awaitable<void> {
    while (receiving) {
      progress_timer.expires_after(std::chrono::milliseconds(100));
      boost::system::error_code ec;
      co_await progress_timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      if (!receiving) break;
      progress.update_with([&] {
        return wkit::cli::recv_progress_line(progress_window.close(rx.tracker().unique()), rx.tracker().received(),
                                             f.count, timeout);
      });
    }
  };
  asio::signal_set signals(ctx, SIGINT, SIGTERM);
  wkit::Status open_error;
  bool opened = false, interrupted = false, reached_deadline = false;
  signals.async_wait([&](boost::system::error_code ec, int sig) {
    if (ec) return;
    interrupted = true;
    progress.clear();
    std::cerr << "wkit recv: " << (sig == SIGINT ? "SIGINT" : "SIGTERM") << ": stopping\n";
    if (opened) rx.stop();
    else ctx.stop();  // still connecting: nothing to wait for
  });
  asio::co_spawn(ctx, [&]() -> asio::awaitable<void> {
    open_error = co_await rx.open();
    if (open_error) {
      signals.cancel();
      co_return;
    }
    opened = true;
    std::cerr << "wkit recv: receiving as " << f.client.uid << " on " << o.url.to_string()
              << " (ack " << f.ack << ")\n";
    if (progress.enabled()) {
      receiving = true;
      asio::co_spawn(ctx, progress_loop(), asio::detached);
    }
    co_await rx.wait(f.count, deadline);
    receiving = false;
    progress_timer.cancel();
    progress.finish();
    reached_deadline = std::chrono::steady_clock::now() >= deadline;
    co_await rx.close();
    signals.cancel();
  }, [](std::exception_ptr e) { if (e) std::rethrow_exception(e); });
  ctx.run();
  if (open_error) recv_fail(wkit::app::exit_code_of(open_error->kind), open_error->message);
  if (!opened) recv_fail(3, "interrupted while connecting to " + o.url.to_string());

  json s = rx.summary_json();
  const auto& tr = rx.tracker();
  bool count_missed = f.count > 0 && tr.unique() < f.count;
  s["count_requested"] = f.count;
  s["timed_out"] = reached_deadline && count_missed;
  s["interrupted"] = interrupted;
  wkit::app::RunFindings findings;
  findings.connection_failed = rx.connection_lost();
  findings.interrupted = interrupted;
  findings.duplicated = tr.server_duplicates();
  findings.bad_deliveries = rx.bad_msg_key() + rx.bad_payload();
  findings.missing = count_missed ? f.count - tr.unique() : 0;
  // Deliveries beyond the first that were not server-created duplicates (a
  // redelivery repeats both the client_msg_no and the message_id: once).
  findings.repeat_deliveries = tr.received() - tr.unique() - tr.server_duplicates();
  findings.fail_on_repeat = f.fail_on_duplicate;
  const int rc = wkit::app::exit_code(findings);
  const std::string why = rc == 3 ? "connection lost: " + rx.lost_reason() : wkit::app::describe(findings);
  if (rx.connection_lost()) s["error"] = "connection lost: " + rx.lost_reason();
  s["findings"] = wkit::app::describe(findings);
  s["exit_code"] = rc;
  if (f.output == "json") std::cout << wkit::util::json_text(s, 2) << '\n';
  else if (f.output == "jsonl") {
    s["type"] = "summary";
    std::cout << wkit::util::json_text(s) << '\n';
  } else {
    std::cout << "received " << tr.received() << " (unique " << tr.unique() << ")  duplicates: by client_msg_no "
              << tr.dup_by_client_msg_no() << ", by message_id " << tr.dup_by_message_id()
              << ", server-created (same client_msg_no, new message_id) " << tr.server_duplicates() << "\n";
    std::cout << "acked " << rx.acked() << ", withheld " << rx.withheld() << ", bad msg_key " << rx.bad_msg_key()
              << ", bad payload " << rx.bad_payload() << "\n";
    std::cout << "message_seq gaps: " << s["seq_gaps"]["missing"] << " missing";
    for (auto& g : s["seq_gaps"]["channels"]) std::cout << "  [" << g["channel"].get<std::string>() << ": " << g["missing"] << "]";
    std::cout << "\n";
    const auto& l = s["latency"];
    if (l["count"].get<uint64_t>() > 0)
      std::cout << "end-to-end latency p50 " << wkit::util::format_latency_ms(l["p50_ms"]) << "  p99 "
                << wkit::util::format_latency_ms(l["p99_ms"]) << "  max " << wkit::util::format_latency_ms(l["max_ms"])
                << "\n";
    const std::string found = s["findings"].get<std::string>();
    std::cout << "result: " << (found.empty() ? "no server-created duplicates, nothing missing" : found) << "\n";
  }
  std::cout.flush();
  if (rc == 3) recv_fail(3, why);
  if (rc) std::cerr << "wkit recv: check failed: " << why << "\n";
  return rc;
}

wkit::cli::Registration recv_reg{"recv", 30, [](CLI::App& app) {
  auto f = std::make_shared<RecvFlags>();
  auto* sub = app.add_subcommand("recv", "Receive as a user: verify and decrypt RECVs, ack by policy, count duplicates and gaps");
  sub->add_option("-u,--uid", f->client.uid, "Uid to receive as");
  sub->add_option("-t,--token", f->client.token, "Token (env WKIT_TOKEN)");
  sub->add_option("--device-flag", f->client.device_flag, "app, web, pc or a number")->capture_default_str();
  sub->add_option("--device-id", f->client.device_id, "Device id (default wkit-recv-PID)");
  sub->add_option("-s,--server", f->client.server, "Server URL (env WKIT_SERVER; default tcp://127.0.0.1:5100)");
  sub->add_option("--proto-version", f->client.proto_version, "Protocol version to ask for")->check(CLI::Range(0, 255))->capture_default_str();
  wkit::cli::add_client_tls_flags(sub, f->client.tls);
  sub->add_flag("--no-encrypt", f->client.no_encrypt, "Do not require session encryption");
  sub->add_option("--protocol", f->protocol, "wkproto (binary) or jsonrpc (WuKongIM's JSON-RPC dialect, no encryption)")
      ->check(CLI::IsMember({"wkproto", "jsonrpc"}))->capture_default_str();
  sub->add_option("--jsonrpc-compat", f->jsonrpc_compat, "JSON-RPC wire generation: 2.1, 2.2 (embedded JSON payloads) "
                  "or 2.2.3 (= 3, base64 payloads)")
      ->check(CLI::IsMember({"2.1", "2.2", "2.2.3", "3"}))->capture_default_str();
  sub->add_option("-o,--output", f->output, "text, json (summary) or jsonl (one line per RECV, then the summary)")
      ->check(CLI::IsMember({"text", "json", "jsonl"}))->capture_default_str();
  sub->add_option("--count", f->count, "Stop after N unique messages (exit 1 if the timeout comes first)");
  sub->add_option("--timeout", f->timeout, "Stop after this long");
  sub->add_option("--ack", f->ack, "always, never, drop:P or delay:D (withhold acks to force redelivery)")->capture_default_str();
  sub->add_option("--dedup-window", f->dedup_window, "Remember client_msg_nos this long for duplicate detection (0 = whole run)")
      ->capture_default_str();
  sub->add_option("--seed", f->seed, "Seed for --ack drop:P")->capture_default_str();
  wkit::cli::add_progress_flags(sub, f->progress);
  sub->add_option("--connect-timeout", f->connect_timeout, "Connect + handshake deadline")->capture_default_str();
  sub->add_flag("--fail-on-duplicate", f->fail_on_duplicate, "Exit 1 on repeated deliveries too (redeliveries of one "
                                                            "message_id; server-created duplicates always exit 1)");
  sub->final_callback([f] { throw Exit{run(*f)}; });
}};

}  // namespace
