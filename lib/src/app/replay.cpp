#include "wkit/app/replay.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <deque>
#include <memory>

#include "wkit/app/client_connection.hpp"
#include "wkit/capture/source.hpp"
#include "wkit/proto/codec.hpp"
#include "wkit/util/histogram.hpp"
#include "wkit/util/ids.hpp"

namespace wkit::app {

namespace pb = capture::pb;
using Clock = std::chrono::steady_clock;

namespace {

struct PlanFrame {
  int64_t t_ns = 0;  // capture time, relative to the capture's first record
  proto::FrameType type{};
  pb::Frame fr;
  int version = 6;
  size_t send_index = 0;  // for SEND: index in Plan::sends
};

struct RecordedSend {
  uint32_t client_seq = 0;
  std::string client_msg_no;
  std::optional<uint8_t> reason;
  std::optional<int64_t> message_id;
};

struct Plan {
  uint64_t id = 0;
  pb::Connection info;
  std::string token;
  int connect_version = proto::kMaxProtoVersion;
  int64_t start_ns = 0;
  bool has_start = false;
  std::vector<PlanFrame> frames;
  std::vector<RecordedSend> sends;
  std::map<uint32_t, std::deque<size_t>> pending;  // while loading: client_seq -> unanswered sends
};

Result<std::vector<Plan>> load(const ReplayOptions& o, uint64_t* raw_encrypted) {
  std::map<uint64_t, Plan> plans;
  int64_t t0 = 0;
  bool have_t0 = false;
  uint64_t encrypted = 0, first_encrypted_conn = 0;
  auto src = capture::read_records(o.capture_path, std::nullopt, {}, [&](const pb::Record& rec) -> Status {
    if (!have_t0 && rec.timestamp_ns()) {
      t0 = rec.timestamp_ns();
      have_t0 = true;
    }
    uint64_t cid = rec.connection_id();
    if (!o.connections.empty() && !o.connections.count(cid)) return std::nullopt;
    Plan& p = plans[cid];
    p.id = cid;
    if (!p.has_start) {
      p.start_ns = rec.timestamp_ns() - t0;
      p.has_start = true;
    }
    if (rec.has_connection()) {
      p.info = rec.connection();
      return std::nullopt;
    }
    if (!rec.has_frame()) return std::nullopt;
    int version = rec.frame().protocol_version() ? int(rec.frame().protocol_version())
                  : p.info.protocol_version()    ? int(p.info.protocol_version())
                                                 : proto::kMaxProtoVersion;
    auto r = proto::decode_frame(rec.frame().wire(), version);
    if (r.status != proto::DecodeStatus::ok) return std::nullopt;
    auto type = proto::type_of(r.frame);
    if (rec.direction() == pb::SERVER_TO_CLIENT) {
      if (const auto* a = std::get_if<proto::Sendack>(&r.frame)) {
        auto it = p.pending.find(a->client_seq);
        if (it != p.pending.end() && !it->second.empty()) {
          auto& s = p.sends[it->second.front()];
          it->second.pop_front();
          s.reason = a->reason_code;
          s.message_id = a->message_id;
        }
      }
      return std::nullopt;
    }
    if (const auto* c = std::get_if<proto::Connect>(&r.frame)) {
      p.token = c->token;
      p.connect_version = c->version == 0 ? proto::kMaxProtoVersion : c->version;
      if (p.info.uid().empty()) p.info.set_uid(std::string(c->uid));
      if (p.info.device_id().empty()) p.info.set_device_id(std::string(c->device_id));
      p.info.set_device_flag(c->device_flag);
      return std::nullopt;
    }
    int64_t rel = rec.timestamp_ns() - t0;
    if ((o.from_ns && rel < *o.from_ns) || (o.to_ns && rel > *o.to_ns)) return std::nullopt;
    if (!o.types.count(type)) return std::nullopt;
    PlanFrame f;
    f.t_ns = rel;
    f.type = type;
    f.fr = rec.frame();
    f.version = version;
    if (const auto* s = std::get_if<proto::Send>(&r.frame)) {
      if (rec.frame().payload_state() == pb::PAYLOAD_ENCRYPTED && ++encrypted == 1) first_encrypted_conn = cid;
      f.send_index = p.sends.size();
      p.sends.push_back({s->client_seq, std::string(s->client_msg_no), {}, {}});
      p.pending[s->client_seq].push_back(f.send_index);
    }
    p.frames.push_back(std::move(f));
    return std::nullopt;
  });
  if (!src) return src.error();
  if (encrypted && !o.raw)
    return Error::input(o.capture_path + ": " + std::to_string(encrypted) +
                        " SEND payload(s) are still encrypted (e.g. connection " +
                        std::to_string(first_encrypted_conn) +
                        "; an imported pcap cannot know the session keys), so they cannot be re-encrypted for a "
                        "new session; record with `wkit proxy`, or use --raw to resend the recorded bytes after a "
                        "fresh handshake (only for a server that accepts them, i.e. NoEncrypt frames)");
  if (raw_encrypted) *raw_encrypted = encrypted;
  std::vector<Plan> out;
  for (auto& [id, p] : plans)
    if (!p.frames.empty() || !p.info.uid().empty()) out.push_back(std::move(p));
  if (out.empty()) return Error::input(o.capture_path + ": no client connection to replay" +
                                       (o.connections.empty() ? "" : " (check --conn)"));
  return out;
}

struct Runner {
  const ReplayOptions& o;
  asio::io_context& io;
  util::Histogram& drift;
  Clock::time_point start;

