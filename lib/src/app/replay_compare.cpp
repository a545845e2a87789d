#include "replay_compare.hpp"

#include <map>
#include <set>

#include "wkit/proto/codec.hpp"

namespace wkit::app::replay_detail {

void compare_with_recording(const Plan& plan, ReplayConnectionReport& rep, std::vector<std::string>& diffs) {
  const bool failed = !rep.error.empty();
  const std::string conn = "connection " + std::to_string(plan.id);
  struct Message {
    std::vector<const ReplaySend*> sends;
    std::set<int64_t> recorded_ids;
    bool cut_short = false;  // a send the failure left unanswered
  };
  std::map<std::string, Message> by_msg;
  for (size_t i = 0; i < rep.send_log.size(); ++i) {
    const auto& s = rep.send_log[i];
    std::string key = i < plan.sends.size() ? plan.sends[i].client_msg_no : s.client_msg_no;
    Message& m = by_msg[key];
    m.sends.push_back(&s);
    if (s.recorded_message_id) m.recorded_ids.insert(*s.recorded_message_id);
    if (!s.reason && failed) {
      ++rep.sends_not_compared;
      m.cut_short = true;
    } else if (s.recorded_reason && !s.reason) {
      ++rep.missing_sendacks;
      diffs.push_back(conn + " client_seq " + std::to_string(s.client_seq) + ": recorded a SENDACK (" +
                      std::string(proto::reason_code_name(*s.recorded_reason)) + "), replay got none");
    } else if (s.recorded_reason && s.reason && *s.reason != *s.recorded_reason) {
      ++rep.reason_mismatches;
      diffs.push_back(conn + " client_seq " + std::to_string(s.client_seq) + ": reason " +
                      std::string(proto::reason_code_name(*s.reason)) + ", recorded " +
                      std::string(proto::reason_code_name(*s.recorded_reason)));
    }
  }
  for (auto& [key, m] : by_msg) {
    std::set<int64_t> ids;
    bool all_answered = true;
    for (auto* s : m.sends) {
      if (s->message_id) ids.insert(*s->message_id);
      if (!s->reason) all_answered = false;
    }
    size_t rec_n = m.recorded_ids.size();
    if (m.sends.size() > 1) {
      ++rep.resent_messages;
      // One message_id is "same" only if every attempt was answered: an
      // unanswered one may be stored under an id no SENDACK named.
      if (ids.size() > 1) ++rep.resent_new_id;
      else if (ids.size() == 1 && all_answered) ++rep.resent_same_id;
      else ++rep.resent_unverified;
      if (rec_n > 1) ++rep.recorded_resent_new_id;
    }
    if (rec_n && ids.size() != rec_n && !m.cut_short)
      diffs.push_back(conn + " client_msg_no " + key + ": recording got " + std::to_string(rec_n) +
                      " message_id(s), replay got " + std::to_string(ids.size()));
  }
}

}  // namespace wkit::app::replay_detail
