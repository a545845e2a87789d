#pragma once
// What a capture holds (`wkit capture info`): connections, users, frame counts
// by type, time range, resends (the same client_msg_no sent more than once),
// SENDs whose SENDACK never came, faults the proxy injected, and anomalies.
// Built incrementally from records, so it works on captures of any size.
#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "wkit/capture/format.hpp"

namespace wkit::capture {

struct ConnectionSummary {
  uint64_t id = 0;
  pb::Connection info;  // the last one recorded
  int64_t first_ns = 0, last_ns = 0;
  uint64_t frames_c2s = 0, frames_s2c = 0;
  std::map<std::string, uint64_t> frames_by_type;
  std::string closed;  // reason, "" while open
  uint64_t anomalies = 0;
};

struct SendAttempt {
  uint64_t connection_id = 0;
  int64_t ts_ns = 0;
  uint32_t client_seq = 0;
  bool dup_flag = false;
};

// A SENDACK, RECV or RECVACK of a message, for its timeline (`capture info --report`).
struct MessageEvent {
  enum Kind : uint8_t { sendack, recv, recvack } kind = sendack;
  uint64_t connection_id = 0;
  int64_t ts_ns = 0;
  int64_t message_id = 0;
  uint8_t reason = 0;    // sendack
  bool dropped = false;  // sendack dropped by a proxy fault
};

// One message as the client identified it: (uid, channel, client_msg_no).
struct MessageSummary {
  std::string uid, channel_id, client_msg_no;
  uint8_t channel_type = 0;
  std::vector<SendAttempt> attempts;
  std::vector<int64_t> message_ids;  // distinct, in the order the SENDACKs came
  std::vector<uint8_t> reasons;      // of each SENDACK, in order
  uint64_t sendacks = 0;             // from the server (including dropped ones)
  uint64_t sendacks_dropped = 0;     // by a proxy fault: the client never saw them
  std::vector<MessageEvent> events;  // SENDACKs, RECVs (by from_uid + client_msg_no), RECVACKs, in capture order
};

struct UnackedSend {
  uint64_t connection_id = 0;
  int64_t ts_ns = 0;
  uint32_t client_seq = 0;
  std::string client_msg_no, channel_id;
};

struct FaultSummary {
  uint64_t connection_id = 0;
  int64_t ts_ns = 0;
  pb::Direction direction = pb::DIRECTION_UNSPECIFIED;
  std::string frame_type, action, spec;
};

struct AnomalySummary {
  uint64_t connection_id = 0;
  pb::Direction direction = pb::DIRECTION_UNSPECIFIED;
  pb::Anomaly anomaly;
};

struct CaptureSummary {
  pb::Header header;
  uint64_t records = 0, frames = 0;
  int64_t first_ns = 0, last_ns = 0;
  std::vector<ConnectionSummary> connections;  // by id
  std::set<std::string> users;
  std::map<std::string, uint64_t> frames_by_type;
  uint64_t encrypted_payloads = 0, plaintext_payloads = 0;
  std::vector<MessageSummary> resends;  // messages with more than one SEND
  std::vector<MessageSummary> duplicate_message_ids;  // one message, more than one message_id
  uint64_t messages = 0;                // distinct client_msg_no sent
  std::vector<UnackedSend> unacked;     // SENDs that no SENDACK answered
  uint64_t sendacks_unmatched = 0;      // SENDACKs with no SEND before them
  std::vector<FaultSummary> faults;
  std::vector<AnomalySummary> anomalies;
  uint64_t undecodable_frames = 0;      // frame records whose bytes do not decode
};

class SummaryBuilder {
 public:
  SummaryBuilder();
  ~SummaryBuilder();
  void set_header(const pb::Header& h);
  void add(const pb::Record& rec);
  CaptureSummary finish();

 private:
  struct State;
  std::unique_ptr<State> s_;
};

// The `capture info -o json` document (docs/capture.md).
nlohmann::ordered_json summary_to_json(const CaptureSummary& s);

}  // namespace wkit::capture
