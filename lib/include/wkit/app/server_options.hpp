#pragma once
// Configuration of `wkit serve` (docs/cli.md, docs/serve.md), parsed by cli/cmd_serve.cpp.
#include <cstdint>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "wkit/fault/fault.hpp"
#include "wkit/net/transport.hpp"
#include "wkit/proto/jsonrpc.hpp"
#include "wkit/util/error.hpp"

namespace wkit::app {

// The shapes of the HTTP API (docs/serve.md "HTTP API"): WuKongIM 3.x or 2.x.
enum class ApiCompat { v2, v3 };

struct ServerOptions {
  std::vector<net::Url> listen;  // default tcp://127.0.0.1:5100 and ws://127.0.0.1:5200
  std::shared_ptr<const net::ServerTls> tls;  // for wss:// and https:// listeners
  ApiCompat api_compat = ApiCompat::v3;       // http:// listeners
  std::string data_dir = "wkit-data";
  bool in_memory = false;
  bool dedup = true;
  // Idempotency keys kept in memory (dedup_window.hpp); older ones are looked
  // up in the store's on-disk index. 0: all (the in-memory store always).
  uint64_t dedup_window = 262144;
  bool durable = true;  // fsync each group commit (SQLite synchronous=FULL)
  bool tokens_required = false;
  std::unordered_map<std::string, std::string> tokens;           // uid -> token
  std::map<std::string, std::vector<std::string>> groups;        // group id -> member uids
  int64_t redeliver_interval_ms = 5000;
  int redeliver_max = 5;
  // Flow control and slow consumers (docs/serve.md "Slow consumers").
  uint32_t inflight_window = 512;               // unacked RECVs per connection
  uint64_t max_outbound_bytes = 8u << 20;       // queued and unwritten per connection
  int64_t write_timeout_ms = 10'000;            // bytes queued without write progress (0 = never)
  int64_t idle_timeout_ms = 180'000;
  // From accept to a whole CONNECT, WebSocket upgrade included (0 = never).
  int64_t handshake_timeout_ms = 4000;
  std::vector<fault::Rule> faults;
  uint64_t seed = 0;
  std::string events_path;  // "" none, "-" stdout
  uint16_t node_id = 1;
  // JSON-RPC clients (docs/serve.md "JSON-RPC"): detected per connection on
  // tcp://, ws:// and wss:// listeners; the generation written to them.
  bool jsonrpc = true;
  proto::jsonrpc::Compat jsonrpc_compat = proto::jsonrpc::Compat::v2_2_3;
  bool json_output = false;  // listening lines as JSON
  std::string version = "dev";
};

// `uid:token` per line; '#' comments and blank lines skipped. Errors name file:line.
Result<std::unordered_map<std::string, std::string>> read_tokens_file(const std::string& path);
// `ID=UID,UID,...`
Status parse_group(std::string_view spec, std::map<std::string, std::vector<std::string>>& groups);

}  // namespace wkit::app
