#include "wkit/app/client_send.hpp"

#include <array>
#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <csignal>
#include <fstream>
#include <thread>
#include <map>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "wkit/app/client_connection.hpp"
#include "wkit/app/client_deliveries.hpp"
#include "wkit/app/client_payload.hpp"
#include "wkit/app/client_receiver.hpp"
#include "wkit/app/client_send_http.hpp"
#include "wkit/app/send_check_via.hpp"
#include "wkit/net/http_async_client.hpp"
#include "wkit/proto/frame.hpp"
#include "wkit/util/latency_text.hpp"
#include "wkit/util/ids.hpp"
#include "wkit/util/units.hpp"

namespace wkit::app {

using asio::redirect_error;
using asio::use_awaitable;
using Clock = std::chrono::steady_clock;

Identity parse_identity(std::string_view text) {
  auto colon = text.find(':');
  if (colon == std::string_view::npos) return {std::string(text), ""};
  return {std::string(text.substr(0, colon)), std::string(text.substr(colon + 1))};
}

Result<std::vector<Identity>> read_users_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Error::input("cannot open users file " + path);
  std::vector<Identity> out;
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    size_t start = line.find_first_not_of(" \t");
    if (start == std::string::npos || line[start] == '#') continue;
    auto id = parse_identity(std::string_view(line).substr(start));
    if (id.uid.empty() || id.uid.find_first_of(" \t") != std::string::npos)
      return Error::input(path + ":" + std::to_string(n) + ": expected uid[:token], got '" + line + "'");
    out.push_back(std::move(id));
  }
  if (out.empty()) return Error::input(path + ": no users (expected uid[:token] per line)");
  return out;
}

namespace {

int64_t mono_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count();
}

// A never-expiring timer used as a condition variable (single thread).
struct Signal {
  explicit Signal(asio::any_io_executor ex) : t(ex) { t.expires_at(Clock::time_point::max()); }
  void notify() {
    t.cancel();
    t.expires_at(Clock::time_point::max());
  }
  asio::awaitable<void> wait() {
    boost::system::error_code ec;
    co_await t.async_wait(redirect_error(use_awaitable, ec));
  }
  asio::steady_timer t;
};

struct Record {
  std::array<char, util::kClientMsgNoLength> cmn{};
  uint32_t lane = 0, seq = 0, target = 0;
  uint16_t attempts = 0, acks = 0, accepted = 0;
  uint16_t dropped = 0;      // answers dropped on purpose (--drop-answers)
  uint16_t http_status = 0;  // --via http: the status of a first answer that was an HTTP error
  uint8_t reason = 0;
  bool acked_ok = false, done = false, timed_out = false;
  int64_t sched_ns = 0, start_ns = 0, last_send_ns = 0, payload_ts = 0;
  int64_t message_id = 0;
  uint64_t message_seq = 0;
  std::vector<int64_t> extra_ids;  // other distinct message_ids (duplicates)
  int64_t latency_ns = -1;
};

struct Lane {
  int index = 0;
  session::ClientConfig cfg;
  std::unique_ptr<ClientConnection> conn;
  std::unique_ptr<net::HttpAsyncClient> http;  // --via http: this lane's pool of `window` connections
  bool ready = false, reconnecting = false, dead = false;
  std::vector<uint32_t> by_seq;    // client_seq - 1 -> record index
  std::vector<uint32_t> inflight;  // records not done
  uint32_t next_seq = 1;
};

class Engine {
 public:
  Engine(const SendOptions& o, const SendHooks& h, asio::io_context& ctx)
      : o_(o), h_(h), ctx_(ctx), slot_(ctx.get_executor()), hs_(ctx.get_executor()),
        progress_(ctx.get_executor()), signals_(ctx), grace_(ctx) {
    fixed_cmn_ = !o_.client_msg_no.empty();
    if (o_.count > 0) records_.reserve(std::min<uint64_t>(o_.count, 1u << 24));
    const int n = std::max(1, o_.connections);
    for (int i = 0; i < n; ++i) {
      auto L = std::make_unique<Lane>();
      L->index = i;
      L->cfg = o_.base;
      if (!o_.users.empty()) {
        L->cfg.uid = o_.users[i % o_.users.size()].uid;
        L->cfg.token = o_.users[i % o_.users.size()].token;
      } else if (n > 1 && !o_.api) {  // the HTTP API has no sessions to keep apart
        // Servers keep one connection per (uid, device_flag) and kick the
        // older one, so connection i sends as UID-i.
        L->cfg.uid = o_.base.uid + "-" + std::to_string(i);
      }
      if (n > 1) L->cfg.device_id = o_.base.device_id + "-" + std::to_string(i);
      lanes_.push_back(std::move(L));
    }
    if (o_.check_via) plan_store_channels();
  }

  asio::awaitable<void> main() {
    t0_ = mono_ns();
    phase_ = Phase::run;
    // Receivers first, so that nothing sent can arrive before they listen.
    for (size_t i = 0; i < o_.receivers.size(); ++i) {
      ReceiverOptions ro;
      ro.url = o_.url;
      ro.cfg = o_.base;
      ro.cfg.uid = o_.receivers[i].uid;
      ro.cfg.token = o_.receivers[i].token;
      ro.cfg.device_id = "wkit-verify-" + std::to_string(i);
      ro.connect_timeout = o_.connect_timeout;
      ro.keep_payloads = false;
      ro.reconnect = true;
      auto r = std::make_unique<Receiver>(ro, h_.on_delivery);
      if (auto err = co_await r->open()) {
        fail(err->message);
        finished_ = true;
        for (auto& opened : receivers_) co_await opened->close();
        co_return;
      }
      receivers_.push_back(std::move(r));
    }
    if (!receivers_.empty()) co_await take_baseline();
    t0_ = mono_ns();  // the run starts with the first SEND
    for (auto& L : lanes_) asio::co_spawn(ctx_, lane_start(*L), asio::detached);
    asio::co_spawn(ctx_, sweeper(), asio::detached);
    if (h_.on_progress) asio::co_spawn(ctx_, progress_loop(), asio::detached);
    co_await dispatch();
    // Every message ends acked, with all its SENDACKs, or timed out.
    while (!fatal_ && !abandoned_ && done_count_ < records_.size()) co_await slot_.wait();
    send_end_ns_ = mono_ns();
    if (!fatal_ && !receivers_.empty()) co_await await_deliveries();
    finished_ = true;
    progress_.cancel();
    grace_.cancel();
    boost::system::error_code ignored;
    signals_.cancel(ignored);
    for (auto& L : lanes_) {
      while (L->reconnecting) co_await slot_.wait();
      if (L->conn) co_await L->conn->close();
      if (L->http) L->http->close();
    }
    for (auto& r : receivers_) co_await r->close();
  }

