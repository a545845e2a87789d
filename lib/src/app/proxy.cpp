#include "wkit/app/proxy.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cstdio>
#include <deque>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>

#include "wkit/app/client_connection.hpp"
#include "wkit/app/server_trouble.hpp"
#include "wkit/capture/writer.hpp"
#include "wkit/crypto/crypto.hpp"
#include "wkit/net/frame_writer.hpp"
#include "wkit/proto/codec.hpp"
#include "wkit/proto/json.hpp"
#include "wkit/proto/jsonrpc.hpp"
#include "wkit/session/server_session.hpp"
#include "wkit/util/json_text.hpp"
#include "proxy_impl.hpp"
#include "proxy_jsonrpc.hpp"

namespace wkit::app {

namespace pb = capture::pb;
using net::error_code;

namespace {

using proxy_detail::wall_ns;

session::Now now() {
  using namespace std::chrono;
  return {duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count(),
          duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count()};
}

// The reason code in "…: CONNACK reason auth_fail (2)"; 15 (system error) otherwise.
uint8_t upstream_reason(const Error& e) {
  static const std::regex re(R"(CONNACK reason .*\((\d+)\)$)");
  std::smatch m;
  if (std::regex_search(e.message, m, re)) return static_cast<uint8_t>(std::stoi(m[1]));
  return 15;
}

}  // namespace

// One client connection and its upstream.
struct Proxy::Impl::Conn : session::ServerHooks, session::FrameSink, std::enable_shared_from_this<Conn> {
  Impl& px;
  uint64_t id;
  std::unique_ptr<net::Connection> client;
  net::FrameWriter cw;
  session::ServerSessionConfig cfg;
  std::optional<session::ServerSession> server;
  std::unique_ptr<ClientConnection> up;
  uint8_t auth_reason = 1;
  bool ended = false;
  int version = proto::kMaxProtoVersion;
  std::string out_frame;          // FrameSink buffer: one frame
  std::string cbuf;               // client bytes not yet a whole frame
  uint64_t cbuf_offset = 0, s2c_offset = 0;
  std::optional<crypto::Cipher> client_cipher;
  std::string plain, wire;        // reused
  struct FaultNote {
    proto::FrameType type;
    fault::Decision d;
  };
  std::vector<FaultNote> in_faults;
  std::optional<std::string> rejected;  // a SEND the proxy's session refused (bad msg_key, ...)
  std::optional<FaultNote> out_fault;
  std::vector<std::string> sink_frames;  // frames the server session made itself, recorded after the c2s frame
  pb::Connection info;
  asio::steady_timer ticker;

  Conn(Impl& p, uint64_t id_, std::unique_ptr<net::Connection> c)
      : px(p), id(id_), client(std::move(c)), cw(*client), ticker(client->get_executor()) {}

  // --- FrameSink: frames toward the client ---------------------------------
  std::string& buffer() override { return out_frame; }
  void commit() override {
    if (out_frame.empty()) return;
    auto t = static_cast<proto::FrameType>(static_cast<uint8_t>(out_frame[0]) >> 4);
    // SENDACK and RECV are recorded as they came from upstream; the frames
    // the proxy's server session makes itself are recorded as sent.
    if ((t != proto::FrameType::sendack && t != proto::FrameType::recv) || (t == proto::FrameType::sendack && rejected))
      sink_frames.push_back(out_frame);
    cw.enqueue(out_frame);
    out_frame.clear();
  }