  asio::awaitable<void> sleep_until(Clock::time_point t) {
    asio::steady_timer timer(io, t);
    boost::system::error_code ec;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }

  Clock::time_point at(int64_t t_ns) const {
    if (o.speed <= 0) return start;
    return start + std::chrono::nanoseconds(static_cast<int64_t>(double(t_ns) / o.speed));
  }

  asio::awaitable<void> run(const Plan& plan, ReplayConnectionReport& rep) {
    rep.connection_id = plan.id;
    std::string uid = plan.info.uid();
    if (auto it = o.map_uid.find(uid); it != o.map_uid.end()) uid = it->second;
    rep.uid = uid;
    session::ClientConfig cfg;
    cfg.uid = uid;
    if (auto it = o.tokens.find(uid); it != o.tokens.end()) cfg.token = it->second;
    else if (o.token) cfg.token = *o.token;
    else cfg.token = plan.token;
    cfg.device_id = plan.info.device_id();
    cfg.device_flag = static_cast<uint8_t>(plan.info.device_flag());
    cfg.proto_version = plan.connect_version;
    co_await sleep_until(at(plan.start_ns));
    auto opened = co_await ClientConnection::open(o.server, cfg, o.connect_timeout);
    if (!opened) {
      rep.error = opened.error().message;
      co_return;
    }
    std::shared_ptr<ClientConnection> conn(std::move(opened.value()));
    std::map<uint32_t, std::deque<size_t>> pending;
    size_t outstanding = 0;
    auto* repp = &rep;
    auto on_event = [&, repp](const session::ClientEvent& ev) {
      if (auto* a = std::get_if<session::SendackEvent>(&ev)) {
        ++repp->sendacks;
        auto it = pending.find(a->frame.client_seq);
        if (it == pending.end() || it->second.empty()) return;
        auto& s = repp->send_log[it->second.front()];
        it->second.pop_front();
        --outstanding;
        s.reason = a->frame.reason_code;
        s.message_id = a->frame.message_id;
      } else if (auto* r = std::get_if<session::RecvEvent>(&ev)) {
        ++repp->recvs;
        if (o.ack_recvs && (r->check == session::RecvCheck::ok || r->check == session::RecvCheck::not_encrypted))
          conn->recvack(r->frame.message_id, r->frame.message_seq);
      } else if (auto* perr = std::get_if<session::ProtocolErrorEvent>(&ev)) {
        // The connection ends after this; the frame loop below stops with it.
        if (repp->error.empty()) repp->error = "protocol error from the server: " + perr->error.describe();
      }
    };
    // Frames that came with the CONNACK (offline RECVs) are handed out by the
    // connection before its first read.
    conn->start(on_event);
    std::map<std::string, std::string> fresh;  // recorded client_msg_no -> new one
    std::string payload;
    for (const auto& f : plan.frames) {
      if (!conn->alive()) break;
      auto due = at(f.t_ns);
      if (o.speed > 0) {
        co_await sleep_until(due);
        auto late = Clock::now() - due;
        drift.record(late.count() > 0 ? uint64_t(late.count()) : 0);
      }
      if (o.raw) {
        // The recorded bytes as they are; a SEND among them is still matched
        // with its SENDACK by client_seq and reported like any other.
        conn->writer().enqueue(f.fr.wire());
        if (f.type == proto::FrameType::send) {
          auto r = proto::decode_frame(f.fr.wire(), f.version);
          const auto& s = std::get<proto::Send>(r.frame);
          const RecordedSend& recorded = plan.sends[f.send_index];
          ReplaySend log;
          log.client_seq = s.client_seq;
          log.client_msg_no = std::string(s.client_msg_no);
          log.recorded_reason = recorded.reason;
          log.recorded_message_id = recorded.message_id;
          pending[s.client_seq].push_back(rep.send_log.size());
          rep.send_log.push_back(std::move(log));
          ++outstanding;
          ++rep.sends;
        }
      } else if (f.type == proto::FrameType::send) {
        auto r = proto::decode_frame(f.fr.wire(), f.version);
        const auto& s = std::get<proto::Send>(r.frame);
        const RecordedSend& recorded = plan.sends[f.send_index];
        session::SendSpec spec;
        spec.channel_id = s.channel_id;
        spec.channel_type = s.channel_type;
        std::string cmn(s.client_msg_no);
        if (o.fresh_client_msg_no) {
          auto [it, added] = fresh.try_emplace(cmn);
          if (added) it->second = util::random_client_msg_no();
          cmn = it->second;
        }
        spec.client_msg_no = cmn;
        payload = f.fr.payload_state() == pb::PAYLOAD_PLAINTEXT ? f.fr.plaintext() : std::string(s.payload.data);
        spec.payload = payload;
        spec.client_seq = s.client_seq;
        spec.dup = s.header.dup;
        spec.setting = s.setting.bits & ~proto::Setting::kNoEncrypt;
        spec.expire = s.expire;
        spec.red_dot = s.header.red_dot;
        auto seq = conn->send(spec);
        if (!seq) {
          rep.error = seq.error().message;
          break;
        }
        ReplaySend log;
        log.client_seq = seq.value();
        log.client_msg_no = cmn;
        log.recorded_reason = recorded.reason;
        log.recorded_message_id = recorded.message_id;
        pending[seq.value()].push_back(rep.send_log.size());
        rep.send_log.push_back(std::move(log));
        ++outstanding;
        ++rep.sends;
      } else if (f.type == proto::FrameType::ping) {
        conn->session().encode_ping(conn->writer().buffer());
        conn->writer().commit();
      } else {
        conn->writer().enqueue(f.fr.wire());  // RECVACK, SUB, ...: as recorded
      }
      ++rep.frames_sent;
      co_await conn->wait_writable();
    }
    auto give_up = Clock::now() + o.ack_timeout;
    while (outstanding > 0 && conn->alive() && Clock::now() < give_up)
      co_await sleep_until(Clock::now() + std::chrono::milliseconds(5));
    co_await conn->close(true);
  }
};

void summarize(const Plan& plan, ReplayConnectionReport& rep, std::vector<std::string>& diffs) {
  std::map<std::string, std::vector<const ReplaySend*>> by_msg;
  std::map<std::string, std::set<int64_t>> recorded_ids;
  for (size_t i = 0; i < rep.send_log.size(); ++i) {
    const auto& s = rep.send_log[i];
    std::string key = i < plan.sends.size() ? plan.sends[i].client_msg_no : s.client_msg_no;
    by_msg[key].push_back(&s);
    if (s.recorded_message_id) recorded_ids[key].insert(*s.recorded_message_id);
    if (s.recorded_reason && !s.reason) {
      ++rep.missing_sendacks;
      diffs.push_back("connection " + std::to_string(plan.id) + " client_seq " + std::to_string(s.client_seq) +
                      ": recorded a SENDACK (" + std::string(proto::reason_code_name(*s.recorded_reason)) +
                      "), replay got none");
    } else if (s.recorded_reason && s.reason && *s.reason != *s.recorded_reason) {
      ++rep.reason_mismatches;
      diffs.push_back("connection " + std::to_string(plan.id) + " client_seq " + std::to_string(s.client_seq) +
                      ": reason " + std::string(proto::reason_code_name(*s.reason)) + ", recorded " +
                      std::string(proto::reason_code_name(*s.recorded_reason)));
    }
  }
  for (auto& [key, sends] : by_msg) {
    std::set<int64_t> ids;
    for (auto* s : sends)
      if (s->message_id) ids.insert(*s->message_id);
    size_t rec_n = recorded_ids[key].size();
    if (sends.size() > 1) {
      ++rep.resent_messages;
      if (ids.size() == 1) ++rep.resent_same_id;
      if (ids.size() > 1) ++rep.resent_new_id;
      if (rec_n > 1) ++rep.recorded_resent_new_id;
    }
    if (rec_n && ids.size() != rec_n)
      diffs.push_back("connection " + std::to_string(plan.id) + " client_msg_no " + key + ": recording got " +
                      std::to_string(rec_n) + " message_id(s), replay got " + std::to_string(ids.size()));
  }
}

}  // namespace

Result<ReplayReport> replay(const ReplayOptions& o) {
  if (o.raw && o.fresh_client_msg_no)
    return Error{ErrorKind::usage, "--fresh-client-msg-no cannot be used with --raw (the recorded bytes are sent as they are)",
                 std::nullopt};
  uint64_t raw_encrypted = 0;
  auto plans = load(o, &raw_encrypted);
  if (!plans) return plans.error();
  ReplayReport report;
  report.raw_encrypted_sends = o.raw ? raw_encrypted : 0;
  util::Histogram drift;
  auto t_begin = Clock::now();
  for (int loop = 1; loop <= std::max(1, o.loop); ++loop) {
    asio::io_context io(1);
    Runner runner{o, io, drift, Clock::now() + std::chrono::milliseconds(20)};
    std::vector<ReplayConnectionReport> reps(plans->size());
    for (size_t i = 0; i < plans->size(); ++i) {
      reps[i].loop = loop;
      asio::co_spawn(io, runner.run((*plans)[i], reps[i]), [&reps, i](std::exception_ptr e) {
        if (!e) return;
        try {
          std::rethrow_exception(e);
        } catch (const std::exception& x) {
          reps[i].error = std::string("internal error: ") + x.what();
        }
      });
    }
    io.run();
    for (size_t i = 0; i < plans->size(); ++i) {
      auto& r = reps[i];
      summarize((*plans)[i], r, report.differences);
      if (!r.error.empty()) {
        ++report.failed_connections;
        report.differences.push_back("connection " + std::to_string(r.connection_id) + ": " + r.error);
      }
      report.frames_sent += r.frames_sent;
      report.sends += r.sends;
      report.sendacks += r.sendacks;
      report.recvs += r.recvs;
      report.reason_mismatches += r.reason_mismatches;
      report.missing_sendacks += r.missing_sendacks;
      report.resent_messages += r.resent_messages;
      report.resent_same_id += r.resent_same_id;
      report.resent_new_id += r.resent_new_id;
      report.recorded_resent_new_id += r.recorded_resent_new_id;
      report.connections.push_back(std::move(r));
    }
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

nlohmann::ordered_json ReplayReport::to_json() const {
  using J = nlohmann::ordered_json;
  J conns = J::array();
  for (const auto& c : connections) {
    J sends = J::array();
    for (const auto& s : c.send_log) {
      J j{{"client_seq", s.client_seq}, {"client_msg_no", s.client_msg_no}};
      if (s.reason) j["reason"] = proto::reason_code_name(*s.reason);
      if (s.message_id) j["message_idstr"] = std::to_string(*s.message_id);
      if (s.recorded_reason) j["recorded_reason"] = proto::reason_code_name(*s.recorded_reason);
      if (s.recorded_message_id) j["recorded_message_idstr"] = std::to_string(*s.recorded_message_id);
      sends.push_back(std::move(j));
    }
    conns.push_back({{"connection_id", c.connection_id}, {"loop", c.loop}, {"uid", c.uid}, {"error", c.error},
                     {"frames_sent", c.frames_sent}, {"sends", c.sends}, {"sendacks", c.sendacks},
                     {"recvs", c.recvs}, {"reason_mismatches", c.reason_mismatches},
                     {"missing_sendacks", c.missing_sendacks}, {"resent_messages", c.resent_messages},
                     {"resent_same_message_id", c.resent_same_id}, {"resent_new_message_id", c.resent_new_id},
                     {"recorded_resent_new_message_id", c.recorded_resent_new_id}, {"send_log", sends}});
  }
  return J{{"connections", conns.size()},
           {"failed_connections", failed_connections},
           {"frames_sent", frames_sent},
           {"sends", sends},
           {"sendacks", sendacks},
           {"recvs", recvs},
           {"reason_mismatches", reason_mismatches},
           {"missing_sendacks", missing_sendacks},
           {"resent_messages", resent_messages},
           {"resent_same_message_id", resent_same_id},
           {"resent_new_message_id", resent_new_id},
           {"recorded_resent_new_message_id", recorded_resent_new_id},
           {"raw_encrypted_sends", raw_encrypted_sends},
           {"drift", {{"count", drift_count}, {"p50_ms", drift_p50_ns / 1e6}, {"p99_ms", drift_p99_ns / 1e6},
                      {"max_ms", drift_max_ns / 1e6}}},
           {"elapsed_s", elapsed_s},
           {"differences", differences},
           {"per_connection", conns}};
}

}  // namespace wkit::app
