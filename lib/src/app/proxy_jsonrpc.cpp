#include "proxy_jsonrpc.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <optional>

#include "wkit/capture/record_decoder.hpp"
#include "wkit/fault/fault.hpp"
#include "wkit/proto/jsonrpc.hpp"

namespace wkit::app::proxy_detail {

namespace jsonrpc = proto::jsonrpc;
using net::error_code;

namespace {

constexpr uint8_t kRelaySystemError = 15;

struct JsonrpcRelay : std::enable_shared_from_this<JsonrpcRelay> {
  Proxy::Impl& px;
  uint64_t id;
  net::Connection& client;
  net::FrameWriter& cw;
  pb::Connection& info;
  std::shared_ptr<void> owner;
  std::unique_ptr<net::Connection> up;
  std::optional<net::FrameWriter> uw;
  fault::Injector faults;
  capture::RecordDecoder decoder;
  // Per direction (0: from the client, 1: from upstream): text not yet split
  // into objects, and the stream offset of its first byte.
  std::string pending[2];
  uint64_t pending_offset[2] = {0, 0};
  std::string ended;  // why the relay ended; "" while it runs

  JsonrpcRelay(Proxy::Impl& p, uint64_t i, net::Connection& c, net::FrameWriter& w, pb::Connection& inf,
               std::shared_ptr<void> o)
      : px(p), id(i), client(c), cw(w), info(inf), owner(std::move(o)),
        faults(p.opts.faults, p.opts.seed, i) {}

  static pb::Direction direction_of(int side) { return side == 0 ? pb::CLIENT_TO_SERVER : pb::SERVER_TO_CLIENT; }
  net::FrameWriter* toward(int side) { return side == 0 ? (uw ? &*uw : nullptr) : &cw; }

  void end(std::string why) {
    if (!ended.empty()) return;
    ended = std::move(why);
    client.close();
    if (up) up->close();
  }

  void record_connection() {
    *px.rec.mutable_connection() = info;
    px.record(id, pb::DIRECTION_UNSPECIFIED);
  }

  // Bytes that are not a valid JSON-RPC object: kept (up to kMaxAnomalyWire)
  // so that the capture shows what the peer sent, not only that it was bad.
  void record_anomaly(int side, uint64_t offset, std::string_view text, const std::string& why) {
    constexpr size_t kMaxAnomalyWire = 64 * 1024;
    auto* a = px.rec.mutable_anomaly();
    a->set_kind(pb::Anomaly::DECODE_ERROR);
    a->set_stream_offset(offset);
    a->set_length(text.size());
    a->set_message(why);
    const std::string_view kept = text.substr(0, kMaxAnomalyWire);
    a->set_wire(kept.data(), kept.size());
    px.record(id, direction_of(side));
  }

  // Forwards one object after `delay_ms`, unless the relay has ended by then.
  void forward_later(int side, std::string text, uint32_t delay_ms) {
    auto self = shared_from_this();
    asio::co_spawn(client.get_executor(), [self, side, text = std::move(text), delay_ms]() -> asio::awaitable<void> {
      asio::steady_timer t(co_await asio::this_coro::executor, std::chrono::milliseconds(delay_ms));
      error_code ec;
      co_await t.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      if (self->ended.empty())
        if (auto* w = self->toward(side)) w->enqueue(text);
    }, asio::detached);
  }

  // Notes what a CONNECT or CONNACK tells about the connection.
  void learn(int side, const proto::Frame& f) {
    if (side == 0) {
      if (const auto* c = std::get_if<proto::Connect>(&f)) {
        info.set_uid(std::string(c->uid));
        info.set_device_id(std::string(c->device_id));
        info.set_device_flag(c->device_flag);
        if (c->version) info.set_protocol_version(c->version);
        record_connection();
      }
    } else if (const auto* a = std::get_if<proto::Connack>(&f)) {
      if (a->has_server_version) {
        info.set_protocol_version(a->server_version);
        record_connection();
      }
    }
  }