  SendOutcome outcome();

  // SIGINT/SIGTERM (o_.handle_signals): from before the store heads are
  // read until the store was read after the run.
  void catch_signals() {
    signals_.add(SIGINT);
    signals_.add(SIGTERM);
    watch_signals();
  }
  // The store is read (blocking HTTP on the caller's thread) while ctx_, on
  // another thread, only waits for signals: a signal then just sets
  // store_stop_, which ends the read within ~50 ms.
  void watch_signals_while_reading_store() {
    phase_ = Phase::store;
    watch_signals();
  }
  const std::atomic<int>* store_stop() const { return &store_stop_; }
  // A second signal during the run ended it at once: no store read then.
  bool ended_now() const { return ended_now_; }

  // A signal while the store heads were read: nothing is sent.
  bool interrupted_before_run() {
    const int sig = store_stop_.load();
    if (!sig) return false;
    t0_ = send_end_ns_ = dispatch_end_ns_ = mono_ns();
    stopping_ = true;
    finished_ = true;
    store_interrupted_ = true;
    store_error_ = signal_name(sig) + " while reading where each channel ends, before the first SEND";
    notice(signal_name(sig) + ": stopping before the first SEND (while --check-via read where each channel ends)");
    return true;
  }

  // --check-via, before the run: where each channel's history ends now, so
  // that the check reads only what this run could have stored (from seq 1
  // when that cannot be learnt).
  void mark_store_heads(const ApiPost& post) {
    for (auto& k : store_keys_) {
      if (store_stop_.load()) return;
      auto head = store_head_seq(post, k.channel);
      if (!head) {  // the check after the run says why, if it fails too
        heads_unknown_ = true;
        break;
      }
      k.start_seq = *head + 1;
    }
  }

  // --check-via, after the run: the message_ids the store holds for each
  // sent (sender, channel, client_msg_no). All or nothing: a channel that
  // cannot be read leaves every message as the SENDACKs left it.
  void check_store(const ApiPost& post);

 private:
  // One channel to read per (sender, person channel) and per other channel.
  struct StoreKey {
    StoreChannel channel;
    uint64_t start_seq = 1;
  };

  void plan_store_channels() {
    for (uint32_t t = 0; t < o_.targets.size(); ++t) {
      const Target& target = o_.targets[t];
      for (auto& L : lanes_) {
        const std::string& uid = L->cfg.uid;
        auto key = std::make_pair(target.channel_type == 1 ? uid : std::string(), t);
        if (store_key_index_.count(key)) continue;
        store_key_index_.emplace(key, store_keys_.size());
        store_keys_.push_back({StoreChannel{uid, target.channel_id, target.channel_type}, 1});
      }
    }
  }

  size_t store_key_of(const Record& r) const {
    const Target& t = o_.targets[r.target];
    return store_key_index_.at({t.channel_type == 1 ? sender_of(r) : std::string(), r.target});
  }

  const std::string& sender_of(const Record& r) const { return lanes_[r.lane]->cfg.uid; }

  // Per-message lines wait for the end when the receivers or the store decide.
  bool lines_at_end() const { return !receivers_.empty() || o_.check_via.has_value(); }

  static std::string signal_name(int sig) { return sig == SIGINT ? "SIGINT" : "SIGTERM"; }

  void watch_signals() {
    signals_.async_wait([this](boost::system::error_code ec, int sig) {
      if (ec) return;
      if (phase_ != Phase::run) {
        // The main thread waits in an HTTP request: only tell it to stop
        // (it says so itself, so that stderr has one writer).
        int none = 0;
        store_stop_.compare_exchange_strong(none, sig);
      } else {
        request_stop(signal_name(sig));
      }
      watch_signals();
    });
  }

  // First request: stop sending and give the messages in flight a short
  // grace for their SENDACKs (and deliveries). Second: end at once.
  void request_stop(const std::string& why) {
    if (finished_) return;
    if (stopping_) {
      notice(why + " again: ending now");
      abandoned_ = true;
      ended_now_ = true;
      slot_.notify();
      ctx_.stop();
      return;
    }
    stopping_ = true;
    const auto grace = std::min<std::chrono::nanoseconds>(o_.ack_timeout, std::chrono::seconds(2));
    notice(why + ": stopping; waiting up to " + util::format_duration(grace) +
           " for the SENDACKs of messages in flight (again to end now)");
    grace_.expires_after(grace);
    grace_.async_wait([this](boost::system::error_code ec) {
      if (ec) return;
      abandoned_ = true;
      slot_.notify();
    });
    slot_.notify();
  }

  void notice(const std::string& line) {
    if (h_.on_notice) h_.on_notice(line);
  }

  // What the server had pending for the receivers before this run: taken
  // until no RECV came for baseline_quiet (at most baseline_max), and set
  // apart so that it is never counted as unexpected.
  asio::awaitable<void> take_baseline() {
    asio::steady_timer t(ctx_);
    const int64_t start = mono_ns(), quiet = o_.baseline_quiet.count();
    uint64_t last_total = 0;
    int64_t last_change = start;
    while (!abandoned_ && !stopping_) {
      uint64_t total = 0;
      for (auto& rc : receivers_) total += rc->tracker().received();
      const int64_t now = mono_ns();
      if (total != last_total) last_change = now, last_total = total;
      if (now - last_change >= quiet || now - start >= o_.baseline_max.count()) break;
      t.expires_after(std::chrono::milliseconds(20));
      co_await t.async_wait(use_awaitable);
    }
    for (auto& rc : receivers_)
      for (auto& [cmn, ids] : rc->tracker().ids_by_client_msg_no()) {
        baseline_cmns_.insert(cmn);
        baseline_ids_.insert(ids.begin(), ids.end());
      }
    baseline_deliveries_ = last_total;
  }

  std::string_view cmn_of(const Record& r) const {
    return fixed_cmn_ ? std::string_view(o_.client_msg_no) : std::string_view(r.cmn.data(), r.cmn.size());
  }

  void fail(std::string why) {
    if (!fatal_) fatal_msg_ = std::move(why);
    fatal_ = true;
    slot_.notify();
  }

