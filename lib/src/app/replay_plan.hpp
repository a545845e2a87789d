#pragma once
// What `wkit replay` plays (internal to replay*.cpp): each recorded client
// connection's identity, its client frames on the recorded schedule, and the
// recorded answers to its SENDs. SENDs are decoded once here so the timed
// send loop neither decodes nor allocates.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "wkit/app/replay.hpp"
#include "wkit/proto/frame.hpp"
#include "wkit/proto/jsonrpc.hpp"

namespace wkit::app::replay_detail {

struct PlanSend {
  std::string channel_id, client_msg_no, payload;  // payload: plaintext (re-encrypted when sent)
  uint8_t channel_type = 1, setting = 0;
  uint32_t client_seq = 0, expire = 0;
  bool dup = false, red_dot = false;
  // The recorded server's answer.
  std::optional<uint8_t> reason;
  std::optional<int64_t> message_id;
};

struct PlanFrame {
  int64_t t_ns = 0;  // capture time, relative to the capture's first record
  proto::FrameType type{};
  std::string wire;       // recorded bytes: sent as they are (non-SEND frames, every frame with --raw)
  size_t send_index = 0;  // for SEND: index in Plan::sends
};

struct Plan {
  uint64_t id = 0;
  std::string uid, device_id, token;  // uid as recorded (before --map-uid)
  uint8_t device_flag = 0;
  int connect_version = proto::kMaxProtoVersion;
  // A JSON-RPC connection: replayed over JSON-RPC, in the generation its
  // client wrote (a recvack request: 2.1; embedded JSON payloads: 2.2;
  // else 2.2.3).
  bool jsonrpc = false;
  proto::jsonrpc::Compat jsonrpc_compat = proto::jsonrpc::Compat::v2_2_3;
  int64_t start_ns = 0;
  std::vector<PlanFrame> frames;
  std::vector<PlanSend> sends;
};

// The capture's client connections in connection id order, filtered by the
// options; bad_input for still-encrypted SEND payloads without --raw
// (*raw_encrypted: how many there are).
Result<std::vector<Plan>> load_plans(const ReplayOptions& o, uint64_t* raw_encrypted);

// The uid a connection replays as (after --map-uid).
std::string replay_uid(const ReplayOptions& o, const Plan& p);

// For each plan, the index of the plan it must wait for: the previous one (in
// recorded start order) with the same uid after mapping and device_flag, the
// pair the server allows one connection for; -1 for none.
std::vector<long> predecessors(const ReplayOptions& o, const std::vector<Plan>& plans);

}  // namespace wkit::app::replay_detail
