#include "wkit/app/replay.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <csignal>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <memory>
#include <unordered_map>

#include "replay_compare.hpp"
#include "replay_plan.hpp"
#include "wkit/app/client_connection.hpp"
#include "wkit/util/histogram.hpp"
#include "wkit/util/ids.hpp"

namespace wkit::app {

using namespace replay_detail;
using Clock = std::chrono::steady_clock;

namespace {

// A timer wakes up tens of microseconds late, sometimes far more. So the
// timer is set this much before a frame's due time and the rest is waited out
// by yielding to the io_context (other connections keep reading and writing)
// until the clock gets there. Kept short: on a machine busy with other work
// a process that spins loses its wake-up priority and is then late by whole
// time slices (bench_replay.sh with compilers running: p99 about 2-3 ms with
// a 300 us spin against 0.3-1.4 ms without).
constexpr auto kSpinBeforeDue = std::chrono::microseconds(50);

// Which of the connection's recorded SENDs a SENDACK answers: SENDACKs match
// SENDs by client_seq, first come first answered. The chains are built before
// the timed loop so matching allocates nothing.
class SendackMatcher {
 public:
  explicit SendackMatcher(const Plan& plan) : next_same_(plan.sends.size(), kNone) {
    head_.reserve(plan.sends.size());
    std::unordered_map<uint32_t, size_t> tail;
    tail.reserve(plan.sends.size());
    for (size_t i = 0; i < plan.sends.size(); ++i) {
      uint32_t seq = plan.sends[i].client_seq;
      auto [it, added] = tail.try_emplace(seq, i);
      if (added) head_.emplace(seq, i);
      else next_same_[it->second] = i, it->second = i;
    }
  }
  // Send i went out with client_seq `seq` (the recorded one, or one the
  // session chose because the recording had 0).
  void sent(size_t i, uint32_t seq, uint32_t recorded_seq) {
    sent_ = i + 1;
    if (seq != recorded_seq) other_[seq].push_back(i);  // rare: not preallocated
  }
  // The send index a SENDACK for `seq` answers, or kNone.
  size_t answer(uint32_t seq) {
    if (auto o = other_.find(seq); o != other_.end() && !o->second.empty()) {
      size_t i = o->second.front();
      o->second.erase(o->second.begin());
      return i;
    }
    auto it = head_.find(seq);
    if (it == head_.end() || it->second == kNone || it->second >= sent_) return kNone;
    size_t i = it->second;
    it->second = next_same_[i];
    return i;
  }
  static constexpr size_t kNone = SIZE_MAX;

 private:
  std::unordered_map<uint32_t, size_t> head_;  // client_seq -> oldest unanswered send
  std::vector<size_t> next_same_;              // send -> next send with its client_seq
  std::map<uint32_t, std::vector<size_t>> other_;
  size_t sent_ = 0;
};

struct Runner {
  const ReplayOptions& o;
  asio::io_context& io;
  util::Histogram& drift;
  Clock::time_point start;
  std::vector<char>& finished;                                   // per plan: its replay has ended
  std::vector<std::unique_ptr<asio::steady_timer>>& finished_signal;  // cancelled when it has

  Clock::time_point at(int64_t t_ns) const {
    if (o.speed <= 0) return start;
    return start + std::chrono::nanoseconds(static_cast<int64_t>(double(t_ns) / o.speed));
  }

