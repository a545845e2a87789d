// `wkit serve`: a minimal WuKongIM-compatible server (docs/cli.md, docs/serve.md).
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "command_registry.hpp"
#include "tls_flags.hpp"
#include "wkit/app/server.hpp"
#include "wkit/util/output_file.hpp"
#include "wkit/util/units.hpp"

namespace {

struct ServeFlags {
  std::vector<std::string> listen;
  wkit::net::ServerTlsOptions tls;
  std::string data = "wkit-data";
  bool in_memory = false;
  std::string dedup = "on";
  uint64_t dedup_window = 262144;
  std::string tokens;
  std::vector<std::string> groups;
  std::string redeliver_interval = "5s";
  int redeliver_max = 5;
  unsigned inflight_window = 512;
  std::string max_outbound = "8MiB";
  std::string write_timeout = "10s";
  std::string idle_timeout = "3m";
  std::string handshake_timeout = "4s";
  std::vector<std::string> faults;
  uint64_t seed = 0;
  std::string events;
  std::string ready_file;
  unsigned node_id = 1;
  bool no_fsync = false;
  bool check_tokens = false;
  std::string api_compat = "3";
  std::string jsonrpc = "on";
  std::string jsonrpc_compat = "2.2.3";
  std::string output = "text";
};

[[noreturn]] void serve_fail(int code, const std::string& msg) {
  std::cerr << "wkit serve: " << msg << "\n";
  throw wkit::cli::Exit{code};
}

int exit_code_of(wkit::ErrorKind k) {
  switch (k) {
    case wkit::ErrorKind::usage: return 2;
    case wkit::ErrorKind::connection: return 3;
    case wkit::ErrorKind::bad_input: return 4;
    case wkit::ErrorKind::internal: return 5;
  }
  return 5;
}

int64_t duration_ms(const std::string& flag, const std::string& text) {
  auto d = wkit::util::parse_duration(text);
  if (!d) serve_fail(2, "bad " + flag + " '" + text + "': " + d.error().message);
  return std::chrono::duration_cast<std::chrono::milliseconds>(*d).count();
}

// Every connection is a file descriptor, and the usual soft limit (1024) is
// far below the hard one: take all the process may have.
void raise_fd_limit() {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= rl.rlim_max) return;
  rl.rlim_cur = rl.rlim_max;
  if (setrlimit(RLIMIT_NOFILE, &rl) != 0 && rl.rlim_max == RLIM_INFINITY) {
    rl.rlim_cur = 1 << 20;  // Linux refuses "unlimited" for open files
    setrlimit(RLIMIT_NOFILE, &rl);
  }
}


// --ready-file: every listener's URL once all are bound, written to a
// temporary file and renamed, so a script polling for it never reads half
// of it. A stale one (a server that was killed) is replaced.
void write_ready_file(const std::string& path, const std::vector<wkit::net::Url>& urls) {
  nlohmann::json j{{"pid", static_cast<long>(::getpid())}, {"listening", nlohmann::json::array()}};
  for (const auto& u : urls) {
    j["listening"].push_back(u.to_string());
    const std::string scheme = u.to_string().substr(0, u.to_string().find(':'));
    if (!j.contains(scheme)) j[scheme] = u.to_string();  // the first of each: "tcp", "ws"
  }
  wkit::util::OutputPolicy policy;
  policy.force = true;
  if (auto e = wkit::util::write_output_file(path, j.dump() + "\n", policy, /*sync=*/false))
    serve_fail(5, "--ready-file: " + e->message);  // cannot write there: the environment, like an unwritable --data
}

