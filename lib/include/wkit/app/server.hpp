#pragma once
// `wkit serve`: listeners (TCP and WebSocket), one coroutine per connection
// on a single I/O thread (no thread per connection), the ServerHub, and the
// store's group-commit thread. See docs/serve.md.
#include <memory>
#include <nlohmann/json.hpp>
#include <vector>

#include "wkit/app/server_options.hpp"
#include "wkit/net/transport.hpp"

namespace wkit::app {

class Server {
 public:
  // Opens the store, loads its indexes and binds every listener. Error kinds:
  // connection (bind failed, e.g. port in use) -> exit 3; bad_input (store
  // file unreadable as a wkit store) -> 4; internal (data dir or events file
  // not writable) -> 5.
  static Result<std::unique_ptr<Server>> create(ServerOptions opts);
  ~Server();

  // The bound addresses (port 0 resolved), in --listen order.
  std::vector<net::Url> local_urls() const;
  // Serves until SIGINT/SIGTERM or stop(); then stops accepting, lets
  // in-flight commits finish and their SENDACKs go out, closes every
  // connection and the store. Returns the exit code (0).
  int run();
  // Thread-safe.
  void stop();
  // One line for stderr describing the store ("store ./wkit-data/wkit.db: 12 messages, dedup on").
  std::string describe() const;
  // The counters of GET /metrics as one JSON object (after run(): the totals).
  nlohmann::json counters() const;

  struct Impl;

 private:
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace wkit::app