  // --- ServerHooks ---------------------------------------------------------
  uint8_t authenticate(const session::ConnectInfo&) override { return auth_reason; }
  void on_open(session::ServerSession& s) override {
    if (auto* k = s.keys()) {
      client_cipher.emplace(*k);
      info.mutable_client_session()->set_aes_key(std::string(k->key.begin(), k->key.end()));
      info.mutable_client_session()->set_aes_iv(std::string(k->iv.begin(), k->iv.end()));
    }
    if (up && up->session().cipher()) {
      const auto& k = up->session().cipher()->keys();
      info.mutable_server_session()->set_aes_key(std::string(k.key.begin(), k.key.end()));
      info.mutable_server_session()->set_aes_iv(std::string(k.iv.begin(), k.iv.end()));
    }
    info.set_protocol_version(s.version());
    *px.rec.mutable_connection() = info;
    px.record(id, pb::DIRECTION_UNSPECIFIED);
  }
  void on_send(session::ServerSession&, const session::SendRequest& r) override {
    if (!up) return;
    const proto::Send& f = *r.frame;
    session::SendSpec spec;
    spec.channel_id = f.channel_id;
    spec.channel_type = f.channel_type;
    spec.client_msg_no = f.client_msg_no;
    spec.payload = r.plaintext;
    spec.client_seq = f.client_seq;
    spec.dup = f.header.dup;
    spec.setting = f.setting.bits & ~proto::Setting::kNoEncrypt;
    spec.expire = f.expire;
    spec.red_dot = f.header.red_dot;
    auto sent = up->send(spec);
    if (!sent) px.event(id, pb::CLIENT_TO_SERVER, nullptr, version, "error", sent.error().message);
  }
  void on_recvack(session::ServerSession&, int64_t message_id, uint64_t message_seq) override {
    if (up) up->recvack(message_id, message_seq);
  }
  void on_fault(session::ServerSession&, const fault::Decision& d, proto::FrameType t, fault::Direction dir) override {
    ++px.stats.faults;
    if (dir == fault::Direction::in) in_faults.push_back({t, d});
    else out_fault = FaultNote{t, d};
  }
  void on_reject(session::ServerSession&, const proto::Send&, uint8_t reason, std::string_view why) override {
    rejected = "answered by the proxy: reason " + std::string(proto::reason_code_name(reason)) + " (" +
               std::to_string(reason) + "): " + std::string(why);
  }
  void on_close(session::ServerSession&, std::string_view why) override {
    if (!ended) px.event(id, pb::DIRECTION_UNSPECIFIED, nullptr, version, "close", why);
    // Frames already queued (a refusing CONNACK, a DISCONNECT) go out first.
    auto self = shared_from_this();
    asio::co_spawn(client->get_executor(), [self]() -> asio::awaitable<void> {
      co_await self->cw.drain();
      self->client->close();
    }, asio::detached);
  }

  static void set_fault(pb::Frame* fr, const fault::Decision& d) {
    auto* f = fr->mutable_fault();
    f->set_action(std::string(fault::action_name(d.action)));
    if (d.rule) f->set_spec(d.rule->text);
    f->set_delay_ms(d.delay_ms);
  }

  // Records one client frame (exact bytes), after the server session handled it.
  void record_c2s(std::string_view bytes, uint64_t offset) {
    auto r = proto::decode_frame(bytes, version);
    if (r.status != proto::DecodeStatus::ok) return;
    auto type = proto::type_of(r.frame);
    ++px.stats.frames_c2s;
    auto* fr = px.rec.mutable_frame();
    fr->set_wire(bytes.data(), bytes.size());
    fr->set_stream_offset(offset);
    fr->set_protocol_version(version);
    fr->clear_plaintext();
    fr->clear_fault();
    fr->set_payload_state(pb::PAYLOAD_NONE);
    if (const auto* s = std::get_if<proto::Send>(&r.frame)) {
      if (s->setting.no_encrypt()) {
        fr->set_payload_state(pb::PAYLOAD_CLEAR);
      } else if (client_cipher) {
        plain.clear();
        if (!client_cipher->open(s->payload.data, plain)) {
          fr->set_payload_state(pb::PAYLOAD_PLAINTEXT);
          fr->set_plaintext(plain);
        } else {
          fr->set_payload_state(pb::PAYLOAD_ENCRYPTED);
        }
      } else {
        fr->set_payload_state(pb::PAYLOAD_ENCRYPTED);
      }
    }
    std::string_view action = "forward", spec;
    std::string detail;
    switch (type) {
      case proto::FrameType::connect: case proto::FrameType::send: case proto::FrameType::recvack:
      case proto::FrameType::sub: case proto::FrameType::disconnect:
        break;
      case proto::FrameType::ping:
        action = "answered";
        spec = "the proxy answers PINGs on each leg";
        break;
      case proto::FrameType::pong:
        action = "not_forwarded";
        spec = "the proxy sends no PINGs to clients; the upstream leg keeps its own keepalive";
        break;
      default:
        action = "not_forwarded";
        detail = "a server does not accept " + std::string(proto::frame_type_name(type)) + " from a client";
        spec = detail;
        break;
    }
    if (rejected) {
      action = "not_forwarded";
      detail = std::move(*rejected);
      rejected.reset();
      spec = detail;
    }
    for (auto it = in_faults.begin(); it != in_faults.end(); ++it)
      if (it->type == type) {
        set_fault(fr, it->d);
        action = fault::action_name(it->d.action);
        spec = it->d.rule ? std::string_view(it->d.rule->text) : "";
        px.event(id, pb::CLIENT_TO_SERVER, &r.frame, version, action, spec);
        in_faults.erase(it);
        goto recorded_event;
      }
    px.event(id, pb::CLIENT_TO_SERVER, &r.frame, version, action, spec);
  recorded_event:
    px.record(id, pb::CLIENT_TO_SERVER);
    flush_sink_frames();
  }

