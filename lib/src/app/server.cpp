#include "wkit/app/server.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <climits>
#include <unordered_map>

#include "wkit/app/http_api.hpp"
#include "wkit/app/server_hub.hpp"
#include "wkit/net/frame_writer.hpp"

namespace wkit::app {

namespace asio = boost::asio;
using asio::awaitable;
using asio::redirect_error;
using asio::use_awaitable;
using boost::system::error_code;
using session::Now;
using session::ServerSession;

namespace {

Now now() {
  using namespace std::chrono;
  return Now{duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count(),
             duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count()};
}

asio::steady_timer::time_point at_mono(int64_t ms) {
  if (ms == INT64_MAX) return asio::steady_timer::time_point::max();
  return asio::steady_timer::time_point(std::chrono::milliseconds(ms));
}

// How long a closing connection may take to flush before it is cut.
constexpr auto kCloseGrace = std::chrono::seconds(2);

}  // namespace


// One accepted connection: transport, writer, session, timer.
class Conn final : public Peer, public session::FrameSink, public std::enable_shared_from_this<Conn> {
 public:
  // `accepted`: when the TCP connection was accepted (the handshake deadline counts from there).
  Conn(Server::Impl& srv, std::unique_ptr<net::Connection> c, uint64_t id, Now accepted);
  session::ServerSession& session() override { return sess_; }
  void poke() override;
  const std::string& remote() const override { return remote_; }
  std::string& buffer() override {
    mark_ = writer_.pending_bytes();
    return writer_.buffer();
  }
  void commit() override {
    if (writer_.pending_bytes() > mark_) ++frames_committed_;  // the writer ignores empty commits too
    writer_.commit();
  }
  uint64_t frames_committed() const override { return frames_committed_; }
  uint64_t frames_written() const override { return writer_.frames_written(); }
  void use_text_messages() override { conn_->use_text_messages(); }

  awaitable<void> run();
  void begin_close();
  std::string_view transport() const { return net::scheme_name(conn_->scheme()); }
  uint64_t queued_bytes() const { return writer_.pending_bytes(); }

 private:
  awaitable<void> timer_loop();
  awaitable<void> close_after_drain();
  // Slow consumers: over --max-outbound queued, or no write progress for --write-timeout.
  void check_outbound();
  void arm_write_watch();
  void on_write_watch();
  void cut_slow(std::string why);

  Server::Impl& srv_;
  std::unique_ptr<net::Connection> conn_;
  std::string remote_;
  net::FrameWriter writer_;
  ServerSession sess_;
  asio::steady_timer timer_, close_timer_;
  int64_t armed_ = INT64_MAX;
  bool closing_ = false;
  std::vector<char> rbuf_;
  size_t mark_ = 0;
  uint64_t frames_committed_ = 0;
  asio::steady_timer watch_;
  bool watching_ = false, cut_posted_ = false;
  uint64_t watch_writes_ = 0;
  int64_t progress_at_ = 0;  // mono ms of the last write progress seen by the watch
};

struct Server::Impl {
  ServerOptions opts;
  session::ServerSessionConfig sess_cfg;
  std::unique_ptr<EventLog> events;
  std::unique_ptr<store::MessageStore> store;
  std::unique_ptr<ServerHub> hub;
  uint64_t stored_at_start = 0;
  asio::io_context io{1};
  std::vector<std::unique_ptr<net::Listener>> listeners;
  std::unordered_map<uint64_t, std::shared_ptr<Conn>> conns;
  uint64_t next_conn = 1;
  std::unique_ptr<HttpApi> api;
  std::unordered_map<uint64_t, net::Accepted*> http_conns;  // open HTTP API connections, closed at shutdown
  uint64_t http_requests = 0;
  bool stopping = false;
  asio::signal_set signals{io, SIGINT, SIGTERM};

  // Accepts only: anything that waits on a peer (the WebSocket upgrade, the
  // CONNECT) runs in that connection's own coroutine.
  awaitable<void> accept_loop(net::Listener& l) {
    const std::string url = l.local_url().to_string();
    for (;;) {
      error_code ec;
      auto a = co_await l.accept_raw(ec);
      if (stopping) co_return;
      if (ec || !a) {
        if (ec == asio::error::operation_aborted) co_return;
        // EMFILE/ENFILE at the fd limit: the connection stays in the backlog;
        // try again later instead of spinning on it.
        hub->trouble("accept_failed", {{"listener", url}, {"error", ec.message()}},
                     "accept on " + url + " failed: " + ec.message() + "; retrying every 100 ms");
        asio::steady_timer t(io, std::chrono::milliseconds(100));
        co_await t.async_wait(redirect_error(use_awaitable, ec));
        continue;
      }
      if (l.local_url().http()) asio::co_spawn(io, serve_http(std::move(a)), asio::detached);
      else asio::co_spawn(io, open_connection(std::move(a), now()), asio::detached);
    }
  }

