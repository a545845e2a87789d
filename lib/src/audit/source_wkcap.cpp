// .wkcap captures (docs/capture-format.md): the messages a server stored, as
// seen on the wire. A SEND answered by a successful SENDACK is one stored
// message (client_msg_no, channel and payload from the SEND, sender = the
// connection's uid, message_id and message_seq from the SENDACK); a RECV is a
// delivered, hence stored, message. Each distinct message (message_id,
// client_msg_no, channel, sender) becomes one record, however often it was
// acknowledged or delivered, so a capture audits like the server's own store.
// Refused and unmatched SENDACKs are counted in the input's "capture" stats;
// unmatched ones and a cut-off last record are also skipped records (the
// audit could not see every stored message), and so is a SEND never answered
// whose message no RECV in the capture shows delivered: the server may have
// stored it under a message_id nobody in the capture saw.
// JSON-RPC connections read the same way: their send results are paired
// with their send requests by request id (capture/record_decoder.hpp).
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <map>
#include <unordered_map>

#include "wkit/audit/hash_set.hpp"
#include "wkit/audit/source.hpp"
#include "wkit/capture/reader.hpp"
#include "wkit/capture/record_decoder.hpp"
#include "wkit/proto/codec.hpp"
#include "wkit/util/channel.hpp"

namespace wkit::audit {

namespace {

namespace pb = capture::pb;

constexpr uint8_t kReasonSuccess = 1;
constexpr size_t kRefusedExamples = 10;
// SENDs kept per connection after their last SENDACK, for a server that
// answers one SEND more than once (handled twice): the extra SENDACK comes
// right after, so a few suffice and memory stays bounded.
constexpr size_t kAnsweredKept = 64;

// A SEND waiting for its SENDACK. `outstanding` counts resends on the same
// connection (same client_seq): each SENDACK settles one.
struct PendingSend {
  std::string client_msg_no, channel_id, payload;
  uint8_t channel_type = 0;
  uint32_t outstanding = 0;
  uint64_t first_record = 0;  // where it was first sent (its location when never answered)
};

struct ConnState {
  pb::Connection info;
  std::unordered_map<uint32_t, PendingSend> pending;  // by client_seq
  std::deque<std::pair<uint32_t, PendingSend>> answered;  // the last kAnsweredKept settled, oldest first
};

// A SEND attempt no SENDACK answered: settled only if its message was seen
// delivered (a RECV), as `send --verify` settles it by its receivers.
struct UnansweredSend {
  uint64_t message_key;  // message_key() of its sender, channel and client_msg_no
  uint64_t record;
  uint32_t attempts;
  std::string client_msg_no;
};

// A message's identity without its message_id: what a SEND and the RECVs of
// its stored copies share.
uint64_t message_key(std::string_view client_msg_no, std::string_view channel_id, int64_t channel_type,
                     std::string_view from_uid) {
  return hash_combine(client_msg_no_hash(client_msg_no),
                      hash_combine(channel_key(channel_id, channel_type), sender_hash(from_uid)));
}

// Where the server stores a conversation: person channels under `a@b`
// (docs/protocol.md section 5), whichever side's frame we saw.
void stored_channel(std::string_view uid, std::string_view channel_id, uint8_t type, std::string& out) {
  if (type == util::channel_type::person && !uid.empty() && !channel_id.empty())
    util::person_channel_id_to(uid, channel_id, out);
  else
    out.assign(channel_id);
}

std::string_view payload_of(const pb::Frame& f, std::string_view wire_payload) {
  return f.payload_state() == pb::PAYLOAD_PLAINTEXT ? std::string_view(f.plaintext()) : wire_payload;
}

class WkcapSource final : public RecordSource {
 public:
  WkcapSource(std::string name, std::string path, bool temp) : name_(std::move(name)), path_(std::move(path)), temp_(temp) {}
  ~WkcapSource() override {
    if (temp_) ::unlink(path_.c_str());
  }
  std::string format() const override { return "wkcap"; }
  std::string fields_seen() const override { return "message frames (SENDACK, RECV)"; }

