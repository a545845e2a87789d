#pragma once
// The verdicts of `wkit send`, `wkit recv` and `send --verify`, decided here
// and nowhere else (docs/verdicts.md). A verdict says only what was
// observed: when an attempt went unanswered, the server may hold a copy the
// sender never saw, so the message is `unverified`, never `idempotent`.
#include <cstdint>
#include <string>
#include <vector>

namespace wkit::app {

enum class MessageVerdict { idempotent, duplicated, unverified, failed };
const char* verdict_name(MessageVerdict v);

// What was seen of one message (one client_msg_no).
struct MessageEvidence {
  uint32_t attempts = 0;      // SENDs written
  uint32_t answered = 0;      // SENDACKs matched to it, any reason
  uint32_t accepted = 0;      // SENDACKs with reason success
  uint32_t distinct_ids = 0;  // distinct message_ids, SENDACKs and receivers together
  bool receivers_saw = false; // --verify: every receiver got it (the receivers' view decides)
  // --check-via: the server's store was read (messagesync) for this sender,
  // channel and client_msg_no; store_ids is how many distinct message_ids it
  // holds (they are counted in distinct_ids too).
  bool store_checked = false;
  uint32_t store_ids = 0;
};

// duplicated: more than one message_id (SENDACKs, receivers or the store).
// With receivers that saw it, their view decides. An unanswered attempt is
// settled by the store when it was read (one id: idempotent; none: failed,
// never stored), else unverified. Failed when nothing was sent or every
// answer was a refusal, else idempotent.
MessageVerdict decide(const MessageEvidence& e);

// Findings of one run, whatever command saw them. Each non-zero count (and
// each failed threshold) is a failed check: exit 1.
struct RunFindings {
  uint64_t duplicated = 0;        // messages with more than one message_id (server-created duplicates)
  uint64_t unverified = 0;
  uint64_t failed = 0;
  uint64_t lost = 0;              // acknowledged, never delivered to a receiver
  uint64_t unexpected = 0;        // delivered, never sent in this run (nor pending before it)
  uint64_t bad_deliveries = 0;    // RECVs failing msg_key or payload checks
  uint64_t missing = 0;           // recv --count not reached
  uint64_t repeat_deliveries = 0; // same message delivered again (only fails with fail_on_repeat)
  bool fail_on_repeat = false;
  std::vector<std::string> failed_thresholds;
  bool store_check_failed = false; // --check-via could not read the server's store
  bool connection_failed = false; // the run could not complete: exit 3
  bool interrupted = false;       // SIGINT/SIGTERM: the summary covers what was measured so far
};

// 0 ok, 1 a check failed, 3 connection failure (CLI exit codes). Seen
// duplicates and corrupt deliveries exit 1 even when the connection failed.
int exit_code(const RunFindings& f);
// One line naming every failed check, most serious first ("" when none).
std::string describe(const RunFindings& f);

}  // namespace wkit::app
