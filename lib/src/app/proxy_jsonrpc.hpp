#pragma once
// Internal to proxy*.cpp: the JSON-RPC side of `wkit proxy` (docs/proxy.md
// "JSON-RPC clients"). A client whose first non-blank byte is '{' or '['
// speaks WuKongIM's JSON-RPC dialect: there is no key exchange and nothing
// encrypted, so the proxy does not terminate the session as it does for
// WKProto. It relays each JSON object as it came (one WebSocket text message
// each way, request ids untouched) to a connection of its own to the
// upstream, decodes it onto the frame model for the capture, the event log
// and the fault rules (drop, delay, dup, reset on any frame type, e.g. the
// nth send result = SENDACK), and records it exactly as received.
#include <utility>  // before asio: Boost 1.74 awaitable.hpp uses std::exchange unincluded
#include <boost/asio/awaitable.hpp>
#include <memory>
#include <string>

#include "proxy_impl.hpp"
#include "wkit/net/frame_writer.hpp"
#include "wkit/net/transport.hpp"

namespace wkit::app::proxy_detail {

// Relays one JSON-RPC client connection until either side ends; returns why
// it ended (for the capture's Closed record). `first_bytes`: what the client
// sent so far (its dialect was decided on them). `client_writer` must be
// running; `info` is the connection's capture state (completed here);
// `owner` keeps `client`, `client_writer` and `info` alive for the relay's
// own coroutines.
asio::awaitable<std::string> relay_jsonrpc(Proxy::Impl& px, uint64_t id, net::Connection& client,
                                           net::FrameWriter& client_writer, pb::Connection& info,
                                           std::string first_bytes, std::shared_ptr<void> owner);

}  // namespace wkit::app::proxy_detail