  void flush_sink_frames() {
    for (auto& b : sink_frames) {
      auto r = proto::decode_frame(b, version);
      ++px.stats.frames_s2c;
      auto* fr = px.rec.mutable_frame();
      fr->set_wire(b);
      fr->set_stream_offset(s2c_offset);
      fr->set_protocol_version(version);
      fr->clear_plaintext();
      fr->clear_fault();
      fr->set_payload_state(pb::PAYLOAD_NONE);
      s2c_offset += b.size();
      if (r.status == proto::DecodeStatus::ok) {
        if (proto::type_of(r.frame) == proto::FrameType::connack) version = server ? server->version() : version;
        px.event(id, pb::SERVER_TO_CLIENT, &r.frame, version, "forward", "");
      }
      px.record(id, pb::SERVER_TO_CLIENT);
    }
    sink_frames.clear();
  }

  // Feeds client bytes to the server session one whole frame at a time, so
  // each frame is recorded right after its effects (and before the frames
  // the session answered with).
  void feed_client(std::string_view bytes) {
    cbuf.append(bytes);
    size_t pos = 0;
    while (pos < cbuf.size() && server && !server->closed()) {
      auto r = proto::decode_frame(std::string_view(cbuf).substr(pos), version);
      if (r.status == proto::DecodeStatus::incomplete) break;
      size_t n = r.status == proto::DecodeStatus::ok ? r.consumed : cbuf.size() - pos;
      std::string_view frame(cbuf.data() + pos, n);
      const bool open = server->state() == session::ServerSession::State::open && up;
      const auto type = r.status == proto::DecodeStatus::ok ? proto::type_of(r.frame) : proto::FrameType{};
      if (open && type == proto::FrameType::sub) {
        // SUB carries no encrypted field (docs/protocol.md section 2): the upstream answers it,
        // so it goes out as the client wrote it, in order with the SENDs
        // (both share the upstream's write queue).
        up->writer().enqueue(frame);
        record_c2s(frame, cbuf_offset + pos);
        pos += n;
        continue;
      }
      // The client's own DISCONNECT (its reason) ends the upstream session too.
      if (open && type == proto::FrameType::disconnect) up->writer().enqueue(frame);
      server->feed(frame, now());
      version = server->version();
      if (r.status == proto::DecodeStatus::ok) {
        record_c2s(frame, cbuf_offset + pos);
      } else {
        px.event(id, pb::CLIENT_TO_SERVER, nullptr, version, "not_forwarded",
                 "malformed frame at client stream byte " +
                     std::to_string(cbuf_offset + pos + r.error.offset.value_or(0)) + ": " + r.error.message);
        auto* a = px.rec.mutable_anomaly();
        a->set_kind(pb::Anomaly::DECODE_ERROR);
        a->set_stream_offset(cbuf_offset + pos + r.error.offset.value_or(0));
        a->set_length(n);
        a->set_message(r.error.message);
        px.record(id, pb::CLIENT_TO_SERVER);
      }
      pos += n;
    }
    flush_sink_frames();
    cbuf.erase(0, pos);
    cbuf_offset += pos;
  }