int run(const ServeFlags& f) {
  wkit::app::ServerOptions o;
  o.version = WKIT_VERSION;
  std::vector<std::string> listen = f.listen;
  if (listen.empty()) listen = {"tcp://127.0.0.1:5100", "ws://127.0.0.1:5200"};
  for (const auto& l : listen) {
    auto u = wkit::net::Url::parse(l);
    if (!u) serve_fail(2, "bad --listen '" + l + "': " + u.error().message);
    o.listen.push_back(*u);
  }
  auto tls = wkit::cli::server_tls_for(o.listen, f.tls);
  if (!tls) serve_fail(exit_code_of(tls.error().kind), tls.error().message);
  o.tls = *tls;
  o.data_dir = f.data;
  o.in_memory = f.in_memory;
  o.dedup = f.dedup == "on";
  o.jsonrpc = f.jsonrpc == "on";
  if (!wkit::proto::jsonrpc::compat_from_name(f.jsonrpc_compat, o.jsonrpc_compat))
    serve_fail(2, "bad --jsonrpc-compat '" + f.jsonrpc_compat + "'");
  o.dedup_window = f.dedup_window;
  o.durable = !f.no_fsync;
  if (!f.tokens.empty()) {
    auto t = wkit::app::read_tokens_file(f.tokens);
    if (!t) serve_fail(4, t.error().message);
    o.tokens = std::move(*t);
    o.tokens_required = true;
  }
  for (const auto& g : f.groups)
    if (auto e = wkit::app::parse_group(g, o.groups)) serve_fail(2, e->message);
  o.redeliver_interval_ms = duration_ms("--redeliver-interval", f.redeliver_interval);
  if (o.redeliver_interval_ms <= 0) serve_fail(2, "--redeliver-interval must be above 0");
  o.redeliver_max = f.redeliver_max;
  o.inflight_window = f.inflight_window;
  auto max_outbound = wkit::util::parse_size(f.max_outbound);
  if (!max_outbound) serve_fail(2, "bad --max-outbound '" + f.max_outbound + "': " + max_outbound.error().message);
  if (*max_outbound == 0) serve_fail(2, "--max-outbound must be above 0");
  o.max_outbound_bytes = *max_outbound;
  o.write_timeout_ms = duration_ms("--write-timeout", f.write_timeout);
  o.idle_timeout_ms = duration_ms("--idle-timeout", f.idle_timeout);
  o.handshake_timeout_ms = duration_ms("--handshake-timeout", f.handshake_timeout);
  for (const auto& spec : f.faults) {
    auto r = wkit::fault::parse_rule(spec);
    if (!r) serve_fail(2, r.error().message);
    o.faults.push_back(std::move(*r));
  }
  o.seed = f.seed;
  if (f.check_tokens) o.tokens_required = true;
  o.api_compat = f.api_compat == "2" ? wkit::app::ApiCompat::v2 : wkit::app::ApiCompat::v3;
  o.events_path = f.events;
  o.node_id = static_cast<uint16_t>(f.node_id);
  o.json_output = f.output != "text";

  raise_fd_limit();
  auto server = wkit::app::Server::create(std::move(o));
  if (!server) serve_fail(exit_code_of(server.error().kind), server.error().describe());
  for (const auto& u : (*server)->local_urls()) {
    if (f.output == "text") std::cout << "listening " << u.to_string() << "\n";
    else std::cout << nlohmann::json{{"event", "listening"}, {"url", u.to_string()}}.dump() << "\n";
  }
  std::cout.flush();
  if (!f.ready_file.empty()) write_ready_file(f.ready_file, (*server)->local_urls());
  std::cerr << "wkit serve: " << (*server)->describe() << "; Ctrl-C stops\n";
  int rc = (*server)->run();
  // A ready file outliving the server would tell the next script to go ahead.
  if (!f.ready_file.empty()) std::remove(f.ready_file.c_str());
  const auto c = (*server)->counters();
  if (f.output != "text") std::cout << nlohmann::json{{"event", "stopped"}, {"counters", c}}.dump() << std::endl;
  std::cerr << "wkit serve: stopped after " << c.value("sends_total", 0) << " SEND(s): " << c.value("messages_stored_total", 0)
            << " stored, " << c.value("dedup_hits_total", 0) << " dedup hit(s), " << c.value("dedup_conflicts_total", 0)
            << " conflict(s); " << c.value("recvs_total", 0) << " RECV(s), " << c.value("redeliveries_total", 0)
            << " redelivered, " << c.value("slow_consumer_disconnects_total", 0) << " slow consumer(s) cut\n";
  return rc;
}