  awaitable<void> serve_http(std::unique_ptr<net::Accepted> a) {
    const uint64_t id = next_conn++;
    http_conns.emplace(id, a.get());
    net::HttpLimits limits;
    if (opts.idle_timeout_ms > 0) limits.timeout = std::chrono::milliseconds(std::min<int64_t>(opts.idle_timeout_ms, 30000));
    co_await a->serve_http(
        [this](const net::HttpRequest& req) -> awaitable<net::HttpResponse> {
          ++http_requests;
          co_return co_await api->handle(req);
        },
        limits);
    http_conns.erase(id);
  }

  awaitable<void> open_connection(std::unique_ptr<net::Accepted> a, Now accepted) {
    // The upgrade gets the whole handshake allowance; the CONNECT whatever is left of it.
    auto limit = std::chrono::milliseconds(opts.handshake_timeout_ms > 0 ? opts.handshake_timeout_ms
                                                                         : opts.idle_timeout_ms);
    error_code ec;
    auto c = co_await a->establish(limit, ec);
    if (stopping) co_return;
    if (!c) {
      std::string remote = a->remote_address();
      hub->trouble("upgrade_failed", {{"remote", remote}, {"error", ec.message()}},
                   "WebSocket upgrade from " + remote + " failed: " + ec.message());
      co_return;
    }
    uint64_t id = next_conn++;
    auto conn = std::make_shared<Conn>(*this, std::move(c), id, accepted);
    conns.emplace(id, conn);
    co_await conn->run();
  }