  void on_upstream(const session::ClientEvent& ev) {
    if (!server || server->closed()) return;
    out_fault.reset();
    const proto::Frame* rec_frame = nullptr;
    proto::Frame holder;
    std::string_view plaintext;
    bool has_plain = false, encrypted = false;
    std::string not_forwarded;  // why the frame stops at the proxy ("" = relayed)
    if (auto* a = std::get_if<session::SendackEvent>(&ev)) {
      holder = a->frame;
      rec_frame = &holder;
      server->sendack(a->frame.message_id, a->frame.client_seq, a->frame.message_seq, a->frame.reason_code,
                      a->frame.client_msg_no, now());
    } else if (auto* r = std::get_if<session::RecvEvent>(&ev)) {
      holder = r->frame;
      rec_frame = &holder;
      encrypted = !r->frame.setting.no_encrypt();
      if (r->check == session::RecvCheck::ok || r->check == session::RecvCheck::not_encrypted) {
        plaintext = r->plaintext;
        has_plain = r->check == session::RecvCheck::ok;
        session::Delivery d;
        const auto& f = r->frame;
        d.message_id = f.message_id;
        d.message_seq = f.message_seq;
        d.from_uid = f.from_uid;
        d.channel_id = f.channel_id;
        d.client_msg_no = f.client_msg_no;
        d.topic = f.topic;
        d.payload = r->plaintext;
        d.channel_type = f.channel_type;
        d.setting = f.setting.bits & ~proto::Setting::kNoEncrypt;
        d.expire = f.expire;
        d.timestamp = f.timestamp;
        d.header = f.header;
        server->deliver(d, now());
      } else {
        not_forwarded = "RECV " + std::string(session::recv_check_name(r->check)) + " on the upstream session";
      }
    } else if (auto* d = std::get_if<session::DisconnectEvent>(&ev)) {
      proto::Disconnect f;
      f.reason_code = d->reason_code;
      f.reason = d->reason;
      holder = f;
      rec_frame = &holder;
      server->kick(d->reason_code, d->reason, now());
    } else if (auto* o = std::get_if<session::OtherFrameEvent>(&ev)) {
      holder = o->frame;
      rec_frame = &holder;
      auto t = proto::type_of(o->frame);
      if (t == proto::FrameType::suback || t == proto::FrameType::event) {
        // Neither carries an encrypted field (docs/protocol.md section 2): relayed as upstream
        // sent them, in order with the SENDACKs and RECVs already queued.
        wire.clear();
        if (auto err = proto::encode_frame(o->frame, version, wire)) not_forwarded = "cannot re-encode: " + err->message;
        else cw.enqueue(wire);
      } else {
        not_forwarded = "a client must not receive " + std::string(proto::frame_type_name(t)) + " from a server";
      }
    }
    if (rec_frame) {
      // The upstream frame, re-encoded from its decoded fields (for
      // well-formed frames these are the bytes upstream sent).
      wire.clear();
      if (!proto::encode_frame(*rec_frame, version, wire)) {
        ++px.stats.frames_s2c;
        auto* fr = px.rec.mutable_frame();
        fr->set_wire(wire);
        fr->set_stream_offset(0);
        fr->set_protocol_version(version);
        fr->clear_fault();
        fr->clear_plaintext();
        auto t = proto::type_of(*rec_frame);
        fr->set_payload_state(t != proto::FrameType::recv ? pb::PAYLOAD_NONE
                              : has_plain                 ? pb::PAYLOAD_PLAINTEXT
                              : encrypted                 ? pb::PAYLOAD_ENCRYPTED
                                                          : pb::PAYLOAD_CLEAR);
        if (has_plain) fr->set_plaintext(plaintext.data(), plaintext.size());
        std::string_view action = "forward", spec;
        if (!not_forwarded.empty()) {
          action = "not_forwarded";
          spec = not_forwarded;
        } else if (out_fault && out_fault->type == t) {
          set_fault(fr, out_fault->d);
          action = fault::action_name(out_fault->d.action);
          if (out_fault->d.rule) spec = out_fault->d.rule->text;
        }
        px.event(id, pb::SERVER_TO_CLIENT, rec_frame, version, action, spec);
        px.record(id, pb::SERVER_TO_CLIENT);
      } else {
        px.event(id, pb::SERVER_TO_CLIENT, rec_frame, version, "not_forwarded",
                 "upstream frame cannot be encoded at version " + std::to_string(version));
      }
    }
    out_fault.reset();
    flush_sink_frames();
  }

  void closed(std::string reason) {
    if (ended) return;
    ended = true;
    px.rec.mutable_closed()->set_reason(reason);
    px.record(id, pb::DIRECTION_UNSPECIFIED);
    px.event(id, pb::DIRECTION_UNSPECIFIED, nullptr, version, "closed", reason);
    if (server && !server->closed()) server->transport_closed(reason);
    client->close();
  }

  asio::awaitable<void> tick_loop() {
    auto self = shared_from_this();
    while (!ended) {
      ticker.expires_after(std::chrono::milliseconds(10));
      error_code ec;
      co_await ticker.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      if (ended) break;
      if (server && !server->closed()) {
        server->tick(now());
        flush_sink_frames();
      }
    }
  }

