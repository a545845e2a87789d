#pragma once
// Internal to proxy*.cpp: the proxy's shared state (listeners, capture,
// event log, statistics), used by the WKProto connections (proxy.cpp) and
// the JSON-RPC relay (proxy_jsonrpc.cpp).
#include <utility>  // before asio: Boost 1.74 awaitable.hpp uses std::exchange unincluded
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "wkit/app/proxy.hpp"
#include "wkit/app/server_trouble.hpp"
#include "wkit/capture/writer.hpp"
#include "wkit/proto/json.hpp"
#include "wkit/util/json_text.hpp"

namespace wkit::app {

namespace asio = boost::asio;

namespace proxy_detail {

inline int64_t wall_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}
}  // namespace proxy_detail

namespace pb = capture::pb;

struct Proxy::Impl {
  ProxyOptions opts;
  asio::io_context io{1};
  std::vector<std::unique_ptr<net::Listener>> listeners;
  std::unique_ptr<capture::CaptureWriter> capture;
  std::FILE* events = nullptr;
  bool own_events = false;
  ProxyStats stats;
  uint64_t next_id = 0;
  std::optional<Error> write_error;
  pb::Record rec;  // reused
  bool stopping = false;

  struct Conn;
  std::vector<std::weak_ptr<Conn>> conns;

  void record(uint64_t conn, pb::Direction dir) {
    if (!capture || write_error) return;
    rec.set_timestamp_ns(proxy_detail::wall_ns());
    rec.set_connection_id(conn);
    rec.set_direction(dir);
    if (auto err = capture->write(rec)) write_error = err;
    ++stats.records;
  }

  // `rpc_id`: for a JSON-RPC message, its request id ("" for none).
  void event(uint64_t conn, pb::Direction dir, const proto::Frame* f, int version, std::string_view action,
             std::string_view spec, bool jsonrpc = false, std::string_view rpc_id = {}) {
    if (!events) return;
    nlohmann::ordered_json j{{"ts_ns", proxy_detail::wall_ns()},
                             {"connection_id", conn},
                             {"direction", std::string(capture::direction_name(dir))},
                             {"action", action}};
    if (jsonrpc) {
      j["dialect"] = "jsonrpc";
      if (!rpc_id.empty()) j["rpc_id"] = rpc_id;
    }
    if (f) {
      j["frame_type"] = proto::frame_type_name(proto::type_of(*f));
      j["frame"] = proto::frame_summary(*f, version);
    }
    bool is_fault = action == "drop" || action == "delay" || action == "dup" || action == "reset";
    if (!spec.empty()) j[is_fault ? "fault" : "detail"] = spec;
    std::string line = wkit::util::json_text(j);
    line += '\n';
    std::fwrite(line.data(), 1, line.size(), events);
    std::fflush(events);
  }

  asio::awaitable<void> accept_loop(net::Listener& l);
  asio::awaitable<void> establish_then_run(std::unique_ptr<net::Accepted> a);
  TroubleLog trouble{"wkit proxy: ", stderr};
};


}  // namespace wkit::app