  asio::awaitable<Status> open_lane(Lane& L) {
    if (o_.api) co_return co_await open_http_lane(L);
    while (handshakes_ >= std::max(1, o_.max_handshakes)) co_await hs_.wait();
    ++handshakes_;
    auto c = co_await ClientConnection::open(o_.url, L.cfg, o_.connect_timeout, o_.tls.get());
    --handshakes_;
    hs_.notify();
    if (!c.ok()) co_return c.error();
    if (finished_ || fatal_ || abandoned_) {  // the run ended while we were connecting
      co_await c.value()->close();
      co_return Error{ErrorKind::connection, "run ended", std::nullopt};
    }
    L.conn = std::move(c.value());
    L.conn->start([this, &L](const session::ClientEvent& ev) { on_event(L, ev); },
                  [this, &L](const std::string& why) { on_lost(L, why); });
    L.ready = true;
    slot_.notify();
    co_return std::nullopt;
  }

  asio::awaitable<void> lane_start(Lane& L) {
    if (o_.ramp_up.count() > 0 && lanes_.size() > 1) {
      asio::steady_timer t(ctx_, o_.ramp_up * L.index / int64_t(lanes_.size()));
      co_await t.async_wait(use_awaitable);
    }
    if (auto err = co_await open_lane(L)) fail(err->message);
  }

  void on_lost(Lane& L, const std::string& why) {
    L.ready = false;
    if (finished_ || L.reconnecting) return;
    if (why.starts_with("DISCONNECT")) {
      // Kicked or refused by the server: reconnecting would only fight over
      // the session (e.g. two connections with one uid and device flag).
      L.dead = true;
      if (++dead_lanes_ == lanes_.size()) fail("all connections lost: " + why);
      slot_.notify();
      return;
    }
    notice("connection " + std::to_string(L.index) + " lost (" + why + "); reconnecting for up to " +
           util::format_duration(o_.reconnect_budget));
    L.reconnecting = true;
    asio::co_spawn(ctx_, reconnect(L, {}), asio::detached);
  }

  // New connection (new handshake), then resend `due` as DUPs.
  asio::awaitable<void> reconnect(Lane& L, std::vector<uint32_t> due) {
    L.ready = false;
    L.reconnecting = true;
    if (L.conn) co_await L.conn->close();
    const int64_t started = mono_ns();
    while (!finished_ && !fatal_ && !abandoned_) {
      auto err = co_await open_lane(L);
      if (!err) break;
      if (mono_ns() - started >= o_.reconnect_budget.count()) {
        fail("server unreachable: connection " + std::to_string(L.index) + " not re-established within " +
             util::format_duration(o_.reconnect_budget) + " (--reconnect-budget): " + err->message);
        break;
      }
      asio::steady_timer t(ctx_, std::chrono::milliseconds(200));
      co_await t.async_wait(use_awaitable);
    }
    ++reconnects_;
    L.reconnecting = false;
    for (uint32_t idx : due) attempt(L, idx, true);
    slot_.notify();
  }

  void on_event(Lane& L, const session::ClientEvent& ev) {
    const auto* a = std::get_if<session::SendackEvent>(&ev);
    if (!a) return;
    const auto& f = a->frame;
    if (a->rpc_error) {  // JSON-RPC: the send was answered with an error object: a failed answer
      ++rpc_errors_;
      http_problem("JSON-RPC error " + std::to_string(a->error_code) + ": " + std::string(a->error_message),
                   "the message failed");
    }
    if (f.client_seq == 0 || f.client_seq > L.by_seq.size()) {
      ++unmatched_acks_;
      return;
    }
    on_answer(L.by_seq[f.client_seq - 1], f.reason_code, f.message_id, f.message_seq, 0);
  }

  // One answer to an attempt of records_[idx]: a SENDACK, or the answer of
  // POST /message/send (http_status set when it was an HTTP error).
  void on_answer(uint32_t idx, uint8_t reason, int64_t message_id, uint64_t message_seq, uint16_t http_status) {
    Record& r = records_[idx];
    if (r.dropped < o_.drop_answers) {  // fault injection: as if this answer was lost
      ++r.dropped;
      ++answers_dropped_;
      return;
    }
    ++r.acks;
    ++acks_total_;
    if (r.acks == 1) {
      r.reason = reason;
      r.http_status = http_status;
    }
    if (reason == 1) {
      ++r.accepted;
      if (!r.acked_ok) {
        r.acked_ok = true;
        r.reason = 1;
        r.http_status = 0;
        r.message_id = message_id;
        r.message_seq = message_seq;
        r.latency_ns = mono_ns() - r.sched_ns;
        latency_.record(uint64_t(std::max<int64_t>(0, r.latency_ns)));
        if (h_.window_latency) h_.window_latency->record(uint64_t(std::max<int64_t>(0, r.latency_ns)));
        timeline_.on_acked(mono_ns() - t0_, uint64_t(std::max<int64_t>(0, r.latency_ns)));
        ++acked_;
      } else if (message_id != r.message_id &&
                 std::find(r.extra_ids.begin(), r.extra_ids.end(), message_id) == r.extra_ids.end()) {
        r.extra_ids.push_back(message_id);
      }
    }
    if (r.done) return;
    const bool forced = o_.retry_mode == SendOptions::RetryMode::forced;
    if (!forced || (r.attempts >= 1 + o_.retries && r.acks >= r.attempts)) finish(idx);
  }

  // --via http: a lane is ready once its address answered HTTP (any status
  // to GET /healthz proves it is an HTTP server that answers).
  asio::awaitable<Status> open_http_lane(Lane& L) {
    if (!L.http) {
      net::HttpAsyncOptions ho;
      ho.max_connections = size_t(std::max(1, o_.window));
      ho.connect_timeout = o_.connect_timeout;
      ho.answer_timeout = o_.ack_timeout;
      L.http = std::make_unique<net::HttpAsyncClient>(ctx_.get_executor(), *o_.api, o_.api_tls, ho);
    }
    auto got = co_await L.http->fetch("GET", "/healthz");
    if (!got.answered) {
      if (got.written && got.error.find("not an HTTP") == std::string::npos)
        got.error += " to GET /healthz (not an HTTP API address?)";
      co_return Error{ErrorKind::connection, o_.api->to_string() + ": " + got.error, std::nullopt};
    }
    if (finished_ || fatal_ || abandoned_) co_return Error{ErrorKind::connection, "run ended", std::nullopt};
    L.ready = true;
    slot_.notify();
    co_return std::nullopt;
  }

  void send_http(Lane& L, uint32_t idx, std::string_view payload) {
    Record& r = records_[idx];
    const Target& t = o_.targets[r.target];
    message_send_body(http_body_, L.cfg.uid, t.channel_id, t.channel_type, cmn_of(r), payload);
    ++r.attempts;
    ++sends_total_;
    L.http->post("/message/send", http_body_, [this, &L, idx](net::HttpOutcome& out) { on_http_outcome(L, idx, out); });
  }

