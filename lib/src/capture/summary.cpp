#include "wkit/capture/summary.hpp"

#include <algorithm>
#include <deque>

#include "wkit/capture/record_decoder.hpp"
#include "wkit/crypto/crypto.hpp"
#include "wkit/proto/codec.hpp"
#include "wkit/proto/json.hpp"

namespace wkit::capture {

struct SummaryBuilder::State {
  CaptureSummary out;
  RecordDecoder decoder;  // both dialects; pairs JSON-RPC send results with their requests
  std::map<uint64_t, ConnectionSummary> conns;
  // (uid, channel_type, channel_id, client_msg_no) -> message
  std::map<std::tuple<std::string, uint8_t, std::string, std::string>, MessageSummary> messages;
  struct Pending {
    MessageSummary* msg;
    size_t attempt;
  };
  // (connection, client_seq) -> SEND attempts not yet answered, oldest first
  std::map<std::pair<uint64_t, uint32_t>, std::deque<Pending>> pending;
  // For RECV and RECVACK events: (from_uid, client_msg_no) -> message, and
  // (receiving connection, message_id) -> message until its RECVACK.
  std::map<std::pair<std::string, std::string>, MessageSummary*> by_sender;
  std::map<std::pair<uint64_t, int64_t>, MessageSummary*> delivered;
};

SummaryBuilder::SummaryBuilder() : s_(std::make_unique<State>()) {}
SummaryBuilder::~SummaryBuilder() = default;

void SummaryBuilder::set_header(const pb::Header& h) { s_->out.header = h; }

void SummaryBuilder::add(const pb::Record& rec) {
  auto& out = s_->out;
  ++out.records;
  int64_t ts = rec.timestamp_ns();
  if (ts) {
    if (!out.first_ns || ts < out.first_ns) out.first_ns = ts;
    out.last_ns = std::max(out.last_ns, ts);
  }
  uint64_t cid = rec.connection_id();
  auto& c = s_->conns[cid];
  c.id = cid;
  if (ts) {
    if (!c.first_ns || ts < c.first_ns) c.first_ns = ts;
    c.last_ns = std::max(c.last_ns, ts);
  }
  switch (rec.body_case()) {
    case pb::Record::kConnection:
      c.info = rec.connection();
      if (!c.info.uid().empty()) out.users.insert(c.info.uid());
      return;
    case pb::Record::kClosed:
      c.closed = rec.closed().reason().empty() ? "closed" : rec.closed().reason();
      s_->decoder.forget(cid);
      return;
    case pb::Record::kAnomaly:
      ++c.anomalies;
      out.anomalies.push_back({cid, rec.direction(), rec.anomaly()});
      return;
    case pb::Record::kFrame:
      break;
    default:
      return;  // a record kind from a newer writer
  }
  const pb::Frame& fr = rec.frame();
  ++out.frames;
  (rec.direction() == pb::SERVER_TO_CLIENT ? c.frames_s2c : c.frames_c2s)++;
  int version = fr.protocol_version() ? int(fr.protocol_version())
                : c.info.protocol_version() ? int(c.info.protocol_version())
                : out.header.protocol_version() ? int(out.header.protocol_version())
                : proto::kMaxProtoVersion;
  const DecodedRecord& d = s_->decoder.decode(rec, c.info, version);
  if (d.no_frame) return;  // a JSON-RPC error response: no frame
  if (!d.ok()) {
    ++out.undecodable_frames;
    return;
  }
  const proto::DecodeResult& r = d.result;
  std::string type(proto::frame_type_name(proto::type_of(r.frame)));
  ++out.frames_by_type[type];
  ++c.frames_by_type[type];
  if (fr.payload_state() == pb::PAYLOAD_ENCRYPTED) ++out.encrypted_payloads;
  if (fr.payload_state() == pb::PAYLOAD_PLAINTEXT) ++out.plaintext_payloads;
  if (fr.has_fault())
    out.faults.push_back({cid, ts, rec.direction(), type, fr.fault().action(), fr.fault().spec()});
  if (const auto* send = std::get_if<proto::Send>(&r.frame); send && rec.direction() != pb::SERVER_TO_CLIENT) {
    auto key = std::make_tuple(c.info.uid(), send->channel_type, std::string(send->channel_id),
                               std::string(send->client_msg_no));
    auto& m = s_->messages[key];
    if (m.attempts.empty()) {
      m.uid = c.info.uid();
      m.channel_type = send->channel_type;
      m.channel_id = send->channel_id;
      m.client_msg_no = send->client_msg_no;
      s_->by_sender[{m.uid, m.client_msg_no}] = &m;
    }
    m.attempts.push_back({cid, ts, send->client_seq, send->header.dup});
    s_->pending[{cid, send->client_seq}].push_back({&m, m.attempts.size() - 1});
  } else if (const auto* ack = std::get_if<proto::Sendack>(&r.frame); ack && rec.direction() != pb::CLIENT_TO_SERVER) {
    auto it = s_->pending.find({cid, ack->client_seq});
    if (it == s_->pending.end() || it->second.empty()) {
      ++out.sendacks_unmatched;
      return;
    }
    MessageSummary& m = *it->second.front().msg;
    it->second.pop_front();
    ++m.sendacks;
    if (fr.has_fault() && fr.fault().action() == "drop") ++m.sendacks_dropped;
    m.reasons.push_back(ack->reason_code);
    m.events.push_back({MessageEvent::sendack, cid, ts, ack->message_id, ack->reason_code,
                        fr.has_fault() && fr.fault().action() == "drop"});
    if (ack->message_id && std::find(m.message_ids.begin(), m.message_ids.end(), ack->message_id) == m.message_ids.end())
      m.message_ids.push_back(ack->message_id);
  } else if (const auto* recv = std::get_if<proto::Recv>(&r.frame); recv && rec.direction() != pb::CLIENT_TO_SERVER) {
    auto it = s_->by_sender.find({std::string(recv->from_uid), std::string(recv->client_msg_no)});
    if (it == s_->by_sender.end()) return;
    it->second->events.push_back({MessageEvent::recv, cid, ts, recv->message_id});
    s_->delivered[{cid, recv->message_id}] = it->second;
  } else if (const auto* rack = std::get_if<proto::Recvack>(&r.frame); rack && rec.direction() != pb::SERVER_TO_CLIENT) {
    auto it = s_->delivered.find({cid, rack->message_id});
    if (it == s_->delivered.end()) return;
    it->second->events.push_back({MessageEvent::recvack, cid, ts, rack->message_id});
    s_->delivered.erase(it);
  }
}

CaptureSummary SummaryBuilder::finish() {
  auto& out = s_->out;
  for (auto& [id, c] : s_->conns)
    if (c.info.ByteSizeLong() || c.frames_c2s || c.frames_s2c || c.anomalies) out.connections.push_back(c);
  for (auto& [key, m] : s_->messages) {
    ++out.messages;
    if (m.attempts.size() > 1) out.resends.push_back(m);
    if (m.message_ids.size() > 1) out.duplicate_message_ids.push_back(m);
  }
  for (auto& [key, q] : s_->pending)
    for (auto& p : q) {
      const auto& a = p.msg->attempts[p.attempt];
      out.unacked.push_back({a.connection_id, a.ts_ns, a.client_seq, p.msg->client_msg_no, p.msg->channel_id});
    }
  std::sort(out.unacked.begin(), out.unacked.end(),
            [](const UnackedSend& a, const UnackedSend& b) { return a.ts_ns < b.ts_ns; });
  return std::move(out);
}

namespace {
using J = nlohmann::ordered_json;

J ns_json(int64_t ns) { return J{{"ns", ns}, {"nsstr", std::to_string(ns)}}; }

J message_json(const MessageSummary& m) {
  J attempts = J::array();
  for (auto& a : m.attempts)
    attempts.push_back({{"connection_id", a.connection_id}, {"timestamp_ns", a.ts_ns},
                        {"client_seq", a.client_seq}, {"dup_flag", a.dup_flag}});
  J ids = J::array(), idstrs = J::array(), reasons = J::array();
  for (auto id : m.message_ids) {
    ids.push_back(id);
    idstrs.push_back(std::to_string(id));
  }
  for (auto r : m.reasons) reasons.push_back(std::string(proto::reason_code_name(r)));
  return J{{"uid", m.uid},           {"channel_id", m.channel_id},     {"channel_type", m.channel_type},
           {"client_msg_no", m.client_msg_no}, {"sends", m.attempts.size()}, {"attempts", attempts},
           {"sendacks", m.sendacks}, {"sendacks_dropped", m.sendacks_dropped},
           {"message_ids", ids},     {"message_idstrs", idstrs},        {"reasons", reasons}};
}
}  // namespace

nlohmann::ordered_json summary_to_json(const CaptureSummary& s) {
  J conns = J::array();
  for (auto& c : s.connections) {
    J types = J::object();
    for (auto& [t, n] : c.frames_by_type) types[t] = n;
    conns.push_back({{"id", c.id},
                     {"client_address", c.info.client_address()},
                     {"server_address", c.info.server_address()},
                     {"transport", c.info.transport()},
                     {"uid", c.info.uid()},
                     {"device_flag", c.info.device_flag()},
                     {"device_id", c.info.device_id()},
                     {"protocol_version", c.info.protocol_version()},
                     {"dialect", c.info.dialect() == pb::DIALECT_JSONRPC ? "jsonrpc" : "wkproto"},
                     {"first_ns", c.first_ns},
                     {"last_ns", c.last_ns},
                     {"frames_c2s", c.frames_c2s},
                     {"frames_s2c", c.frames_s2c},
                     {"frames_by_type", types},
                     {"closed", c.closed},
                     {"anomalies", c.anomalies}});
  }
  J types = J::object();
  for (auto& [t, n] : s.frames_by_type) types[t] = n;
  J users = J::array();
  for (auto& u : s.users) users.push_back(u);
  J resends = J::array(), dups = J::array();
  for (auto& m : s.resends) resends.push_back(message_json(m));
  for (auto& m : s.duplicate_message_ids) dups.push_back(message_json(m));
  J unacked = J::array();
  for (auto& u : s.unacked)
    unacked.push_back({{"connection_id", u.connection_id}, {"timestamp_ns", u.ts_ns}, {"client_seq", u.client_seq},
                       {"client_msg_no", u.client_msg_no}, {"channel_id", u.channel_id}});
  J faults = J::array();
  for (auto& f : s.faults)
    faults.push_back({{"connection_id", f.connection_id}, {"timestamp_ns", f.ts_ns},
                      {"direction", std::string(direction_name(f.direction))}, {"frame_type", f.frame_type},
                      {"action", f.action}, {"spec", f.spec}});
  J anomalies = J::array();
  for (auto& a : s.anomalies) {
    anomalies.push_back({{"connection_id", a.connection_id},
                         {"direction", std::string(direction_name(a.direction))},
                         {"kind", pb::Anomaly::Kind_Name(a.anomaly.kind())},
                         {"stream_offset", a.anomaly.stream_offset()},
                         {"length", a.anomaly.length()},
                         {"message", a.anomaly.message()}});
    if (a.anomaly.wire().empty()) continue;
    if (proto::is_valid_utf8(a.anomaly.wire())) anomalies.back()["wire"] = a.anomaly.wire();
    else anomalies.back()["wire_base64"] = crypto::base64_encode(a.anomaly.wire());
  }
  return J{{"format_version", s.header.format_version()},
           {"creator", s.header.creator()},
           {"source", s.header.source()},
           {"start_time", ns_json(s.header.start_time_ns())},
           {"records", s.records},
           {"frames", s.frames},
           {"first", ns_json(s.first_ns)},
           {"last", ns_json(s.last_ns)},
           {"duration_ms", s.last_ns > s.first_ns ? double(s.last_ns - s.first_ns) / 1e6 : 0.0},
           {"users", users},
           {"frames_by_type", types},
           {"encrypted_payloads", s.encrypted_payloads},
           {"plaintext_payloads", s.plaintext_payloads},
           {"messages", s.messages},
           {"resends", resends},
           {"duplicate_message_ids", dups},
           {"unacked_sends", unacked},
           {"sendacks_unmatched", s.sendacks_unmatched},
           {"faults", faults},
           {"anomalies", anomalies},
           {"undecodable_frames", s.undecodable_frames},
           {"connections", conns}};
}

}  // namespace wkit::capture