wkit::cli::Registration serve_reg{"serve", 40, [](CLI::App& app) {
  auto f = std::make_shared<ServeFlags>();
  auto* sub = app.add_subcommand("serve", "Run a minimal WuKongIM-compatible server (TCP + WebSocket, SQLite store, "
                                          "idempotent SEND, redelivery, fault injection)");
  sub->add_option("--listen", f->listen,
                  "Address to listen on, tcp://HOST:PORT, ws://HOST:PORT or wss://HOST:PORT (TLS: --tls-cert, "
                  "--tls-key), or http(s)://HOST:PORT for the HTTP API (repeatable; port 0 = any free port; default "
                  "tcp://127.0.0.1:5100 and ws://127.0.0.1:5200)");
  wkit::cli::add_server_tls_flags(sub, f->tls);
  auto* data = sub->add_option("--data", f->data, "Directory of the SQLite store (file wkit.db)")
                   ->capture_default_str();
  sub->add_flag("--in-memory", f->in_memory, "Keep the store in memory (nothing on disk)")->excludes(data);
  sub->add_option("--dedup", f->dedup, "Idempotent SEND by (channel, from_uid, client_msg_no); off reproduces "
                                       "WuKongIM 2.x (resends stored again)")
      ->check(CLI::IsMember({"on", "off"}))
      ->capture_default_str();
  sub->add_option("--dedup-window", f->dedup_window,
                  "Idempotency keys kept in memory (the latest; older resends are looked up in DIR/wkit.keys, "
                  "so memory does not grow with the store)")
      ->check(CLI::Range(uint64_t{2}, uint64_t{1} << 32))
      ->capture_default_str();
  sub->add_option("--tokens", f->tokens, "File of uid:token lines; without it any token is accepted");
  sub->add_flag("--check-tokens", f->check_tokens,
                "Check tokens at CONNECT even without --tokens: those registered with POST /user/token");
  sub->add_option("--api-compat", f->api_compat,
                  "Shapes of the HTTP API on http:// and https:// listeners: 3 (WuKongIM 3.x: send answered after "
                  "the commit, deduplicated) or 2 (2.x: {status,data}, never deduplicated)")
      ->check(CLI::IsMember({"2", "3"}))
      ->capture_default_str();
  sub->add_option("--jsonrpc", f->jsonrpc,
                  "JSON-RPC clients (the EasySDK protocol): a connection whose first byte is '{' speaks it "
                  "(tcp, ws and wss listeners); off = WKProto only")
      ->check(CLI::IsMember({"on", "off"}))
      ->capture_default_str();
  sub->add_option("--jsonrpc-compat", f->jsonrpc_compat,
                  "JSON-RPC generation written to clients: 2.1 and 2.2 embed JSON payloads, 2.2.3 (= 3) "
                  "writes base64; input of every generation is accepted")
      ->check(CLI::IsMember({"2.1", "2.2", "2.2.3", "3"}))
      ->capture_default_str();
  sub->add_option("--group", f->groups, "Group channel ID=UID,UID,... (repeatable)");
  sub->add_option("--redeliver-interval", f->redeliver_interval, "Resend an unacked RECV after this long")
      ->capture_default_str();
  sub->add_option("--redeliver-max", f->redeliver_max, "Resends per RECV and connection (0 = none)")
      ->check(CLI::Range(0, 1000000))
      ->capture_default_str();
  sub->add_option("--inflight-window", f->inflight_window,
                  "Unacked RECVs per connection; more wait in the store and follow as RECVACKs come")
      ->check(CLI::Range(1, 1000000))
      ->capture_default_str();
  sub->add_option("--max-outbound", f->max_outbound,
                  "Close a connection as a slow consumer when more than this is queued for it unwritten (size)")
      ->capture_default_str();
  sub->add_option("--write-timeout", f->write_timeout,
                  "Close a connection as a slow consumer when its queued bytes make no write progress for this "
                  "long (0 = never)")
      ->capture_default_str();
  sub->add_option("--idle-timeout", f->idle_timeout, "Close connections without inbound data for this long (0 = never)")
      ->capture_default_str();
  sub->add_option("--handshake-timeout", f->handshake_timeout,
                  "Close connections whose CONNECT (WebSocket upgrade included) is not complete this long after "
                  "accept (0 = never)")
      ->capture_default_str();
  sub->add_option("--fault", f->faults, "Inject a fault: ACTION:FRAME[:PARAM] (repeatable), e.g. drop:sendack:nth=1");
  sub->add_option("--seed", f->seed, "Seed for probabilistic faults (p=)")->capture_default_str();
  sub->add_option("--events", f->events, "Write server events as JSON lines to FILE (- = stdout)");
  sub->add_option("--ready-file", f->ready_file,
                  "Once every listener is bound, write PATH (atomically): JSON with pid, listening URLs, and "
                  "the first tcp and ws URL; removed when the server stops");
  sub->add_option("--node-id", f->node_id, "Node id in message_ids (0..1023) and CONNACK")
      ->check(CLI::Range(0, 1023))
      ->capture_default_str();
  sub->add_flag("--no-fsync", f->no_fsync, "Do not fsync each group commit (SQLite synchronous=NORMAL)");
  sub->add_option("-o,--output", f->output, "Listening lines as text or JSON (json and jsonl are the same here)")
      ->check(CLI::IsMember({"text", "json", "jsonl"}))
      ->capture_default_str();
  sub->final_callback([f] { throw wkit::cli::Exit{run(*f)}; });
}};

}  // namespace