  void on_http_outcome(Lane& L, uint32_t idx, net::HttpOutcome& out) {
    if (finished_) return;
    Record& r = records_[idx];
    if (!out.written) {
      // It never reached the server: not an attempt. The lane is
      // re-established (or the run ends) and the sweeper sends it again.
      --r.attempts;
      --sends_total_;
      on_lost(L, out.error);
      return;
    }
    if (!out.answered) return http_problem(out.error, "the answer is lost: the server may hold a copy");
    auto a = read_message_send_answer(out.status, out.body, o_.api_generation);
    using Kind = MessageSendAnswer::Kind;
    if (a.kind == Kind::unknown) return http_problem(a.why, "counted as an unanswered attempt");
    if (a.kind == Kind::refused) http_problem(a.why, "refused");
    on_answer(idx, a.kind == Kind::accepted ? 1 : a.reason, a.message_id, a.message_seq,
              out.status == 200 ? 0 : uint16_t(out.status));
  }

  // One line per kind of trouble with the API's answers, a few at most.
  void http_problem(const std::string& why, const char* meaning) {
    if (http_noticed_.size() > 3 || !http_noticed_.insert(why).second) return;
    const std::string where = o_.api ? "--api " + o_.api->to_string() + ": POST /message/send: "
                                     : o_.url.to_string() + ": send: ";
    if (http_noticed_.size() > 3) {
      notice(where + "more kinds of failed requests; see the verdicts");
      return;
    }
    notice(where + why + " (" + meaning + ")");
  }

  std::string reason_of(const Record& r) const {
    if (!r.acks) return "no_ack";
    if (r.http_status) return "http_" + std::to_string(r.http_status);
    return std::string(proto::reason_code_name(r.reason));
  }

  void attempt(Lane& L, uint32_t idx, bool dup) {
    Record& r = records_[idx];
    const Target& t = o_.targets[r.target];
    std::string_view payload = o_.payload;
    if (o_.payload_size > 0) {
      make_timed_payload(r.payload_ts, o_.payload_size, payload_buf_);
      payload = payload_buf_;
    }
    session::SendSpec spec;
    spec.channel_id = t.channel_id;
    spec.channel_type = t.channel_type;
    spec.client_msg_no = cmn_of(r);
    spec.payload = payload;
    spec.client_seq = r.seq;
    spec.dup = dup;
    r.last_send_ns = mono_ns();
    if (o_.api) {
      if (L.ready && !L.reconnecting) send_http(L, idx, payload);
      return;
    }
    if (!L.conn || !L.ready) return;  // counted as a lost attempt by the sweeper
    auto sent = L.conn->send(spec);
    if (!sent.ok()) {
      if (sent.error().kind != ErrorKind::connection) fail("cannot encode SEND: " + sent.error().message);
      return;
    }
    ++r.attempts;
    ++sends_total_;
  }

  void finish(uint32_t idx) {
    Record& r = records_[idx];
    r.done = true;
    ++done_count_;
    auto& inf = lanes_[r.lane]->inflight;
    auto it = std::find(inf.begin(), inf.end(), idx);
    if (it != inf.end()) {
      *it = inf.back();
      inf.pop_back();
    }
    // With receivers or a store check, they decide the verdict: reported at the end.
    if (h_.on_message && !lines_at_end()) h_.on_message(record_json(r));
    slot_.notify();
  }

  // Distinct message_ids of a message: its SENDACKs', then (after the
  // deliveries were awaited) every receiver's, then the store's.
  std::vector<int64_t> ids_of(const Record& r, bool with_store = true) const {
    std::vector<int64_t> ids;
    if (r.acked_ok) ids.push_back(r.message_id);
    ids.insert(ids.end(), r.extra_ids.begin(), r.extra_ids.end());
    if (with_store && store_checked_)
      for (int64_t id : store_ids_[index_of(r)])
        if (std::find(ids.begin(), ids.end(), id) == ids.end()) ids.push_back(id);
    if (!deliveries_awaited_) return ids;
    const std::string cmn(cmn_of(r));
    for (auto& rc : receivers_) {
      auto it = rc->tracker().ids_by_client_msg_no().find(cmn);
      if (it == rc->tracker().ids_by_client_msg_no().end()) continue;
      for (int64_t id : it->second)
        if (std::find(ids.begin(), ids.end(), id) == ids.end()) ids.push_back(id);
    }
    return ids;
  }

  bool every_receiver_saw(const Record& r) const {
    if (!deliveries_awaited_ || receivers_.empty()) return false;
    const std::string cmn(cmn_of(r));
    for (auto& rc : receivers_)
      if (!rc->tracker().ids_by_client_msg_no().count(cmn)) return false;
    return true;
  }

  size_t index_of(const Record& r) const { return size_t(&r - records_.data()); }

  // `ids` from ids_of(r, with_store).
  MessageVerdict verdict_of(const Record& r, const std::vector<int64_t>& ids, bool with_store = true) const {
    MessageEvidence e;
    e.attempts = r.attempts;
    e.answered = r.acks;
    e.accepted = r.accepted;
    e.distinct_ids = uint32_t(ids.size());
    e.receivers_saw = every_receiver_saw(r);
    if (with_store && store_checked_) {
      e.store_checked = true;
      e.store_ids = uint32_t(store_ids_[index_of(r)].size());
    }
    return decide(e);
  }

  nlohmann::json record_json(const Record& r) const {
    const auto ids = ids_of(r);
    nlohmann::json idj = nlohmann::json::array(), idstr = nlohmann::json::array();
    for (int64_t id : ids) {
      idj.push_back(id);
      idstr.push_back(std::to_string(id));
    }
    const Target& t = o_.targets[r.target];
    nlohmann::json j = {{"type", "send"},
                        {"client_msg_no", std::string(cmn_of(r))},
                        {"client_seq", r.seq},
                        {"channel_id", t.channel_id},
                        {"channel_type", t.channel_type},
                        {"attempts", r.attempts},
                        {"sendacks", r.acks},
                        {"message_ids", idj},
                        {"message_idstrs", idstr},
                        {"message_seq", r.message_seq},
                        {"reason", reason_of(r)},
                        {"verdict", verdict_name(verdict_of(r, ids))},
                        {"duplicate", ids.size() > 1}};
    j["latency_ms"] = r.latency_ns >= 0 ? nlohmann::json(ns_to_ms(uint64_t(r.latency_ns))) : nlohmann::json();
    j["sent_at"] = util::rfc3339_us(r.payload_ts);  // wall clock of the first attempt
    if (store_checked_) {
      nlohmann::json sid = nlohmann::json::array(), sidstr = nlohmann::json::array();
      for (int64_t id : store_ids_[index_of(r)]) {
        sid.push_back(id);
        sidstr.push_back(std::to_string(id));
      }
      j["store_message_ids"] = std::move(sid);
      j["store_message_idstrs"] = std::move(sidstr);
    }
    return j;
  }