  asio::awaitable<void> run() {
    auto self = shared_from_this();
    auto ex = co_await asio::this_coro::executor;
    asio::co_spawn(ex, cw.run(), asio::detached);
    info.set_client_address(client->remote_address());
    info.set_server_address(px.opts.upstream.to_string());
    info.set_transport(std::string(net::scheme_name(client->scheme())));
    *px.rec.mutable_connection() = info;
    px.record(id, pb::DIRECTION_UNSPECIFIED);

    std::string buf(64 * 1024, '\0');
    error_code ec;
    // 1. The client's CONNECT decides the upstream identity and version.
    std::string pre;
    std::optional<proto::DecodeResult> hello;
    bool jsonrpc = false;
    while (!hello) {
      size_t n = co_await client->read_some(std::span<char>(buf.data(), buf.size()), ec);
      if (ec) break;
      pre.append(buf.data(), n);
      // JSON-RPC starts with '{' (or '[') after optional blanks; a WKProto
      // CONNECT never starts with a blank (docs/protocol.md section 10).
      const size_t first = pre.find_first_not_of(proto::jsonrpc::kBlank);
      if (first == std::string::npos) continue;
      if (pre[first] == '{' || pre[first] == '[') {
        jsonrpc = true;
        break;
      }
      auto r = proto::decode_frame(pre, proto::kMaxProtoVersion);
      if (r.status == proto::DecodeStatus::incomplete) continue;
      hello = r;
    }
    if (jsonrpc) {
      client->use_text_messages();
      std::string why = co_await proxy_detail::relay_jsonrpc(px, id, *client, cw, info, std::move(pre), self);
      co_await cw.drain();
      cw.stop();
      closed(std::move(why));
      ticker.cancel();
      co_return;
    }
    if (!hello || hello->status != proto::DecodeStatus::ok ||
        proto::type_of(hello->frame) != proto::FrameType::connect) {
      closed(hello ? "first frame is not a CONNECT" : "client closed before CONNECT");
      cw.stop();
      co_return;
    }
    const auto& c = std::get<proto::Connect>(hello->frame);
    session::ClientConfig ucfg;
    ucfg.uid = c.uid;
    ucfg.token = c.token;
    ucfg.device_id = c.device_id;
    ucfg.device_flag = c.device_flag;
    ucfg.proto_version = c.version == 0 ? proto::kMaxProtoVersion : c.version;
    info.set_uid(std::string(c.uid));
    info.set_device_id(std::string(c.device_id));
    info.set_device_flag(c.device_flag);
    auto opened = co_await ClientConnection::open(px.opts.upstream, ucfg, px.opts.upstream_timeout, px.opts.upstream_tls.get());
    if (opened) {
      up = std::move(opened.value());
      cfg.max_version = up->connack().version;
    } else {
      auth_reason = upstream_reason(opened.error());
      px.event(id, pb::DIRECTION_UNSPECIFIED, nullptr, version, "upstream_failed", opened.error().message);
    }
    cfg.redeliver_max = 0;  // upstream redelivers; the proxy only relays
    cfg.idle_timeout_ms = 0;
    cfg.faults = px.opts.faults;
    cfg.fault_seed = px.opts.seed;
    server.emplace(id, cfg, *this, *this, now());
    if (up) {
      std::weak_ptr<Conn> weak = self;
      up->start([weak](const session::ClientEvent& ev) {
                  if (auto s = weak.lock()) s->on_upstream(ev);
                },
                [weak](const std::string& why) {
                  if (auto s = weak.lock()) s->closed("upstream closed: " + why);
                });
      asio::co_spawn(ex, tick_loop(), asio::detached);
    }
    // The client gets its CONNACK here, before the upstream connection's
    // reader first runs (start() only spawns it) and hands out the frames
    // that came with the upstream's CONNACK (an EVENT, offline RECVs).
    feed_client(pre);
    // 2. Relay until either side ends.
    while (!ended && server && !server->closed()) {
      size_t n = co_await client->read_some(std::span<char>(buf.data(), buf.size()), ec);
      if (ec) break;
      feed_client(std::string_view(buf.data(), n));
      if (up) co_await up->wait_writable();  // back-pressure toward the client
    }
    co_await cw.drain();
    cw.stop();
    closed(server && server->closed() ? server->close_reason() : ec ? "client closed" : "closed");
    if (up) co_await up->close(false);
    ticker.cancel();
  }
};

asio::awaitable<void> Proxy::Impl::accept_loop(net::Listener& l) {
  while (!stopping) {
    error_code ec;
    auto a = co_await l.accept_raw(ec);
    if (ec || !a) {
      if (stopping || ec == asio::error::operation_aborted) break;
      // EMFILE at the fd limit: retry later instead of spinning.
      trouble.report("accept_failed", "accept failed: " + ec.message() + "; retrying every 100 ms", now().mono_ms);
      asio::steady_timer t(io, std::chrono::milliseconds(100));
      co_await t.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      continue;
    }
    // The WebSocket upgrade waits on the peer: in the connection's own
    // coroutine, so that a silent peer stalls nobody else.
    asio::co_spawn(io, establish_then_run(std::move(a)), asio::detached);
  }
}

asio::awaitable<void> Proxy::Impl::establish_then_run(std::unique_ptr<net::Accepted> a) {
  error_code ec;
  auto c = co_await a->establish(std::chrono::seconds(10), ec);
  if (stopping) co_return;
  if (!c) {
    trouble.report("upgrade_failed", "WebSocket upgrade from " + a->remote_address() + " failed: " + ec.message(),
                   now().mono_ms);
    co_return;
  }
  auto conn = std::make_shared<Conn>(*this, ++next_id, std::move(c));
  ++stats.connections;
  conns.push_back(conn);
  asio::co_spawn(io, conn->run(), [conn](std::exception_ptr e) {
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& x) {
      std::cerr << "wkit proxy: connection " << conn->id << ": internal error: " << x.what() << "\n";
    }
    conn->closed("internal error");
  });
}