  Status run(AuditContext& ctx, uint16_t input) override {
    auto reader = capture::CaptureReader::open(path_);
    if (!reader) return Error::input(name_ + ": " + reader.error().describe());
    RecordBuilder out(ctx, input);
    if (auto err = out.init()) return err;
    pb::Record rec;
    std::string channel;
    for (;;) {
      if (ctx.failed()) return std::nullopt;
      if (ctx.stopping()) break;  // the statistics cover the records read
      auto got = (*reader)->next(rec);
      if (!got) return Error::input(name_ + ": " + got.error().describe());
      if (!*got) break;
      ++records_;
      auto& conn = conns_[rec.connection_id()];
      if (rec.has_connection()) {
        conn.info = rec.connection();
        continue;
      }
      if (rec.has_closed()) {
        note_unanswered(conn);  // never got an answer
        decoder_.forget(rec.connection_id());
        continue;
      }
      if (!rec.has_frame()) continue;
      const auto& fr = rec.frame();
      const int version = fr.protocol_version()        ? int(fr.protocol_version())
                          : conn.info.protocol_version() ? int(conn.info.protocol_version())
                          : (*reader)->header().protocol_version() ? int((*reader)->header().protocol_version())
                                                                   : proto::kMaxProtoVersion;
      // JSON-RPC records (the SEND/SENDACK pairing by request id) as WKProto ones.
      const capture::DecodedRecord& d = decoder_.decode(rec, conn.info, version);
      if (d.no_frame) continue;  // a JSON-RPC error response to no send: nothing stored
      if (!d.ok()) {
        ++undecodable_;
        out.malformed(records_, (d.jsonrpc ? std::string("JSON-RPC message does not decode: ")
                                           : "frame does not decode at protocol version " + std::to_string(version) +
                                                 ": ") +
                                    d.result.error.describe());
        continue;
      }
      const proto::DecodeResult& r = d.result;
      const std::string_view uid = conn.info.uid();
      if (auto* s = std::get_if<proto::Send>(&r.frame)) {
        ++sends_;
        auto& p = conn.pending[s->client_seq];
        if (p.outstanding == 0) p.first_record = records_;
        p.client_msg_no.assign(s->client_msg_no);
        stored_channel(uid, s->channel_id, s->channel_type, p.channel_id);
        p.channel_type = s->channel_type;
        p.payload.assign(payload_of(fr, s->payload.data));
        ++p.outstanding;
      } else if (auto* a = std::get_if<proto::Sendack>(&r.frame)) {
        ++sendacks_;
        auto same_send = [&](uint32_t seq, const PendingSend& p) {
          return seq == a->client_seq && (a->client_msg_no.empty() || a->client_msg_no == p.client_msg_no);
        };
        auto it = conn.pending.find(a->client_seq);
        const bool pending_match = it != conn.pending.end() && same_send(it->first, it->second);
        // Else a SEND already answered, answered again (the server handled it twice).
        const PendingSend* again = nullptr;
        if (!pending_match)
          for (auto k = conn.answered.rbegin(); k != conn.answered.rend() && !again; ++k)
            if (same_send(k->first, k->second)) again = &k->second;
        const bool matched = pending_match || again;
        const PendingSend* send = pending_match ? &it->second : again;
        if (a->reason_code != kReasonSuccess) {
          ++refused_[a->reason_code];
          if (refused_examples_.size() < kRefusedExamples)
            refused_examples_.push_back(nlohmann::json{
                {"location", ctx.location(input, records_)},
                {"reason_code", a->reason_code},
                {"client_seq", a->client_seq},
                {"client_msg_no", std::string(matched ? std::string_view(send->client_msg_no) : a->client_msg_no)},
                {"from_uid", std::string(uid)}});
        } else if (!matched) {
          // The server stored a message whose client_msg_no and channel were
          // not captured: it cannot take part, so the audit is incomplete.
          ++unmatched_;
          ctx.skipped(input, records_,
                      "successful SENDACK without its SEND (message_id " + std::to_string(a->message_id) +
                          "): a stored message that cannot be audited");
        } else {
          RawFields f;
          f.message_id = static_cast<uint64_t>(a->message_id);
          f.message_seq = a->message_seq;
          f.client_msg_no = send->client_msg_no;
          f.from_uid = uid;
          f.channel_id = send->channel_id;
          f.channel_type = send->channel_type;
          f.timestamp = rec.timestamp_ns() / 1'000'000'000;
          f.payload = send->payload;
          if (record_once(f, out)) ++acked_;
          else ++repeated_;
        }
        if (pending_match && --it->second.outstanding == 0) {
          conn.answered.emplace_back(it->first, std::move(it->second));
          if (conn.answered.size() > kAnsweredKept) conn.answered.pop_front();
          conn.pending.erase(it);
        }
      } else if (auto* v = std::get_if<proto::Recv>(&r.frame)) {
        ++recvs_;
        RawFields f;
        f.message_id = static_cast<uint64_t>(v->message_id);
        f.message_seq = v->message_seq;
        f.client_msg_no = v->client_msg_no;
        f.from_uid = v->from_uid;
        stored_channel(uid, v->channel_id, v->channel_type, channel);
        f.channel_id = channel;
        f.channel_type = v->channel_type;
        f.timestamp = v->timestamp;
        f.payload = payload_of(fr, v->payload.data);
        delivered_.insert(message_key(*f.client_msg_no, channel, f.channel_type, f.from_uid));
        if (record_once(f, out)) ++delivered_only_;
        else ++repeated_;
      }
    }
    // Stopped (SIGINT): what is pending may be answered further on; the
    // report is unverified anyway.
    if (!ctx.stopping()) {
      for (auto& [id, c] : conns_) note_unanswered(c);
      for (auto& u : unanswered_sends_) {
        if (delivered_.contains(u.message_key)) continue;
        undelivered_ += u.attempts;
        for (uint32_t i = 0; i < u.attempts; ++i)
          ctx.skipped(input, u.record,
                      "SEND never answered (client_msg_no " + u.client_msg_no +
                          ") and no RECV of it in the capture: the server may have stored it");
      }
    }
    nlohmann::json refused = nlohmann::json::object();
    uint64_t refused_total = 0;
    for (auto& [reason, n] : refused_) {
      refused[std::to_string(reason)] = n;
      refused_total += n;
    }
    uint64_t unanswered = 0;
    for (auto& u : unanswered_sends_) unanswered += u.attempts;
    for (auto& [id, c] : conns_)
      for (auto& [seq, p] : c.pending) unanswered += p.outstanding;  // stopped early: not noted
    nlohmann::json stats = {{"records", records_},
                            {"sends", sends_},
                            {"sendacks", sendacks_},
                            {"recvs", recvs_},
                            {"acked_messages", acked_},
                            {"delivered_only_messages", delivered_only_},
                            {"repeated_observations", repeated_},
                            {"refused_sendacks", refused_total},
                            {"refused_by_reason", std::move(refused)},
                            {"refused_examples", std::move(refused_examples_)},
                            {"unmatched_sendacks", unmatched_},
                            {"unanswered_sends", unanswered},
                            {"unanswered_undelivered", undelivered_},
                            {"undecodable_frames", undecodable_}};
    if (auto& t = (*reader)->truncation()) {
      stats["truncated"] = t->describe();
      ctx.skipped(input, records_ + 1, "capture cut off: " + t->describe());
    }
    std::lock_guard lk(ctx.mu);
    ctx.inputs[input].details = {{"capture", std::move(stats)}};
    return std::nullopt;
  }