  Lane* pick_lane(uint64_t g) {
    const size_t n = lanes_.size();
    for (size_t k = 0; k < n; ++k) {
      Lane& L = *lanes_[(g + k) % n];
      if (L.ready && !L.reconnecting && L.inflight.size() < size_t(std::max(1, o_.window))) return &L;
    }
    return nullptr;
  }

  asio::awaitable<void> dispatch() {
    const int64_t start = mono_ns();
    asio::steady_timer pace(ctx_), end_of_duration(ctx_);
    if (o_.duration.count() > 0) {
      // Wakes the loop when it waits for a connection (or a window slot).
      end_of_duration.expires_after(o_.duration);
      end_of_duration.async_wait([this](boost::system::error_code ec) {
        if (!ec) slot_.notify();
      });
    }
    uint64_t since_yield = 0;
    uint64_t g = 0;  // messages dispatched
    for (;;) {
      if (fatal_ || stopping_ || abandoned_) break;
      int64_t now = mono_ns();
      if (o_.duration.count() > 0 && now - start >= o_.duration.count()) break;
      if (o_.count > 0 && g >= o_.count) break;
      int64_t sched = now;
      if (o_.rate > 0) {
        sched = start + int64_t(double(g) * 1e9 / o_.rate);
        if (now < sched) {
          pace.expires_after(std::chrono::nanoseconds(sched - now));
          boost::system::error_code ec;
          co_await pace.async_wait(redirect_error(use_awaitable, ec));
          continue;
        }
      }
      Lane* L = pick_lane(g);
      if (!L) {
        co_await slot_.wait();
        continue;
      }
      if (o_.rate > 0) {
        int64_t lag = now - sched;
        if (lag > o_.late_tolerance.count()) ++late_;
        max_lag_ = std::max(max_lag_, lag);
        last_lag_ = lag;
      }
      const uint32_t idx = uint32_t(records_.size());
      Record& r = records_.emplace_back();
      r.lane = uint32_t(L->index);
      r.seq = L->next_seq++;
      r.target = uint32_t(g % o_.targets.size());
      r.sched_ns = sched;
      r.start_ns = now;
      r.payload_ts = unix_now_ns();
      if (!fixed_cmn_) util::random_client_msg_no(r.cmn.data());
      L->by_seq.push_back(idx);
      L->inflight.push_back(idx);
      attempt(*L, idx, false);
      timeline_.on_sent(now - t0_);
      ++g;
      if (++since_yield >= 64) {  // let the writers and readers run
        since_yield = 0;
        if (L->conn && L->conn->writer().pending_bytes() > 256 * 1024) co_await L->conn->wait_writable();
        co_await asio::post(ctx_, use_awaitable);
      }
    }
    end_of_duration.cancel();
    if (o_.rate > 0) {
      // Sends the schedule called for but that never went out (no
      // connection, a stop): the run did not keep its rate.
      int64_t until = mono_ns();
      if (o_.duration.count() > 0) until = std::min(until, start + o_.duration.count());
      uint64_t due = uint64_t(double(std::max<int64_t>(0, until - start)) * o_.rate / 1e9);
      if (o_.count > 0) due = std::min(due, o_.count);
      missed_sends_ = due > g ? due - g : 0;
      if (missed_sends_ > 0) last_lag_ = std::max<int64_t>(last_lag_, until - (start + int64_t(double(g) * 1e9 / o_.rate)));
    }
    dispatch_end_ns_ = mono_ns();
  }

  asio::awaitable<void> sweeper() {
    using namespace std::chrono;
    int64_t tick_ns = std::min(o_.ack_timeout.count(), o_.retries > 0 ? o_.retry_interval.count() : o_.ack_timeout.count()) / 4;
    tick_ns = std::clamp<int64_t>(tick_ns, 1000000, 50000000);
    asio::steady_timer t(ctx_);
    const bool forced = o_.retry_mode == SendOptions::RetryMode::forced;
    std::vector<uint32_t> snapshot, due;
    while (!finished_ && !fatal_) {
      t.expires_after(nanoseconds(tick_ns));
      co_await t.async_wait(use_awaitable);
      const int64_t now = mono_ns();
      for (auto& Lp : lanes_) {
        Lane& L = *Lp;
        // A lane being re-established makes no attempts, but its messages'
        // deadlines hold: a message not sent again in time ends unanswered.
        const bool can_send = L.ready && !L.reconnecting;
        snapshot = L.inflight;
        due.clear();
        for (uint32_t idx : snapshot) {
          Record& r = records_[idx];
          if (r.done) continue;
          const int max_attempts = 1 + o_.retries;
          // Whatever happens to the connection, a message ends by this time.
          const int64_t give_up = r.start_ns + give_up_after_ns();
          if (forced) {
            if (r.attempts < max_attempts && now < give_up) {
              if (can_send && now >= r.last_send_ns + o_.retry_interval.count()) due.push_back(idx);
            } else if (now >= r.last_send_ns + o_.ack_timeout.count() || now >= give_up) {
              r.timed_out = r.acks == 0;
              finish(idx);
            }
          } else if (now >= r.last_send_ns + o_.ack_timeout.count()) {
            if (r.attempts < max_attempts && can_send && now < give_up) due.push_back(idx);
            else if (r.attempts >= max_attempts || now >= give_up) {
              r.timed_out = true;
              finish(idx);
            }
          }
        }
        if (due.empty() || !can_send) continue;
        if (o_.reconnect_before_retry) {
          L.reconnecting = true;
          L.ready = false;
          asio::co_spawn(ctx_, reconnect(L, due), asio::detached);
        } else {
          for (uint32_t idx : due) attempt(L, idx, true);
        }
      }
    }
  }

  // The longest a message can legitimately take: every attempt spaced by the
  // retry interval or the ack timeout, plus one ack timeout and the time to
  // re-establish a connection.
  int64_t give_up_after_ns() const {
    const int64_t spacing = std::max(o_.retry_interval.count(), o_.ack_timeout.count());
    return int64_t(o_.retries) * spacing + o_.ack_timeout.count() + o_.reconnect_budget.count();
  }

