#include "wkit/app/verdict.hpp"

namespace wkit::app {

const char* verdict_name(MessageVerdict v) {
  switch (v) {
    case MessageVerdict::idempotent: return "idempotent";
    case MessageVerdict::duplicated: return "duplicated";
    case MessageVerdict::unverified: return "unverified";
    case MessageVerdict::failed: return "failed";
  }
  return "failed";
}

MessageVerdict decide(const MessageEvidence& e) {
  if (e.distinct_ids > 1 || (e.store_checked && e.store_ids > 1)) return MessageVerdict::duplicated;
  if (e.receivers_saw) return MessageVerdict::idempotent;
  if (e.attempts == 0) return MessageVerdict::failed;
  if (e.answered < e.attempts) {
    // What became of the unanswered attempt: only the store can say.
    if (!e.store_checked) return MessageVerdict::unverified;
    return e.store_ids == 1 ? MessageVerdict::idempotent : MessageVerdict::failed;
  }
  if (e.accepted == 0) return MessageVerdict::failed;
  return MessageVerdict::idempotent;
}

int exit_code(const RunFindings& f) {
  // A duplicate or a corrupt delivery that was seen stays a failed check even
  // when the run then lost its server; what the loss left unknown does not.
  if (f.duplicated || f.bad_deliveries) return 1;
  if (f.connection_failed) return 3;
  if (f.duplicated || f.unverified || f.failed || f.lost || f.unexpected || f.bad_deliveries || f.missing ||
      f.store_check_failed ||
      (f.fail_on_repeat && f.repeat_deliveries) || !f.failed_thresholds.empty())
    return 1;
  return 0;
}

std::string describe(const RunFindings& f) {
  std::string out;
  auto add = [&](uint64_t n, const char* what) {
    if (n == 0) return;
    if (!out.empty()) out += "; ";
    out += std::to_string(n) + " " + what;
  };
  add(f.duplicated, "duplicated (server stored more than one message_id for one client_msg_no)");
  add(f.lost, "lost (acknowledged, never delivered)");
  add(f.unverified, "unverified (an attempt went unanswered)");
  add(f.failed, "failed (not sent, or refused by the server)");
  add(f.unexpected, "unexpected deliveries");
  add(f.bad_deliveries, "deliveries failing msg_key or payload checks");
  add(f.missing, "expected messages not received");
  if (f.fail_on_repeat) add(f.repeat_deliveries, "repeated deliveries");
  if (f.store_check_failed) {
    if (!out.empty()) out += "; ";
    out += "the server's store could not be checked (--check-via)";
  }
  for (auto& t : f.failed_thresholds) {
    if (!out.empty()) out += "; ";
    out += "threshold " + t + " failed";
  }
  if (f.interrupted) out += out.empty() ? "interrupted" : " (interrupted)";
  return out;
}

}  // namespace wkit::app
