// ReplayReport::to_json: the `wkit replay -o json` document (docs/replay.md).
#include "wkit/app/replay.hpp"
#include "wkit/proto/codec.hpp"

namespace wkit::app {

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
    J conn = {{"connection_id", c.connection_id}, {"loop", c.loop}, {"uid", c.uid},
                     {"device_flag", c.device_flag}, {"protocol", c.jsonrpc ? "jsonrpc" : "wkproto"}, {"error", c.error}, {"refused", c.refused},
                     {"frames_sent", c.frames_sent}, {"frames_not_sent", c.frames_not_sent}, {"sends", c.sends},
                     {"sendacks", c.sendacks}, {"recvs", c.recvs}, {"reason_mismatches", c.reason_mismatches},
                     {"missing_sendacks", c.missing_sendacks}, {"sends_not_compared", c.sends_not_compared},
                     {"resent_messages", c.resent_messages}, {"resent_same_message_id", c.resent_same_id},
                     {"resent_new_message_id", c.resent_new_id}, {"resent_unverified", c.resent_unverified},
                     {"recorded_resent_new_message_id", c.recorded_resent_new_id}, {"send_log", sends}};
    if (c.jsonrpc) conn["jsonrpc_compat"] = c.jsonrpc_compat;
    conns.push_back(std::move(conn));
  }
  return J{{"connections", conns.size()},
           {"opened_connections", opened_connections},
           {"failed_connections", failed_connections},
           {"failures", failures},
           {"frames_sent", frames_sent},
           {"frames_not_sent", frames_not_sent},
           {"sends", sends},
           {"sendacks", sendacks},
           {"recvs", recvs},
           {"reason_mismatches", reason_mismatches},
           {"missing_sendacks", missing_sendacks},
           {"sends_not_compared", sends_not_compared},
           {"resent_messages", resent_messages},
           {"resent_same_message_id", resent_same_id},
           {"resent_new_message_id", resent_new_id},
           {"resent_unverified", resent_unverified},
           {"recorded_resent_new_message_id", recorded_resent_new_id},
           {"raw_encrypted_sends", raw_encrypted_sends},
           {"drift", {{"count", drift_count}, {"p50_ms", drift_p50_ns / 1e6}, {"p99_ms", drift_p99_ns / 1e6},
                      {"max_ms", drift_max_ns / 1e6}}},
           {"elapsed_s", elapsed_s},
           {"interrupted", interrupted},
           {"differences", differences},
           {"per_connection", conns}};
}

}  // namespace wkit::app