  asio::awaitable<void> progress_loop() {
    while (!finished_) {
      progress_.expires_after(std::chrono::milliseconds(100));
      boost::system::error_code ec;
      co_await progress_.async_wait(redirect_error(use_awaitable, ec));
      if (finished_) break;
      h_.on_progress(records_.size(), acked_, double(mono_ns() - t0_) / 1e9, latency_.value_at_quantile(0.99));
    }
  }

  // Whether every receiver has everything the server may still deliver:
  // each message_id the SENDACKs named and, for a message with attempts no
  // SENDACK answered (each may have been stored again, as 2.x does), as many
  // distinct message_ids as attempts. Until then --verify-wait decides: a
  // duplicate that arrives after the first copy must not be missed.
  bool all_delivered() const {
    for (auto& rc : receivers_) {
      const auto& by_cmn = rc->tracker().ids_by_client_msg_no();
      if (by_cmn.size() < acked_) return false;
      for (auto& r : records_) {
        if (!r.acked_ok && r.attempts == 0) continue;
        auto it = by_cmn.find(std::string(cmn_of(r)));
        if (it == by_cmn.end()) {
          if (r.acked_ok || r.attempts > r.acks) return false;
          continue;
        }
        const auto& got = it->second;
        auto seen = [&](int64_t id) { return std::find(got.begin(), got.end(), id) != got.end(); };
        if (r.acked_ok && !seen(r.message_id)) return false;
        if (!std::all_of(r.extra_ids.begin(), r.extra_ids.end(), seen)) return false;
        if (r.attempts > r.acks && got.size() < r.attempts) return false;
      }
    }
    return true;
  }

  asio::awaitable<void> await_deliveries() {
    const int64_t deadline = mono_ns() + o_.verify_wait.count();
    asio::steady_timer t(ctx_);
    while (mono_ns() < deadline && !abandoned_ && !all_delivered()) {
      t.expires_after(std::chrono::milliseconds(20));
      co_await t.async_wait(use_awaitable);
    }
    deliveries_awaited_ = true;
  }

  nlohmann::json verify_json(RunFindings& f) const;

 public:
  const SendOptions& o_;
  const SendHooks& h_;
  asio::io_context& ctx_;
  Signal slot_, hs_;
  asio::steady_timer progress_;
  asio::signal_set signals_;
  asio::steady_timer grace_;
  bool stopping_ = false, abandoned_ = false, deliveries_awaited_ = false, ended_now_ = false;
  // Which thread a signal finds busy: heads and store are blocking HTTP
  // reads on the main thread (phase_ only changes while no other thread runs ctx_).
  enum class Phase { heads, run, store };
  Phase phase_ = Phase::heads;
  std::atomic<int> store_stop_{0};  // the signal that stopped a store read
  std::unordered_set<std::string> baseline_cmns_;
  std::unordered_set<int64_t> baseline_ids_;
  uint64_t baseline_deliveries_ = 0;
  std::vector<std::unique_ptr<Lane>> lanes_;
  std::vector<std::unique_ptr<Receiver>> receivers_;
  std::vector<Record> records_;
  std::string payload_buf_;
  // --via http
  std::string http_body_;
  std::set<std::string> http_noticed_;
  uint64_t answers_dropped_ = 0;
  bool fixed_cmn_ = false, fatal_ = false, finished_ = false;
  std::string fatal_msg_;
  int handshakes_ = 0;
  size_t dead_lanes_ = 0;
  uint64_t rpc_errors_ = 0;  // sends answered with a JSON-RPC error object
  uint64_t done_count_ = 0, acked_ = 0, sends_total_ = 0, acks_total_ = 0, unmatched_acks_ = 0,
           reconnects_ = 0, late_ = 0, missed_sends_ = 0;
  int64_t t0_ = 0, dispatch_end_ns_ = 0, send_end_ns_ = 0, max_lag_ = 0, last_lag_ = 0;
  util::Histogram latency_;
  util::RunTimeline timeline_;
  // --check-via
  std::vector<StoreKey> store_keys_;
  std::map<std::pair<std::string, uint32_t>, size_t> store_key_index_;  // (uid for person channels, target)
  bool heads_unknown_ = false, store_checked_ = false, store_interrupted_ = false;
  std::vector<std::string> store_not_read_;  // channels a signal left unread
  std::vector<std::vector<int64_t>> store_ids_;  // per record, when store_checked_
  std::string store_error_;
  uint64_t store_pages_ = 0, store_read_ = 0, store_matched_ = 0, store_channels_ = 0;
};

void Engine::check_store(const ApiPost& post) {
  // What to look for, per channel: "from_uid\nclient_msg_no" -> record.
  std::vector<std::unordered_map<std::string, uint32_t>> wanted(store_keys_.size());
  for (uint32_t i = 0; i < records_.size(); ++i) {
    const Record& r = records_[i];
    wanted[store_key_of(r)].emplace(sender_of(r) + '\n' + std::string(cmn_of(r)), i);
  }
  std::vector<std::vector<int64_t>> ids(records_.size());
  std::string key;
  auto channel_name = [](const StoreChannel& c) {
    return "channel " + c.channel_id + ":" + std::to_string(c.channel_type) + " (as " + c.login_uid + ")";
  };
  // A signal: this channel (read in part, or not at all) and every one after it stay unread.
  auto interrupted_at = [&](size_t k) {
    store_interrupted_ = true;
    for (size_t rest = k; rest < store_keys_.size(); ++rest)
      if (!wanted[rest].empty()) store_not_read_.push_back(channel_name(store_keys_[rest].channel));
    store_error_ = signal_name(store_stop_.load()) + " while reading the store; not read: ";
    for (size_t i = 0; i < store_not_read_.size(); ++i) store_error_ += (i ? ", " : "") + store_not_read_[i];
  };
  for (size_t k = 0; k < store_keys_.size(); ++k) {
    if (wanted[k].empty()) continue;
    const StoreKey& sk = store_keys_[k];
    if (store_stop_.load()) {
      interrupted_at(k);
      break;
    }
    ++store_channels_;
    auto got = read_store_channel(post, sk.channel, sk.start_seq, o_.check_via_page_size, [&](const StoredMessage& m) {
      key.assign(m.from_uid);
      key += '\n';
      key.append(m.client_msg_no);
      auto it = wanted[k].find(key);
      if (it == wanted[k].end()) return;
      ++store_matched_;
      auto& v = ids[it->second];
      if (std::find(v.begin(), v.end(), m.message_id) == v.end()) v.push_back(m.message_id);
    });
    if (!got && store_stop_.load()) {
      interrupted_at(k);
      break;
    }
    if (!got) {
      store_error_ = channel_name(sk.channel) + ": " + got.error().message;
      break;
    }
    store_pages_ += got->pages;
    store_read_ += got->messages;
  }
  if (!store_error_.empty()) {
    uint64_t unverified = 0;
    for (auto& r : records_) unverified += verdict_of(r, ids_of(r)) == MessageVerdict::unverified;
    notice("--check-via " + o_.check_via->to_string() + ": " + store_error_ + "; not checked, " +
           std::to_string(unverified) + " unverified message(s) stay unverified");
    return;
  }
  store_ids_ = std::move(ids);
  store_checked_ = true;
}

