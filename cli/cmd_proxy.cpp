// `wkit proxy --listen URL --upstream URL [--capture FILE [--force]] [--fault SPEC]...`
// (docs/cli.md; docs/proxy.md).
#include <cstdlib>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>

#include "command_registry.hpp"
#include "tls_flags.hpp"
#include "wkit/app/proxy.hpp"
#include "wkit/util/units.hpp"

namespace {

struct ProxyFlags {
  std::vector<std::string> listen;
  std::string upstream;
  std::string capture;
  bool force = false;
  std::vector<std::string> faults;
  uint64_t seed = 0;
  std::string events;
  std::string output = "text";
  std::string upstream_timeout = "5s";
  bool upstream_timeout_given = false;
  std::optional<int> upstream_timeout_ms;  // deprecated spelling, kept one release
  wkit::net::ClientTlsOptions upstream_tls;
  wkit::net::ServerTlsOptions listen_tls;
};

int code_of(wkit::ErrorKind k) { return static_cast<int>(k); }

// --upstream-timeout D, or the deprecated --upstream-timeout-ms MS (with a
// warning); nullopt after printing a usage error.
std::optional<std::chrono::milliseconds> upstream_timeout(const ProxyFlags& f) {
  if (f.upstream_timeout_ms) {
    if (f.upstream_timeout_given) {
      std::cerr << "wkit proxy: give --upstream-timeout only (--upstream-timeout-ms is its deprecated spelling)\n";
      return std::nullopt;
    }
    std::cerr << "wkit proxy: warning: --upstream-timeout-ms is deprecated and goes in the next release; write "
                 "--upstream-timeout "
              << *f.upstream_timeout_ms << "ms\n";
    if (*f.upstream_timeout_ms <= 0) {
      std::cerr << "wkit proxy: --upstream-timeout-ms must be above 0\n";
      return std::nullopt;
    }
    return std::chrono::milliseconds(*f.upstream_timeout_ms);
  }
  auto d = wkit::util::parse_duration(f.upstream_timeout);
  if (!d) {
    std::cerr << "wkit proxy: bad --upstream-timeout '" << f.upstream_timeout << "': " << d.error().message << "\n";
    return std::nullopt;
  }
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(*d);
  if (ms.count() <= 0) {
    std::cerr << "wkit proxy: --upstream-timeout must be at least 1ms\n";
    return std::nullopt;
  }
  return ms;
}

int run(const ProxyFlags& f) {
  wkit::app::ProxyOptions o;
  std::vector<std::string> listen = f.listen;
  if (listen.empty()) listen = {"tcp://127.0.0.1:5110"};
  for (const auto& l : listen) {
    auto u = wkit::net::Url::parse(l);
    if (!u) {
      std::cerr << "wkit proxy: bad --listen '" << l << "': " << u.error().message << "\n";
      return 2;
    }
    o.listen.push_back(*u);
  }
  std::string up = f.upstream;
  if (up.empty()) up = std::getenv("WKIT_SERVER") ? std::getenv("WKIT_SERVER") : "tcp://127.0.0.1:5100";
  auto u = wkit::net::Url::parse(up);
  if (!u) {
    std::cerr << "wkit proxy: bad --upstream '" << up << "': " << u.error().message << "\n";
    return 2;
  }
  o.upstream = *u;
  auto up_tls = wkit::cli::client_tls_for(*u, f.upstream_tls, "--upstream");
  if (!up_tls) {
    std::cerr << "wkit proxy: " << up_tls.error().message << "\n";
    return code_of(up_tls.error().kind);
  }
  o.upstream_tls = *up_tls;
  auto listen_tls = wkit::cli::server_tls_for(o.listen, f.listen_tls);
  if (!listen_tls) {
    std::cerr << "wkit proxy: " << listen_tls.error().message << "\n";
    return code_of(listen_tls.error().kind);
  }
  o.listen_tls = *listen_tls;
  for (const auto& spec : f.faults) {
    auto r = wkit::fault::parse_rule(spec);
    if (!r) {
      std::cerr << "wkit proxy: " << r.error().message << "\n";
      return 2;
    }
    o.faults.push_back(std::move(*r));
  }
  o.seed = f.seed;
  o.capture_path = f.capture;
  o.capture_force = f.force;
  o.events_path = f.events;
  if (auto t = upstream_timeout(f)) o.upstream_timeout = *t;
  else return 2;
  o.creator = std::string("wkit ") + WKIT_VERSION + " proxy";
  auto proxy = wkit::app::Proxy::create(std::move(o));
  if (!proxy) {
    std::cerr << "wkit proxy: " << proxy.error().describe() << "\n";
    return code_of(proxy.error().kind);
  }
  for (const auto& l : (*proxy)->local_urls()) {
    if (f.output == "text") std::cout << "listening " << l.to_string() << "\n";
    else std::cout << nlohmann::json{{"event", "listening"}, {"url", l.to_string()}}.dump() << "\n";
  }
  std::cout.flush();
  std::string recording;
  if (!f.capture.empty())
    recording = ", recording to " + f.capture + " (written as " + (*proxy)->capture_data_path() +
                " until the proxy stops)";
  std::cerr << "wkit proxy: relaying to " << up << recording << "; Ctrl-C stops\n";
  int rc = (*proxy)->run();
  auto s = (*proxy)->stats();
  std::cerr << "wkit proxy: stopped after " << s.connections << " connection(s), " << s.frames_c2s
            << " frames c->s, " << s.frames_s2c << " s->c, " << s.faults << " fault(s) injected\n";
  return rc;
}

wkit::cli::Registration reg{"proxy", 80, [](CLI::App& app) {
  auto f = std::make_shared<ProxyFlags>();
  auto* sub = app.add_subcommand("proxy", "Man-in-the-middle: terminate the session on both sides (JSON-RPC clients: "
                                          "relayed as they are), record plaintext, inject faults");
  sub->add_option("--listen", f->listen,
                  "Address to listen on, tcp://, ws:// or wss:// (TLS terminated here: --tls-cert, --tls-key) "
                  "(repeatable; port 0 = any free port; default tcp://127.0.0.1:5110)");
  wkit::cli::add_server_tls_flags(sub, f->listen_tls);
  sub->add_option("--upstream", f->upstream, "Server to relay to, tcp://, ws:// or wss:// (default $WKIT_SERVER or "
                                             "tcp://127.0.0.1:5100)");
  wkit::cli::add_client_tls_flags(sub, f->upstream_tls, "the upstream");
  sub->add_option("--capture", f->capture, "Record every frame (WKProto and JSON-RPC), with plaintext, to this .wkcap file "
                                          "(written under a temporary name beside it until the proxy stops)");
  sub->add_flag("--force", f->force, "Replace the --capture file if it exists");
  sub->add_option("--fault", f->faults, "Fault spec ACTION:FRAME[:PARAM] applied to each client connection (repeatable)");
  sub->add_option("--seed", f->seed, "Seed for probabilistic faults");
  sub->add_option("--events", f->events, "JSON line per forwarded or injected frame to FILE, or - for stdout");
  sub->add_option("--upstream-timeout", f->upstream_timeout, "Deadline for DNS, TCP connect, WebSocket upgrade and "
                                                             "CONNECT/CONNACK toward the upstream")
      ->capture_default_str()
      ->each([f](const std::string&) { f->upstream_timeout_given = true; });
  // Hidden (no group): the old integer spelling, accepted with a warning.
  sub->add_option("--upstream-timeout-ms", f->upstream_timeout_ms, "Deprecated: --upstream-timeout D")->group("");
  sub->add_option("-o,--output", f->output, "Format of the 'listening' lines")->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  sub->final_callback([f] { throw wkit::cli::Exit{run(*f)}; });
}};

}  // namespace
