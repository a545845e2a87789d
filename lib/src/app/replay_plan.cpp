#include "replay_plan.hpp"

#include <algorithm>
#include <deque>
#include <map>
#include <numeric>

#include "wkit/capture/record_decoder.hpp"
#include "wkit/capture/source.hpp"
#include "wkit/proto/codec.hpp"

namespace wkit::app::replay_detail {

namespace pb = capture::pb;

namespace {

struct Loading {
  Plan plan;
  bool has_start = false;
  int recorded_version = 0;  // from the connection record
  capture::pb::Connection info;  // the last connection record
  std::map<uint32_t, std::deque<size_t>> pending;  // client_seq -> unanswered sends
};

PlanSend decoded_send(const proto::Send& s, const pb::Frame& fr) {
  PlanSend p;
  p.channel_id = std::string(s.channel_id);
  p.channel_type = s.channel_type;
  p.client_msg_no = std::string(s.client_msg_no);
  p.payload = fr.payload_state() == pb::PAYLOAD_PLAINTEXT ? fr.plaintext() : std::string(s.payload.data);
  p.client_seq = s.client_seq;
  p.dup = s.header.dup;
  p.setting = s.setting.bits & ~proto::Setting::kNoEncrypt;
  p.expire = s.expire;
  p.red_dot = s.header.red_dot;
  return p;
}

}  // namespace

Result<std::vector<Plan>> load_plans(const ReplayOptions& o, uint64_t* raw_encrypted) {
  std::map<uint64_t, Loading> plans;
  int64_t t0 = 0;
  bool have_t0 = false;
  uint64_t encrypted = 0, first_encrypted_conn = 0;
  capture::RecordDecoder decoder;
  auto src = capture::read_records(o.capture_path, std::nullopt, {}, [&](const pb::Record& rec) -> Status {
    if (!have_t0 && rec.timestamp_ns()) {
      t0 = rec.timestamp_ns();
      have_t0 = true;
    }
    uint64_t cid = rec.connection_id();
    if (!o.connections.empty() && !o.connections.count(cid)) return std::nullopt;
    Loading& l = plans[cid];
    Plan& p = l.plan;
    p.id = cid;
    if (!l.has_start) {
      p.start_ns = rec.timestamp_ns() - t0;
      l.has_start = true;
    }
    if (rec.has_connection()) {
      const auto& c = rec.connection();
      if (!c.uid().empty()) p.uid = c.uid();
      if (!c.device_id().empty()) p.device_id = c.device_id();
      p.device_flag = static_cast<uint8_t>(c.device_flag());
      l.recorded_version = int(c.protocol_version());
      l.info = c;
      if (c.dialect() == pb::DIALECT_JSONRPC) p.jsonrpc = true;
      return std::nullopt;
    }
    if (rec.has_closed()) decoder.forget(cid);
    if (!rec.has_frame()) return std::nullopt;
    int version = rec.frame().protocol_version() ? int(rec.frame().protocol_version())
                  : l.recorded_version            ? l.recorded_version
                                                  : proto::kMaxProtoVersion;
    const capture::DecodedRecord& d = decoder.decode(rec, l.info, version);
    if (!d.ok()) return std::nullopt;
    const proto::DecodeResult& r = d.result;
    if (d.jsonrpc) {
      p.jsonrpc = true;
      // The generation shows in what the client wrote: a recvack with an id
      // is 2.1's request form; an embedded JSON payload is 2.1 or 2.2 (2.2.3
      // writes base64). Without either sign, 2.2.3.
      if (rec.direction() == pb::CLIENT_TO_SERVER) {
        using proto::jsonrpc::Compat;
        if (d.kind == proto::jsonrpc::Kind::request && proto::type_of(r.frame) == proto::FrameType::recvack)
          p.jsonrpc_compat = Compat::v2_1;
        else if (d.payload_form == proto::jsonrpc::PayloadForm::json && p.jsonrpc_compat == Compat::v2_2_3)
          p.jsonrpc_compat = Compat::v2_2;
      }
    }
    auto type = proto::type_of(r.frame);
    if (rec.direction() == pb::SERVER_TO_CLIENT) {
      if (const auto* a = std::get_if<proto::Sendack>(&r.frame)) {
        auto it = l.pending.find(a->client_seq);
        if (it != l.pending.end() && !it->second.empty()) {
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
      if (p.uid.empty()) p.uid = std::string(c->uid);
      if (p.device_id.empty()) p.device_id = std::string(c->device_id);
      p.device_flag = c->device_flag;
      return std::nullopt;
    }
    int64_t rel = rec.timestamp_ns() - t0;
    if ((o.from_ns && rel < *o.from_ns) || (o.to_ns && rel > *o.to_ns)) return std::nullopt;
    if (!o.types.count(type)) return std::nullopt;
    PlanFrame f;
    f.t_ns = rel;
    f.type = type;
    const auto* s = std::get_if<proto::Send>(&r.frame);
    if (!s || o.raw) f.wire = rec.frame().wire();
    if (s) {
      if (rec.frame().payload_state() == pb::PAYLOAD_ENCRYPTED && ++encrypted == 1) first_encrypted_conn = cid;
      f.send_index = p.sends.size();
      p.sends.push_back(decoded_send(*s, rec.frame()));
      l.pending[s->client_seq].push_back(f.send_index);
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
  for (auto& [id, l] : plans)
    if (!l.plan.frames.empty() || !l.plan.uid.empty()) out.push_back(std::move(l.plan));
  if (out.empty()) return Error::input(o.capture_path + ": no client connection to replay" +
                                       (o.connections.empty() ? "" : " (check --conn)"));
  return out;
}

std::string replay_uid(const ReplayOptions& o, const Plan& p) {
  auto it = o.map_uid.find(p.uid);
  return it == o.map_uid.end() ? p.uid : it->second;
}

std::vector<long> predecessors(const ReplayOptions& o, const std::vector<Plan>& plans) {
  std::vector<size_t> order(plans.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return plans[a].start_ns < plans[b].start_ns; });
  std::vector<long> prev(plans.size(), -1);
  std::map<std::pair<std::string, uint8_t>, size_t> last;
  for (size_t i : order) {
    auto [it, added] = last.try_emplace({replay_uid(o, plans[i]), plans[i].device_flag}, i);
    if (!added) {
      prev[i] = long(it->second);
      it->second = i;
    }
  }
  return prev;
}

}  // namespace wkit::app::replay_detail