nlohmann::json Engine::verify_json(RunFindings& f) const {
  std::unordered_map<std::string_view, const Record*> sent;
  sent.reserve(records_.size());
  for (auto& r : records_) sent.emplace(cmn_of(r), &r);
  nlohmann::json per = nlohmann::json::array();
  uint64_t delivered = 0, lost = 0, unexpected = 0, preexisting = 0, dup_raw = 0, dup_ids = 0, delivered_unacked = 0;
  for (auto& rc : receivers_) {
    const auto& tr = rc->tracker();
    uint64_t r_delivered = 0, r_lost = 0, r_unexpected = 0, r_pre = 0, r_dup_raw = 0, r_dup_ids = 0;
    nlohmann::json unexpected_sample = nlohmann::json::array();
    for (auto& [cmn, ids] : tr.ids_by_client_msg_no()) {
      auto it = sent.find(cmn);
      if (it == sent.end()) {
        const bool old = baseline_cmns_.count(cmn) ||
                         std::all_of(ids.begin(), ids.end(), [&](int64_t id) { return baseline_ids_.count(id) > 0; });
        if (old) {
          ++r_pre;
          continue;
        }
        ++r_unexpected;
        if (unexpected_sample.size() < 10)
          unexpected_sample.push_back({{"client_msg_no", cmn}, {"message_id", ids.front()},
                                       {"message_idstr", std::to_string(ids.front())},
                                       {"from_uid", std::string(tr.from_of(cmn))}});
        continue;
      }
      ++r_delivered;
      if (!it->second->acked_ok) ++delivered_unacked;
      uint64_t n = tr.deliveries_of(cmn);
      if (n > 1) r_dup_raw += n - 1;
      if (ids.size() > 1) r_dup_ids += ids.size() - 1;
    }
    std::vector<std::string> lost_sample;
    for (auto& r : records_) {
      if (r.acked_ok && !tr.ids_by_client_msg_no().count(std::string(cmn_of(r)))) {
        ++r_lost;
        if (lost_sample.size() < 10) lost_sample.emplace_back(cmn_of(r));
      }
    }
    per.push_back({{"uid", rc->uid()}, {"delivered", r_delivered}, {"lost", r_lost},
                   {"lost_sample", lost_sample}, {"unexpected", r_unexpected},
                   {"unexpected_sample", unexpected_sample}, {"preexisting", r_pre},
                   {"duplicated_raw", r_dup_raw}, {"duplicated_distinct_message_ids", r_dup_ids},
                   {"received", tr.received()}, {"latency", latency_json(tr.latency())},
                   {"connection_lost", rc->connection_lost() ? rc->lost_reason() : ""}});
    delivered += r_delivered;
    lost += r_lost;
    unexpected += r_unexpected;
    preexisting += r_pre;
    dup_raw += r_dup_raw;
    dup_ids += r_dup_ids;
  }
  f.lost = lost;
  f.unexpected = unexpected;
  f.repeat_deliveries = dup_raw;
  return {{"receivers", per.size()},
          {"attempted", records_.size()},
          {"acknowledged", acked_},
          {"delivered", delivered},
          {"delivered_unacknowledged", delivered_unacked},
          {"lost", lost},
          {"unexpected", unexpected},
          {"preexisting", preexisting},
          {"preexisting_deliveries_at_start", baseline_deliveries_},
          {"duplicated", {{"raw", dup_raw}, {"distinct_message_ids", dup_ids}}},
          {"per_receiver", per}};
}