  asio::awaitable<void> wait_until(asio::steady_timer& timer, Clock::time_point t) {
    if (Clock::now() + kSpinBeforeDue < t) {
      timer.expires_at(t - kSpinBeforeDue);
      boost::system::error_code ec;
      co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
    while (Clock::now() < t) co_await asio::post(io, asio::use_awaitable);
  }

  asio::awaitable<void> wait_finished(size_t i) {
    while (!finished[i]) {
      boost::system::error_code ec;
      co_await finished_signal[i]->async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
  }

  session::ClientConfig config(const Plan& plan, const std::string& uid) const {
    session::ClientConfig cfg;
    cfg.uid = uid;
    if (auto it = o.tokens.find(uid); it != o.tokens.end()) cfg.token = it->second;
    else if (o.token) cfg.token = *o.token;
    else cfg.token = plan.token;
    cfg.device_id = plan.device_id;
    cfg.device_flag = plan.device_flag;
    cfg.proto_version = plan.connect_version;
    cfg.jsonrpc = plan.jsonrpc;
    cfg.jsonrpc_compat = plan.jsonrpc_compat;
    return cfg;
  }

  // The replay's log of each recorded SEND, built before the timed loop.
  std::vector<ReplaySend> send_log(const Plan& plan) const {
    std::vector<ReplaySend> log(plan.sends.size());
    std::unordered_map<std::string, std::string> fresh;  // recorded client_msg_no -> new one
    for (size_t i = 0; i < plan.sends.size(); ++i) {
      const auto& s = plan.sends[i];
      log[i].client_seq = s.client_seq;
      log[i].client_msg_no = s.client_msg_no;
      if (o.fresh_client_msg_no && !o.raw) {
        auto [it, added] = fresh.try_emplace(s.client_msg_no);
        if (added) it->second = util::random_client_msg_no();
        log[i].client_msg_no = it->second;
      }
      log[i].recorded_reason = s.reason;
      log[i].recorded_message_id = s.message_id;
    }
    return log;
  }

  // `prev`: the plan whose replay must have ended before this one connects.
  asio::awaitable<void> run(const Plan& plan, long prev, ReplayConnectionReport& rep) {
    rep.connection_id = plan.id;
    rep.uid = replay_uid(o, plan);
    rep.device_flag = plan.device_flag;
    rep.jsonrpc = plan.jsonrpc;
    if (plan.jsonrpc) rep.jsonrpc_compat = proto::jsonrpc::compat_name(plan.jsonrpc_compat);
    rep.frames_not_sent = plan.frames.size();
    asio::steady_timer timer(io);
    co_await wait_until(timer, at(plan.start_ns));
    if (prev >= 0) co_await wait_finished(size_t(prev));
    auto opened = co_await ClientConnection::open(o.server, config(plan, rep.uid), o.connect_timeout, o.tls.get());
    if (!opened) {
      rep.error = opened.error().message;
      rep.refused = true;
      co_return;
    }
    std::shared_ptr<ClientConnection> conn(std::move(opened.value()));
    std::vector<ReplaySend> log = send_log(plan);
    SendackMatcher matcher(plan);
    size_t sent = 0, outstanding = 0;
    auto on_event = [&](const session::ClientEvent& ev) {
      if (auto* a = std::get_if<session::SendackEvent>(&ev)) {
        ++rep.sendacks;
        size_t i = matcher.answer(a->frame.client_seq);
        if (i == SendackMatcher::kNone) return;
        --outstanding;
        log[i].reason = a->frame.reason_code;
        log[i].message_id = a->frame.message_id;
      } else if (auto* r = std::get_if<session::RecvEvent>(&ev)) {
        ++rep.recvs;
        if (o.ack_recvs && (r->check == session::RecvCheck::ok || r->check == session::RecvCheck::not_encrypted))
          conn->recvack(r->frame.message_id, r->frame.message_seq);
      } else if (auto* perr = std::get_if<session::ProtocolErrorEvent>(&ev)) {
        if (rep.error.empty()) rep.error = "protocol error from the server: " + perr->error.describe();
      }
    };
    // Any end the replay did not ask for (DISCONNECT, e.g. a kick; EOF; a
    // read error) fails the connection; the frame loop stops with it.
    auto on_closed = [&](const std::string& why) {
      if (rep.error.empty()) rep.error = why;
    };
    // Frames that came with the CONNACK (offline RECVs) are handed out by the
    // connection before its first read.
    conn->start(on_event, on_closed);
    size_t next = 0;
    for (; next < plan.frames.size() && conn->alive(); ++next) {
      const auto& f = plan.frames[next];
      if (o.speed > 0) {
        auto due = at(f.t_ns);
        co_await wait_until(timer, due);
        auto late = Clock::now() - due;
        drift.record(late.count() > 0 ? uint64_t(late.count()) : 0);
        if (!conn->alive()) break;
      }
      if (f.type == proto::FrameType::send) {
        const PlanSend& s = plan.sends[f.send_index];
        uint32_t seq = s.client_seq;
        if (o.raw) {
          // The recorded bytes as they are; the SEND is still matched with
          // its SENDACK by client_seq and reported like any other.
          conn->writer().enqueue(f.wire);
        } else {
          session::SendSpec spec;
          spec.channel_id = s.channel_id;
          spec.channel_type = s.channel_type;
          spec.client_msg_no = log[f.send_index].client_msg_no;
          spec.payload = s.payload;
          spec.client_seq = s.client_seq;
          spec.dup = s.dup;
          spec.setting = s.setting;
          spec.expire = s.expire;
          spec.red_dot = s.red_dot;
          auto r = conn->send(spec);
          if (!r) {
            if (rep.error.empty()) rep.error = r.error().message;
            break;
          }
          seq = r.value();
        }
        log[f.send_index].client_seq = seq;
        matcher.sent(f.send_index, seq, s.client_seq);
        sent = f.send_index + 1;
        ++outstanding;
        ++rep.sends;
      } else if (f.type == proto::FrameType::ping && !o.raw) {
        conn->session().encode_ping(conn->writer().buffer());
        conn->writer().commit();
      } else {
        conn->writer().enqueue(f.wire);  // RECVACK, SUB, ...: as recorded
      }
      ++rep.frames_sent;
      if (o.progress) o.progress->frames_sent.fetch_add(1, std::memory_order_relaxed);
      co_await conn->wait_writable();
    }
    rep.frames_not_sent = plan.frames.size() - next;
    auto give_up = Clock::now() + o.ack_timeout;
    while (outstanding > 0 && conn->alive() && Clock::now() < give_up) {
      timer.expires_after(std::chrono::milliseconds(2));
      boost::system::error_code ec;
      co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
    co_await conn->close(true);
    log.resize(sent);
    rep.send_log = std::move(log);
  }
};

std::string failure_line(const ReplayConnectionReport& r, const Plan& plan, bool with_loop) {
  std::string s = "connection " + std::to_string(r.connection_id) + " (" + r.uid +
                  (with_loop ? ", loop " + std::to_string(r.loop) : "") + "): ";
  if (r.refused) return s + "refused: " + r.error;
  s += "ended after " + std::to_string(r.frames_sent) + " of " + std::to_string(plan.frames.size()) +
       " frame(s): " + r.error;
  if (r.sends_not_compared) s += "; " + std::to_string(r.sends_not_compared) + " SEND(s) left unanswered";
  return s;
}

}  // namespace

Result<ReplayReport> replay(const ReplayOptions& o) {
  if (o.raw && o.fresh_client_msg_no)
    return Error{ErrorKind::usage, "--fresh-client-msg-no cannot be used with --raw (the recorded bytes are sent as they are)",
                 std::nullopt};
  uint64_t raw_encrypted = 0;
  auto plans = load_plans(o, &raw_encrypted);
  if (!plans) return plans.error();
  if (o.raw)
    for (const auto& p : *plans)
      if (p.jsonrpc)
        return Error{ErrorKind::usage,
                     "--raw cannot replay JSON-RPC connections (connection " + std::to_string(p.id) +
                         "): their answers are matched by request id, which only a replayed session knows; "
                         "JSON-RPC payloads are never encrypted, so replay them without --raw",
                     std::nullopt};
  const size_t n = plans->size();
  const auto prev = predecessors(o, *plans);
  ReplayReport report;
  report.raw_encrypted_sends = o.raw ? raw_encrypted : 0;
  util::Histogram drift;
  if (o.progress) {
    const uint64_t loops = uint64_t(std::max(1, o.loop));
    uint64_t frames = 0;
    for (const auto& p : *plans) frames += p.frames.size();
    o.progress->frames_total = frames * loops;
    o.progress->sessions_total = n * loops;
  }
  auto t_begin = Clock::now();
  for (int loop = 1; loop <= std::max(1, o.loop); ++loop) {
    asio::io_context io(1);
    std::vector<char> finished(n, 0);
    std::vector<std::unique_ptr<asio::steady_timer>> finished_signal;
    for (size_t i = 0; i < n; ++i)
      finished_signal.push_back(std::make_unique<asio::steady_timer>(io, asio::steady_timer::time_point::max()));
    Runner runner{o, io, drift, Clock::now() + std::chrono::milliseconds(20), finished, finished_signal};
    std::vector<ReplayConnectionReport> reps(n);
    for (size_t i = 0; i < n; ++i) {
      reps[i].loop = loop;
      asio::co_spawn(io, runner.run((*plans)[i], prev[i], reps[i]),
                     [&o, &reps, &finished, &finished_signal, i](std::exception_ptr e) {
                       if (e) {
                         try {
                           std::rethrow_exception(e);
                         } catch (const std::exception& x) {
                           reps[i].error = std::string("internal error: ") + x.what();
                         }
                       }
                       finished[i] = 1;
                       if (o.progress) o.progress->sessions_done.fetch_add(1, std::memory_order_relaxed);
                       finished_signal[i]->cancel();
                     });
    }
    asio::signal_set signals(io);
    if (o.handle_signals) {
      signals.add(SIGINT);
      signals.add(SIGTERM);
      signals.async_wait([&](boost::system::error_code ec, int sig) {
        if (ec) return;
        report.interrupted = true;
        for (size_t i = 0; i < n; ++i)
          if (!finished[i] && reps[i].error.empty())
            reps[i].error = std::string("interrupted (") + (sig == SIGINT ? "SIGINT" : "SIGTERM") + ")";
        io.stop();
      });
      // The signal wait is not work: io.run() returns when the replay is done.
      asio::co_spawn(io, [&]() -> asio::awaitable<void> {
        for (size_t i = 0; i < n; ++i) co_await runner.wait_finished(i);
        boost::system::error_code ignored;
        signals.cancel(ignored);
      }, asio::detached);
    }
    io.run();
    for (size_t i = 0; i < n; ++i) {
      auto& r = reps[i];
      compare_with_recording((*plans)[i], r, report.differences);
      if (!r.error.empty()) {
        ++report.failed_connections;
        report.failures.push_back(failure_line(r, (*plans)[i], o.loop > 1));
      }
      if (!r.refused) ++report.opened_connections;
      report.frames_sent += r.frames_sent;
      report.sends += r.sends;
      report.sendacks += r.sendacks;
      report.recvs += r.recvs;
      report.reason_mismatches += r.reason_mismatches;
      report.missing_sendacks += r.missing_sendacks;
      report.sends_not_compared += r.sends_not_compared;
      report.frames_not_sent += r.frames_not_sent;
      report.resent_messages += r.resent_messages;
      report.resent_same_id += r.resent_same_id;
      report.resent_new_id += r.resent_new_id;
      report.resent_unverified += r.resent_unverified;
      report.recorded_resent_new_id += r.recorded_resent_new_id;
      report.connections.push_back(std::move(r));
    }
    if (report.interrupted) break;
  }
  report.elapsed_s = std::chrono::duration<double>(Clock::now() - t_begin).count();
  report.drift_count = drift.count();
  if (drift.count()) {
    report.drift_p50_ns = drift.value_at_quantile(0.5);
    report.drift_p99_ns = drift.value_at_quantile(0.99);
    report.drift_max_ns = drift.max();
  }
  return report;
}

}  // namespace wkit::app
