#pragma once
// `wkit replay`: plays the client side of each recorded connection of a
// capture against a server, on a fresh connection with a new handshake:
// the recorded plaintext is re-encrypted with the new session keys, client_seq
// and client_msg_no are kept (so the server's idempotency is exercised as in
// the incident) unless fresh ones are asked for, and the recorded timing is
// kept (scaled by speed). Reports what the server answered compared with the
// recording, and how far actual send times drifted from the schedule.
//
// Connections run concurrently, except that a recorded reconnect of the same
// uid (after --map-uid) and device_flag opens only once the replay of the
// previous one has closed: the server allows one connection per uid and
// device_flag and would kick the earlier one (at --speed max they would all
// open at once).
#include <atomic>
#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "wkit/net/transport.hpp"
#include "wkit/proto/frame.hpp"
#include "wkit/util/error.hpp"

namespace wkit::app {

// Kept current by replay() for a progress line drawn by another thread.
struct ReplayProgress {
  std::atomic<uint64_t> frames_total{0}, frames_sent{0};      // over all loops
  std::atomic<uint64_t> sessions_total{0}, sessions_done{0};  // replayed connections, over all loops
};

struct ReplayOptions {
  std::string capture_path;
  net::Url server;
  std::shared_ptr<const net::ClientTls> tls;  // wss:// (null: system trust)
  double speed = 1.0;  // 0 = as fast as possible (--speed max)
  int loop = 1;
  std::map<std::string, std::string> map_uid;          // OLD=NEW
  std::optional<std::string> token;                    // for every connection
  std::unordered_map<std::string, std::string> tokens; // uid -> token (after mapping)
  bool fresh_client_msg_no = false;
  std::set<uint64_t> connections;                      // empty = all
  std::set<proto::FrameType> types{proto::FrameType::send};  // client frames to replay
  bool raw = false;   // resend recorded frame bytes (NoEncrypt servers only)
  bool ack_recvs = true;
  std::chrono::milliseconds ack_timeout{5000};
  std::chrono::milliseconds connect_timeout{5000};
  std::optional<int64_t> from_ns, to_ns;  // time range, relative to the capture start
  // SIGINT/SIGTERM end the replay: connections still running count as
  // failed ("interrupted"), never as differences, and the report is returned.
  bool handle_signals = false;
  ReplayProgress* progress = nullptr;  // optional
};

// One replayed SEND compared with its recorded counterpart.
struct ReplaySend {
  uint32_t client_seq = 0;
  std::string client_msg_no;           // as sent
  std::optional<uint8_t> recorded_reason;
  std::optional<int64_t> recorded_message_id;
  std::optional<uint8_t> reason;       // replay's SENDACK
  std::optional<int64_t> message_id;
};

struct ReplayConnectionReport {
  uint64_t connection_id = 0;          // in the capture
  int loop = 0;
  std::string uid;
  uint8_t device_flag = 0;
  bool jsonrpc = false;                // replayed over JSON-RPC (it was recorded so)
  std::string jsonrpc_compat;          // and in this generation ("2.1", "2.2", "2.2.3"), read from the recording
  // Why the connection failed, empty if it did not: the server refused it
  // (connect, handshake, CONNACK not success) or ended it before the replay
  // was done (DISCONNECT, e.g. a kick; EOF; protocol error). Frames it did not
  // get to send, and SENDs left unanswered by the failure, are not compared.
  std::string error;
  bool refused = false;                // failed before the CONNACK
  uint64_t frames_not_sent = 0;
  uint64_t frames_sent = 0, sends = 0, sendacks = 0, recvs = 0;
  std::vector<ReplaySend> send_log;
  uint64_t reason_mismatches = 0, missing_sendacks = 0;
  uint64_t sends_not_compared = 0;     // sent, then left unanswered by the connection's failure
  // Messages (client_msg_no) sent more than once: whether the resends got the
  // first send's message_id; unverified: an attempt went unanswered, so the
  // server may hold a copy no SENDACK named (the send verdict's rule).
  uint64_t resent_messages = 0, resent_same_id = 0, resent_new_id = 0, resent_unverified = 0;
  uint64_t recorded_resent_new_id = 0;
};

struct ReplayReport {
  std::vector<ReplayConnectionReport> connections;
  uint64_t frames_sent = 0, sends = 0, sendacks = 0, recvs = 0;
  uint64_t reason_mismatches = 0, missing_sendacks = 0, resent_messages = 0, resent_same_id = 0,
           resent_new_id = 0, resent_unverified = 0, recorded_resent_new_id = 0, failed_connections = 0;
  uint64_t frames_not_sent = 0, sends_not_compared = 0;  // by failed connections
  uint64_t drift_p50_ns = 0, drift_p99_ns = 0, drift_max_ns = 0, drift_count = 0;
  // --raw: recorded SENDs whose payload is encrypted with the recorded
  // session's keys (a server that checks msg_key refuses them: reason 8).
  uint64_t raw_encrypted_sends = 0;
  double elapsed_s = 0;
  // Differences from the recording (--expect-same): one line each. A failed
  // connection is not a difference: it is counted in failed_connections and
  // described in failures, one line each.
  std::vector<std::string> differences;
  std::vector<std::string> failures;
  uint64_t opened_connections = 0;     // got a successful CONNACK
  bool interrupted = false;            // ended by SIGINT/SIGTERM
  nlohmann::ordered_json to_json() const;
};

// Validates the capture and the options (e.g. still-encrypted payloads
// without --raw) before anything connects: bad_input or usage errors.
Result<ReplayReport> replay(const ReplayOptions& opts);

}  // namespace wkit::app