  awaitable<void> shutdown() {
    if (stopping) co_return;
    stopping = true;
    for (auto& l : listeners) l->close();
    asio::steady_timer t(io);
    error_code ec;
    // Let queued SENDs reach the store and their SENDACKs go out.
    hub->flush();
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (hub->inflight() > 0 && std::chrono::steady_clock::now() < deadline) {
      t.expires_after(std::chrono::milliseconds(5));
      co_await t.async_wait(redirect_error(use_awaitable, ec));
    }
    std::vector<net::Accepted*> http_open;
    for (auto& [id, a] : http_conns) http_open.push_back(a);
    for (auto* a : http_open) a->close();
    std::vector<std::shared_ptr<Conn>> all;
    for (auto& [id, c] : conns) all.push_back(c);
    for (auto& c : all) {
      c->session().transport_closed("server shutdown");
      c->begin_close();
    }
    deadline = std::chrono::steady_clock::now() + kCloseGrace + std::chrono::milliseconds(500);
    while (!conns.empty() && std::chrono::steady_clock::now() < deadline) {
      t.expires_after(std::chrono::milliseconds(5));
      co_await t.async_wait(redirect_error(use_awaitable, ec));
    }
    hub->flush();
    store->stop();  // commits acks still queued
    hub->trouble_log().flush_held();
    if (events) events->flush();
    io.stop();
  }
};

Conn::Conn(Server::Impl& srv, std::unique_ptr<net::Connection> c, uint64_t id, Now accepted)
    : srv_(srv), conn_(std::move(c)), remote_(conn_->remote_address()), writer_(*conn_, 256 * 1024),
      sess_(id, srv.sess_cfg, *srv.hub, *this, accepted), timer_(conn_->get_executor()),
      close_timer_(conn_->get_executor()), watch_(conn_->get_executor()) {}

void Conn::poke() {
  if (sess_.closed()) {
    begin_close();
    return;
  }
  if (sess_.next_deadline() < armed_) timer_.cancel();
  check_outbound();
  arm_write_watch();
}

void Conn::check_outbound() {
  if (cut_posted_ || closing_ || writer_.pending_bytes() <= srv_.opts.max_outbound_bytes) return;
  // Not now: poke() runs inside the hub's delivery loops, which a close
  // (routing tables) must not change under them.
  cut_posted_ = true;
  asio::post(conn_->get_executor(), [self = shared_from_this()] {
    self->cut_posted_ = false;
    const uint64_t queued = self->writer_.pending_bytes();
    if (queued > self->srv_.opts.max_outbound_bytes)
      self->cut_slow("more than --max-outbound " + std::to_string(self->srv_.opts.max_outbound_bytes) +
                     " bytes queued");
  });
}

void Conn::arm_write_watch() {
  const int64_t timeout = srv_.opts.write_timeout_ms;
  if (timeout <= 0 || watching_ || closing_ || writer_.idle()) return;
  watching_ = true;
  watch_writes_ = writer_.writes();
  progress_at_ = now().mono_ms;
  // Looked at four times per timeout: a stall is seen within 1.25 x timeout.
  watch_.expires_after(std::chrono::milliseconds(std::max<int64_t>(timeout / 4, 10)));
  watch_.async_wait([self = shared_from_this()](error_code ec) {
    self->watching_ = false;
    if (!ec) self->on_write_watch();
  });
}

void Conn::on_write_watch() {
  if (closing_ || sess_.closed() || writer_.idle()) return;
  const int64_t t = now().mono_ms, timeout = srv_.opts.write_timeout_ms;
  if (writer_.writes() != watch_writes_) {
    watch_writes_ = writer_.writes();
    progress_at_ = t;
  } else if (t - progress_at_ >= timeout) {
    cut_slow("no write progress for " + std::to_string(t - progress_at_) + " ms (--write-timeout " +
             std::to_string(timeout) + " ms) with " + std::to_string(writer_.pending_bytes()) + " bytes queued");
    return;
  }
  watching_ = true;
  watch_.expires_after(std::chrono::milliseconds(std::max<int64_t>(timeout / 4, 10)));
  watch_.async_wait([self = shared_from_this()](error_code ec) {
    self->watching_ = false;
    if (!ec) self->on_write_watch();
  });
}

void Conn::cut_slow(std::string why) {
  if (closing_ || sess_.closed()) return;
  srv_.hub->slow_consumer(*this, why, writer_.pending_bytes());
  sess_.transport_closed("slow consumer: " + why);
  // No drain: the peer is not reading. Queued bytes go with the connection;
  // the messages stay pending in the store.
  closing_ = true;
  timer_.cancel();
  watch_.cancel();
  conn_->close();
  writer_.stop();
}

awaitable<void> Conn::run() {
  auto self = shared_from_this();
  srv_.hub->attach(*this);
  asio::co_spawn(conn_->get_executor(), [self]() -> awaitable<void> { co_await self->writer_.run(); },
                 asio::detached);
  asio::co_spawn(conn_->get_executor(), [self]() -> awaitable<void> { co_await self->timer_loop(); },
                 asio::detached);
  // Small while idle (memory per idle connection), larger when reads fill it.
  rbuf_.resize(2048);
  while (!sess_.closed()) {
    error_code ec;
    size_t n = co_await conn_->read_some(std::span<char>(rbuf_.data(), rbuf_.size()), ec);
    if (ec) {
      sess_.transport_closed(ec == asio::error::eof ? "peer closed the connection" : "transport: " + ec.message());
      break;
    }
    sess_.feed(std::string_view(rbuf_.data(), n), now());
    poke();
    if (n == rbuf_.size() && rbuf_.size() < 64 * 1024) rbuf_.resize(rbuf_.size() * 2);
    if (writer_.pending_bytes() > 256 * 1024) co_await writer_.wait_writable();
  }
  srv_.hub->detach(*this);
  begin_close();
  srv_.conns.erase(sess_.id());
}

void Conn::begin_close() {
  if (closing_) return;
  closing_ = true;
  timer_.cancel();
  watch_.cancel();
  auto self = shared_from_this();
  asio::co_spawn(conn_->get_executor(), [self]() -> awaitable<void> { co_await self->close_after_drain(); },
                 asio::detached);
}

awaitable<void> Conn::close_after_drain() {
  auto self = shared_from_this();
  // A peer that stops reading cannot hold the connection open: cut it after a grace period.
  close_timer_.expires_after(kCloseGrace);
  close_timer_.async_wait([self](error_code ec) {
    if (!ec) {
      self->conn_->close();
      self->writer_.stop();
    }
  });
  co_await writer_.drain();
  close_timer_.cancel();
  conn_->close();
  writer_.stop();
}

awaitable<void> Conn::timer_loop() {
  auto self = shared_from_this();
  while (!sess_.closed() && !closing_) {
    int64_t dl = sess_.next_deadline();
    armed_ = dl;
    timer_.expires_at(at_mono(dl));
    error_code ec;
    co_await timer_.async_wait(redirect_error(use_awaitable, ec));
    armed_ = INT64_MAX;
    if (closing_ || sess_.closed()) break;
    Now t = now();
    if (t.mono_ms >= dl) {
      sess_.tick(t);
      poke();
    }
  }
}

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Server::~Server() = default;

Result<std::unique_ptr<Server>> Server::create(ServerOptions opts) {
  auto impl = std::make_unique<Impl>();
  impl->opts = std::move(opts);
  auto& o = impl->opts;
  impl->sess_cfg.node_id = o.node_id;
  impl->sess_cfg.idle_timeout_ms = o.idle_timeout_ms;
  impl->sess_cfg.handshake_timeout_ms = o.handshake_timeout_ms;
  impl->sess_cfg.redeliver_interval_ms = o.redeliver_interval_ms;
  impl->sess_cfg.redeliver_max = o.redeliver_max;
  impl->sess_cfg.inflight_window = o.inflight_window;
  impl->sess_cfg.faults = o.faults;
  impl->sess_cfg.fault_seed = o.seed;
  impl->sess_cfg.jsonrpc = o.jsonrpc;
  impl->sess_cfg.jsonrpc_compat = o.jsonrpc_compat;

  if (!o.events_path.empty()) {
    auto ev = EventLog::open(o.events_path);
    if (!ev) return ev.error();
    impl->events = std::move(*ev);
  }
  store::Options so;
  so.dir = o.data_dir;
  so.in_memory = o.in_memory;
  so.dedup = o.dedup;
  so.durable = o.durable;
  for (const auto& u : o.listen) so.channel_index |= u.http();  // messagesync reads channel ranges
  so.created_by = "wkit serve " + o.version;
  auto st = store::MessageStore::open(so);
  if (!st) return st.error();
  impl->store = std::move(*st);
  Impl* raw = impl.get();
  impl->hub = std::make_unique<ServerHub>(o, *impl->store, impl->events.get(), &now,
                                          [raw] { asio::post(raw->io, [raw] { raw->hub->flush(); }); });
  if (auto e = impl->hub->load()) return *e;
  if (auto n = impl->store->message_count()) impl->stored_at_start = *n;
  ServerView view;
  view.listeners = [raw] {
    std::vector<net::Url> out;
    for (auto& l : raw->listeners) out.push_back(l->local_url());
    return out;
  };
  view.connections_by_transport = [raw] {
    std::vector<std::pair<std::string, uint64_t>> out = {{"tcp", 0}, {"ws", 0}, {"wss", 0}};
    for (auto& [id, c] : raw->conns)
      for (auto& [name, n] : out)
        if (name == c->transport()) ++n;
    return out;
  };
  view.connections_by_protocol = [raw] {
    std::vector<std::pair<std::string, uint64_t>> out = {{"wkproto", 0}, {"jsonrpc", 0}, {"undecided", 0}};
    for (auto& [id, c] : raw->conns)
      for (auto& [name, n] : out)
        if (name == session::dialect_name(c->session().dialect())) ++n;
    return out;
  };
  view.queued_outbound_bytes = [raw] {
    uint64_t n = 0;
    for (auto& [id, c] : raw->conns) n += c->queued_bytes();
    return n;
  };
  view.stored_messages = [raw] { return raw->stored_at_start + raw->hub->stats().stored; };
  view.http_requests = [raw] { return raw->http_requests; };
  view.commit_latency = [raw] { return raw->store->commit_latency().snapshot(); };
  impl->api = std::make_unique<HttpApi>(*impl->hub, o.api_compat, std::move(view));

  for (const auto& url : o.listen) {
    auto l = net::listen(impl->io.get_executor(), url, o.tls);
    if (!l) return l.error();
    impl->listeners.push_back(std::move(*l));
  }
  impl->store->start([raw](std::vector<store::Op>&& batch) {
    asio::post(raw->io, [raw, b = std::move(batch)]() mutable { raw->hub->on_committed(std::move(b)); });
  });
  return std::unique_ptr<Server>(new Server(std::move(impl)));
}

std::vector<net::Url> Server::local_urls() const {
  std::vector<net::Url> out;
  for (auto& l : impl_->listeners) out.push_back(l->local_url());
  return out;
}

nlohmann::json Server::counters() const { return metrics_json(*impl_->hub, impl_->api->view()); }

std::string Server::describe() const {
  const auto& o = impl_->opts;
  return "store " + impl_->store->path() + " (" + std::to_string(impl_->stored_at_start) + " messages), dedup " +
         (o.dedup ? "on" : "off") + ", node " + std::to_string(o.node_id) +
         (o.faults.empty() ? std::string() : ", " + std::to_string(o.faults.size()) + " fault rule(s)");
}

int Server::run() {
  Impl* raw = impl_.get();
  for (auto& u : local_urls()) impl_->hub->note("listening", {{"url", u.to_string()}});
  impl_->signals.async_wait([raw](error_code ec, int) {
    if (!ec) asio::co_spawn(raw->io, raw->shutdown(), asio::detached);
  });
  for (auto& l : impl_->listeners) {
    net::Listener* lp = l.get();
    asio::co_spawn(impl_->io, raw->accept_loop(*lp), asio::detached);
  }
  impl_->io.run();
  return 0;
}

void Server::stop() {
  Impl* raw = impl_.get();
  asio::post(impl_->io, [raw] { asio::co_spawn(raw->io, raw->shutdown(), asio::detached); });
}

}  // namespace wkit::app