  // One whole JSON-RPC object (or bytes that are not one) from `side`.
  void relay_object(int side, std::string_view text, uint64_t offset) {
    const pb::Direction dir = direction_of(side);
    auto* fr = px.rec.mutable_frame();
    fr->set_wire(text.data(), text.size());
    fr->set_stream_offset(offset);
    fr->set_protocol_version(0);
    fr->set_dialect(pb::DIALECT_JSONRPC);
    fr->clear_plaintext();
    fr->clear_fault();
    fr->set_payload_state(pb::PAYLOAD_NONE);
    px.rec.set_connection_id(id);
    px.rec.set_direction(dir);
    const capture::DecodedRecord& d = decoder.decode(px.rec, info, 0);
    net::FrameWriter* w = toward(side);
    if (!d.ok()) {
      // Relayed all the same: the peer's answer to it is part of the session.
      std::string why = d.no_frame ? "" : d.result.error.describe();
      if (w) w->enqueue(text);
      if (d.no_frame) {
        px.event(id, dir, nullptr, 0, "forward",
                 "JSON-RPC error " + std::to_string(d.error_code) + ": " + std::string(d.error_message), true,
                 d.rpc_id);
        px.record(id, dir);  // a valid message: kept as a frame record (readers skip it)
        ++(side == 0 ? px.stats.frames_c2s : px.stats.frames_s2c);
      } else {
        px.event(id, dir, nullptr, 0, "forward", "not a valid JSON-RPC message: " + why, true, d.rpc_id);
        record_anomaly(side, offset, text, why);
      }
      return;
    }
    const proto::Frame& f = d.result.frame;
    const auto type = proto::type_of(f);
    ++(side == 0 ? px.stats.frames_c2s : px.stats.frames_s2c);
    if (type == proto::FrameType::send || type == proto::FrameType::recv) fr->set_payload_state(pb::PAYLOAD_CLEAR);
    const fault::Decision dec = faults.decide(type, side == 0 ? fault::Direction::in : fault::Direction::out);
    std::string_view action = "forward", spec;
    if (!w) {  // the upstream could not be reached (refuse_connect)
      action = "not_forwarded";
      spec = "no upstream connection";
    }
    if (dec.action != fault::Action::pass) {
      ++px.stats.faults;
      auto* ft = fr->mutable_fault();
      ft->set_action(std::string(fault::action_name(dec.action)));
      if (dec.rule) ft->set_spec(dec.rule->text);
      ft->set_delay_ms(dec.delay_ms);
      action = fault::action_name(dec.action);
      if (dec.rule) spec = dec.rule->text;
    }
    // The frame and the event may name the frame's views: both are written
    // before anything else is decoded.
    px.event(id, dir, &f, int(info.protocol_version()), action, spec, true, d.rpc_id);
    px.record(id, dir);
    learn(side, f);  // records a Connection: the frame's views (into px.rec) end here
    switch (dec.action) {
      case fault::Action::pass:
        if (w) w->enqueue(text);
        break;
      case fault::Action::drop:
        break;
      case fault::Action::dup:
        if (w) {
          w->enqueue(text);
          w->enqueue(text);
        }
        break;
      case fault::Action::delay:
        forward_later(side, std::string(text), dec.delay_ms);
        break;
      case fault::Action::reset:
        end("reset fault");
        break;
    }
  }

  // Splits `bytes` from `side` into objects and relays each.
  void feed(int side, std::string_view bytes) {
    std::string& buf = pending[side];
    buf.append(bytes);
    size_t pos = 0;
    while (ended.empty()) {
      const size_t start = buf.find_first_not_of(jsonrpc::kBlank, pos);
      if (start == std::string::npos) {
        pos = buf.size();
        break;
      }
      const std::string_view rest(buf.data() + start, buf.size() - start);
      size_t len = jsonrpc::value_length(rest);
      if (len == 0) {
        // Not an object: up to the next '{' goes on as it is (the peer answers it).
        len = rest.find('{', 1);
        if (len == std::string_view::npos) len = rest.size();
      } else if (len == std::string_view::npos) {
        if (rest.size() > jsonrpc::kMaxMessageBytes) {
          record_anomaly(side, pending_offset[side] + start, rest,
                         "a JSON-RPC message over " + std::to_string(jsonrpc::kMaxMessageBytes) + " bytes");
          end(std::string(side == 0 ? "client" : "upstream") + " sent a JSON-RPC message over " +
              std::to_string(jsonrpc::kMaxMessageBytes) + " bytes");
          return;
        }
        pos = start;
        break;
      }
      relay_object(side, rest.substr(0, len), pending_offset[side] + start);
      pos = start + len;
    }
    buf.erase(0, pos);
    pending_offset[side] += pos;
  }

