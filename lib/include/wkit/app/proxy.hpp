#pragma once
// `wkit proxy`: a man-in-the-middle that terminates the WKProto session on
// both sides with its own keys (a server session toward each client, a client
// session upstream), so it sees plaintext; forwards frames in order, records
// them to a .wkcap capture, injects faults with the shared fault rules, and
// logs one JSON line per forwarded or injected frame.
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "wkit/fault/fault.hpp"
#include "wkit/net/transport.hpp"
#include "wkit/util/error.hpp"

namespace wkit::app {

struct ProxyOptions {
  std::vector<net::Url> listen;           // port 0 = any free port
  net::Url upstream;
  std::shared_ptr<const net::ClientTls> upstream_tls;  // wss:// upstream (null: system trust)
  std::shared_ptr<const net::ServerTls> listen_tls;    // wss:// listeners
  std::string capture_path;               // "" = no capture
  bool capture_force = false;             // replace an existing capture_path
  std::vector<fault::Rule> faults;        // toward the client (and inbound with dir=in)
  uint64_t seed = 0;
  std::string events_path;                // "" = none, "-" = stdout
  std::chrono::milliseconds upstream_timeout{5000};
  std::string creator = "wkit proxy";
};

struct ProxyStats {
  uint64_t connections = 0, frames_c2s = 0, frames_s2c = 0, faults = 0, records = 0;
};

class Proxy {
 public:
  // Binds the listeners and creates the capture file (an existing one is
  // refused, a usage error, unless capture_force).
  static Result<std::unique_ptr<Proxy>> create(ProxyOptions opts);
  ~Proxy();
  std::vector<net::Url> local_urls() const;
  // Serves until SIGINT/SIGTERM (or stop()); flushes and closes the capture.
  // Returns the exit code (0, or 5 when the capture could not be written).
  int run();
  void stop();
  ProxyStats stats() const;
  // Where the capture is while the proxy runs (a temporary file beside
  // capture_path, renamed to it when run() returns).
  std::string capture_data_path() const;

  struct Impl;

 private:
  explicit Proxy(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace wkit::app