Proxy::Proxy(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Proxy::~Proxy() {
  if (impl_ && impl_->own_events && impl_->events) std::fclose(impl_->events);
}

Result<std::unique_ptr<Proxy>> Proxy::create(ProxyOptions opts) {
  auto impl = std::make_unique<Impl>();
  impl->opts = std::move(opts);
  for (const auto& u : impl->opts.listen) {
    auto l = net::listen(impl->io.get_executor(), u, impl->opts.listen_tls);
    if (!l) return l.error();
    impl->listeners.push_back(std::move(l.value()));
  }
  if (!impl->opts.capture_path.empty()) {
    pb::Header h;
    h.set_creator(impl->opts.creator);
    h.set_start_time_ns(wall_ns());
    h.set_protocol_version(proto::kMaxProtoVersion);
    std::string src = "proxy";
    for (auto& l : impl->listeners) src += " " + l->local_url().to_string();
    h.set_source(src + " -> " + impl->opts.upstream.to_string());
    // Recorded under a temporary name, renamed to capture_path when run() ends.
    capture::WriterOptions wo;
    wo.atomic = true;
    wo.output.force = impl->opts.capture_force;
    wo.output.keep_if_not_renamed = true;
    wo.fsync_on_commit = true;
    auto w = capture::CaptureWriter::create(impl->opts.capture_path, h, wo);
    if (!w) return w.error();
    impl->capture = std::move(w.value());
  }
  if (impl->opts.events_path == "-") {
    impl->events = stdout;
  } else if (!impl->opts.events_path.empty()) {
    impl->events = std::fopen(impl->opts.events_path.c_str(), "w");
    if (!impl->events) return Error::input("cannot create " + impl->opts.events_path);
    impl->own_events = true;
  }
  return std::unique_ptr<Proxy>(new Proxy(std::move(impl)));
}

std::vector<net::Url> Proxy::local_urls() const {
  std::vector<net::Url> out;
  for (auto& l : impl_->listeners) out.push_back(l->local_url());
  return out;
}

ProxyStats Proxy::stats() const { return impl_->stats; }

std::string Proxy::capture_data_path() const { return impl_->capture ? impl_->capture->data_path() : ""; }

void Proxy::stop() {
  asio::post(impl_->io, [this] {
    impl_->stopping = true;
    for (auto& l : impl_->listeners) l->close();
    for (auto& w : impl_->conns)
      if (auto c = w.lock()) c->client->close();
    impl_->io.stop();
  });
}

int Proxy::run() {
  auto& io = impl_->io;
  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([this](error_code ec, int) {
    if (!ec) stop();
  });
  for (auto& l : impl_->listeners) asio::co_spawn(io, impl_->accept_loop(*l), asio::detached);
  io.run();
  // Connections still open at the end are recorded as such.
  for (auto& w : impl_->conns)
    if (auto c = w.lock()) c->closed("proxy stopped");
  if (impl_->capture)
    if (auto err = impl_->capture->commit(); err && !impl_->write_error) impl_->write_error = err;
  if (impl_->write_error) {
    std::cerr << "wkit proxy: capture: " << impl_->write_error->describe() << "\n";
    return 5;
  }
  return 0;
}

}  // namespace wkit::app