 private:
  // The SENDs of a connection still waiting for an answer, which will not come.
  void note_unanswered(ConnState& conn) {
    const std::string_view uid = conn.info.uid();
    for (auto& [seq, p] : conn.pending)
      if (p.outstanding)
        unanswered_sends_.push_back({message_key(p.client_msg_no, p.channel_id, p.channel_type, uid), p.first_record,
                                     p.outstanding, std::move(p.client_msg_no)});
    conn.pending.clear();
  }

  // Adds the message unless the same one (id, client_msg_no, channel, sender)
  // was recorded before: a resend answered with the original id, a RECV of
  // a message whose SENDACK we saw, a redelivery, a group fan-out.
  bool record_once(const RawFields& f, RecordBuilder& out) {
    const uint64_t id = hash_combine(hash_combine(*f.message_id, client_msg_no_hash(*f.client_msg_no)),
                                     hash_combine(channel_key(f.channel_id, f.channel_type), sender_hash(f.from_uid)));
    if (!seen_.insert(id)) return false;
    out.add(f, records_);
    return true;
  }

  std::string name_, path_;
  bool temp_;
  std::unordered_map<uint64_t, ConnState> conns_;
  capture::RecordDecoder decoder_;
  HashSet64 seen_;  // identities of the messages already recorded
  HashSet64 delivered_;  // message_key() of every message a RECV showed
  std::vector<UnansweredSend> unanswered_sends_;
  std::map<uint8_t, uint64_t> refused_;
  nlohmann::json refused_examples_ = nlohmann::json::array();
  uint64_t records_ = 0, sends_ = 0, sendacks_ = 0, recvs_ = 0, acked_ = 0, delivered_only_ = 0, repeated_ = 0,
           unmatched_ = 0, undecodable_ = 0, undelivered_ = 0;
};


}  // namespace

bool detect_wkcap(std::string_view head) { return capture::looks_like_wkcap(head); }

std::unique_ptr<RecordSource> wkcap_file_source(std::string name, std::string path, bool remove) {
  return std::make_unique<WkcapSource>(std::move(name), std::move(path), remove);
}

Result<std::unique_ptr<RecordSource>> open_wkcap(std::unique_ptr<PeekableInput> in, const AuditOptions& o) {
  if (in->compression() == Compression::none && in->name() != "<stdin>")
    return std::unique_ptr<RecordSource>(std::make_unique<WkcapSource>(in->name(), in->name(), false));
  // The capture reader reads files: a compressed capture or stdin is copied
  // (decompressed) to a temp file first.
  auto path = copy_to_temp_file(*in, temp_dir_of(o), "wkit-audit-wkcap-");
  if (!path) return path.error();
  return std::unique_ptr<RecordSource>(std::make_unique<WkcapSource>(in->name(), *path, true));
}

}  // namespace wkit::audit