SendOutcome Engine::outcome() {
  SendOutcome out;
  out.latency = latency_;
  out.timeline = std::move(timeline_);
  RunFindings& f = out.findings;
  f.connection_failed = fatal_;
  f.interrupted = stopping_ || store_interrupted_;
  f.fail_on_repeat = o_.fail_on_duplicate;
  out.error = fatal_msg_;
  if (!receivers_.empty()) deliveries_awaited_ = true;  // the receivers' view so far decides
  std::map<std::string, uint64_t> reasons;
  std::map<std::string, uint64_t> verdicts{{"idempotent", 0}, {"duplicated", 0}, {"unverified", 0}, {"failed", 0}};
  std::map<std::string, uint64_t> settled{{"idempotent", 0}, {"duplicated", 0}, {"failed", 0}};
  uint64_t dup_extra = 0, missing_acks = 0, not_acked = 0, store_duplicates = 0, acked_not_stored = 0;
  nlohmann::json samples = nlohmann::json::object();
  for (auto& r : records_) {
    reasons[reason_of(r)]++;
    const auto ids = ids_of(r);
    const MessageVerdict v = verdict_of(r, ids);
    ++verdicts[verdict_name(v)];
    if (store_checked_) {
      // What the store changed: unverified messages settled, and answered
      // ones it holds more than once.
      const MessageVerdict before = verdict_of(r, ids_of(r, false), false);
      if (before == MessageVerdict::unverified && v != before) ++settled[verdict_name(v)];
      if (before == MessageVerdict::idempotent && v == MessageVerdict::duplicated) ++store_duplicates;
      if (r.acked_ok && store_ids_[index_of(r)].empty()) ++acked_not_stored;
    }
    if (v != MessageVerdict::idempotent) {
      auto& list = samples[verdict_name(v)];
      if (list.size() < 10) list.push_back(record_json(r));
    }
    if (ids.size() > 1) dup_extra += ids.size() - 1;
    if (r.acks < r.attempts) ++missing_acks;
    if (!r.acked_ok) ++not_acked;
    // With receivers or a store check, per-message lines come now that their view is known.
    if (h_.on_message && lines_at_end()) h_.on_message(record_json(r));
  }
  f.duplicated = verdicts["duplicated"];
  f.unverified = verdicts["unverified"];
  f.failed = verdicts["failed"];
  const double send_s = double((send_end_ns_ ? send_end_ns_ : mono_ns()) - t0_) / 1e9;
  const double dispatch_s = double((dispatch_end_ns_ ? dispatch_end_ns_ : mono_ns()) - t0_) / 1e9;
  const uint64_t attempted = records_.size();
  nlohmann::json j = {
      {"server", o_.api ? o_.api->to_string() : o_.url.to_string()},
      {"via", o_.api ? "http" : "wkproto"},
      {"attempted", attempted},
      {"sends", sends_total_},
      {"sendacks", acks_total_},
      {"acknowledged", acked_},
      {"not_acknowledged", not_acked},
      {"reasons", reasons},
      {"verdicts", verdicts},
      {"duplicates_created", verdicts["duplicated"]},
      {"duplicate_message_ids", dup_extra},
      {"messages_missing_sendacks", missing_acks},
      {"unmatched_sendacks", unmatched_acks_},
      {"reconnects", reconnects_},
      {"connections", lanes_.size()},
      {"window", o_.window},
      {"retries", o_.retries},
      {"encrypt", o_.base.encrypt && !o_.base.jsonrpc},
      {"elapsed_s", send_s},
      {"throughput_per_s", send_s > 0 ? double(acked_) / send_s : 0.0},
      {"send_rate_per_s", dispatch_s > 0 ? double(attempted) / dispatch_s : 0.0},
      {"latency", latency_json(latency_)},
      {"interrupted", stopping_ || store_interrupted_},
  };
  if (!samples.empty()) j["samples"] = samples;
  if (o_.base.jsonrpc && !o_.api) {
    j["protocol"] = "jsonrpc";
    j["jsonrpc_compat"] = proto::jsonrpc::compat_name(o_.base.jsonrpc_compat);
    j["jsonrpc_errors"] = rpc_errors_;
  }
  if (o_.check_via) {
    f.store_check_failed = !store_checked_;
    nlohmann::json c = {{"url", o_.check_via->to_string()},
                        {"checked", store_checked_},
                        {"channels", store_channels_},
                        {"pages", store_pages_},
                        {"messages_read", store_read_},
                        {"matched", store_matched_},
                        {"from_seq_unknown", heads_unknown_}};
    if (store_checked_) {
      c["settled"] = settled;
      c["store_duplicates"] = store_duplicates;
      c["acknowledged_not_stored"] = acked_not_stored;
    } else {
      c["error"] = store_error_;
    }
    if (store_interrupted_) {
      c["interrupted"] = true;
      c["not_read"] = store_not_read_;
    }
    j["checked_via"] = std::move(c);
  }
  if (o_.api) j["api_compat"] = o_.api_generation == ApiGeneration::v3 ? 3 : 2;
  if (o_.drop_answers > 0) j["answers_dropped"] = answers_dropped_;
  if (!lanes_.empty() && lanes_[0]->conn) j["proto_version"] = lanes_[0]->conn->connack().version;
  Metrics metrics;
  add_latency_metrics(latency_, metrics);
  if (attempted > 0) metrics["acked_ratio"] = double(acked_) / double(attempted);
  metrics["duplicated"] = double(f.duplicated);
  metrics["unverified"] = double(f.unverified);
  metrics["failed"] = double(f.failed);
  metrics["throughput"] = send_s > 0 ? double(acked_) / send_s : 0.0;
  if (o_.rate > 0) {
    const uint64_t scheduled = attempted + missed_sends_;
    const double late_ratio = scheduled ? double(late_ + missed_sends_) / double(scheduled) : 0.0;
    metrics["late_ratio"] = late_ratio;
    j["schedule"] = {{"rate_per_s", o_.rate}, {"late_sends", late_}, {"missed_sends", missed_sends_},
                     {"late_ratio", late_ratio},
                     {"late_tolerance_ms", ns_to_ms(uint64_t(o_.late_tolerance.count()))},
                     {"max_lag_ms", ns_to_ms(uint64_t(max_lag_))},
                     {"behind_at_end_ms", ns_to_ms(uint64_t(std::max<int64_t>(0, last_lag_)))},
                     {"kept_up", late_ratio <= 0.01}};
  }
  if (!receivers_.empty()) {
    j["verify"] = verify_json(f);
    metrics["lost"] = double(f.lost);
  }
  if (!o_.thresholds.empty()) j["thresholds"] = evaluate_to_json(o_.thresholds, metrics, f.failed_thresholds);
  out.exit_code = exit_code(f);
  // The run's verdict: the worst message verdict (acknowledged messages no
  // receiver got make it "lost"); findings say the rest.
  j["verdict"] = f.connection_failed       ? "error"
                 : verdicts["duplicated"]  ? "duplicated"
                 : f.lost                  ? "lost"
                 : verdicts["unverified"]  ? "unverified"
                 : verdicts["failed"]      ? "failed"
                 : attempted == 0          ? "nothing sent"
                                           : "idempotent";
  j["findings"] = describe(f);
  if (f.connection_failed) j["error"] = fatal_msg_;
  j["exit_code"] = out.exit_code;
  out.summary = std::move(j);
  return out;
}

}  // namespace

namespace {

// Runs `read` (blocking HTTP requests on this thread) while another thread
// runs ctx, which then has only the signal handlers to serve.
template <class Read>
void read_store_watching_signals(asio::io_context& ctx, bool handle_signals, Read&& read) {
  if (!handle_signals) return read();
  ctx.restart();
  std::thread signals_thread([&ctx] { ctx.run(); });
  read();
  asio::post(ctx, [&ctx] { ctx.stop(); });  // a signal wait stays armed for what comes next
  signals_thread.join();
}

}  // namespace

SendOutcome run_send(const SendOptions& opts, const SendHooks& hooks) {
  asio::io_context ctx(1);
  Engine engine(opts, hooks, ctx);
  std::exception_ptr crashed;
  std::unique_ptr<net::HttpClient> api;
  ApiPost post;
  if (opts.handle_signals) engine.catch_signals();
  if (opts.check_via) {
    api = std::make_unique<net::HttpClient>(*opts.check_via, opts.check_via_tls, opts.connect_timeout);
    post = api_post_over(*api, engine.store_stop());
    read_store_watching_signals(ctx, opts.handle_signals, [&] { engine.mark_store_heads(post); });
    if (engine.interrupted_before_run()) return engine.outcome();
  }
  ctx.restart();
  asio::co_spawn(ctx, engine.main(), [&](std::exception_ptr e) { crashed = e; });
  ctx.run();
  if (crashed) std::rethrow_exception(crashed);
  if (opts.check_via && !engine.ended_now()) {
    if (opts.handle_signals) engine.watch_signals_while_reading_store();
    read_store_watching_signals(ctx, opts.handle_signals, [&] { engine.check_store(post); });
  }
  return engine.outcome();
}

}  // namespace wkit::app