  // The upstream could not be reached: the client's connect is answered as
  // the WKProto proxy answers it, with reason 15 (system error).
  void refuse_connect(const std::string& why) {
    px.event(id, pb::DIRECTION_UNSPECIFIED, nullptr, 0, "upstream_failed", why, true);
    jsonrpc::Message m;
    std::string scratch;
    const std::string& buf = pending[0];
    const size_t start = buf.find_first_not_of(jsonrpc::kBlank);
    if (start == std::string::npos) return;
    const size_t len = jsonrpc::value_length(std::string_view(buf).substr(start));
    if (len == 0 || len == std::string_view::npos) return;
    jsonrpc::DecodeOptions opts;
    opts.lenient = true;
    if (jsonrpc::decode(std::string_view(buf).substr(start, len), m, scratch, opts) ||
        m.method != jsonrpc::Method::connect || m.id.empty())
      return;
    relay_object(0, std::string_view(buf).substr(start, len), start);  // recorded; no upstream to forward to
    proto::Connack refusal;
    refusal.reason_code = kRelaySystemError;
    std::string answer;
    if (jsonrpc::encode(refusal, m.id, answer)) return;
    relay_object(1, answer, 0);  // recorded and sent to the client
  }

  asio::awaitable<void> upstream_loop() {
    auto self = shared_from_this();
    std::string buf(64 * 1024, '\0');
    error_code ec;
    while (ended.empty()) {
      const size_t n = co_await up->read_some(std::span<char>(buf.data(), buf.size()), ec);
      if (ec || !ended.empty()) break;
      feed(1, std::string_view(buf.data(), n));
      co_await cw.wait_writable();  // back-pressure toward the upstream
    }
    if (ended.empty()) {
      co_await cw.drain();  // what upstream said last reaches the client
      end("upstream closed");
    }
  }

  asio::awaitable<std::string> run(std::string first_bytes) {
    auto self = shared_from_this();
    auto ex = co_await asio::this_coro::executor;
    info.set_dialect(pb::DIALECT_JSONRPC);
    record_connection();
    error_code ec;
    std::string failure;
    up = co_await net::connect(px.opts.upstream, std::chrono::steady_clock::now() + px.opts.upstream_timeout,
                               px.opts.upstream_tls.get(), ec, failure);
    if (!up) {
      pending[0] = std::move(first_bytes);
      refuse_connect(px.opts.upstream.to_string() + ": " + (failure.empty() ? ec.message() : failure));
      co_await cw.drain();
      co_return "upstream unreachable";
    }
    up->use_text_messages();
    uw.emplace(*up);
    asio::co_spawn(ex, [self]() -> asio::awaitable<void> { co_await self->uw->run(); }, asio::detached);
    asio::co_spawn(ex, upstream_loop(), asio::detached);
    feed(0, first_bytes);
    std::string buf(64 * 1024, '\0');
    while (ended.empty()) {
      const size_t n = co_await client.read_some(std::span<char>(buf.data(), buf.size()), ec);
      if (ec || !ended.empty()) break;
      feed(0, std::string_view(buf.data(), n));
      co_await uw->wait_writable();  // back-pressure toward the client
    }
    if (ended.empty()) {
      // The client went away: what it sent last still reaches upstream.
      co_await uw->drain();
      end("client closed");
    }
    uw->stop();  // the upstream reader ends on its own (it holds the relay)
    co_return ended;
  }
};

}  // namespace

asio::awaitable<std::string> relay_jsonrpc(Proxy::Impl& px, uint64_t id, net::Connection& client,
                                           net::FrameWriter& client_writer, pb::Connection& info,
                                           std::string first_bytes, std::shared_ptr<void> owner) {
  auto relay = std::make_shared<JsonrpcRelay>(px, id, client, client_writer, info, std::move(owner));
  co_return co_await relay->run(std::move(first_bytes));
}

}  // namespace wkit::app::proxy_detail
