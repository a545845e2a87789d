#pragma once
// The expected conclusion of every tool in every incident scenario: the one
// table the scenario tests assert and verdicts_doc_test.cpp compares, cell
// for cell, with the scenario table in docs/verdicts.md. A cell is
// "VERDICT / EXIT" ("-" when the scenario does not run that tool).
#include <string>
#include <vector>

namespace wkit::scenarios {

struct ScenarioExpectation {
  std::string name;         // the gtest name of the scenario (Scenario.NAME)
  std::string send;         // `wkit send -o json`: summary verdict / exit
  std::string send_verify;  // `wkit send --verify --receiver bob -o json`
  std::string recv;         // `wkit recv -u bob -o json`: duplicated | redelivered | clean / exit
  std::string audit;        // `wkit audit DATA/wkit.db -o json`: status / exit
  // `wkit audit CAPTURE.wkcap -o json` of a `wkit proxy --capture` between
  // the clients and the server: status / exit
  std::string audit_capture;
  // `wkit replay CAPTURE.wkcap --expect-same` against a fresh server with the
  // same flags: same | differ | failed / exit
  std::string replay;
};

inline const std::vector<ScenarioExpectation> kScenarios = {
    {"SendackLostDedupOff", "unverified / 1", "duplicated / 1", "duplicated / 1",
     "findings / 1", "findings / 1", "same / 0"},
    {"SendackLostDedupOn", "unverified / 1", "idempotent / 0", "clean / 0", "clean / 0", "clean / 0", "same / 0"},
    {"ForcedRetriesDedupOn", "idempotent / 0", "idempotent / 0", "clean / 0", "clean / 0", "clean / 0", "same / 0"},
    {"ForcedRetriesDedupOff", "duplicated / 1", "duplicated / 1", "duplicated / 1",
     "findings / 1", "findings / 1", "same / 0"},
    {"RecvackLostRedelivery", "idempotent / 0", "idempotent / 0", "redelivered / 0, 1 with --fail-on-duplicate",
     "clean / 0", "clean / 0", "same / 0"},
    {"ServerKilledNotRestarted", "error / 3", "-", "clean / 3", "clean / 0", "-", "-"},
    {"ReceiverOfflineThenOnline", "idempotent / 0", "idempotent / 0", "clean / 0", "clean / 0", "-", "-"},
    {"ResendWithChangedPayload", "failed / 1", "failed / 1", "clean / 0", "clean / 0", "clean / 0", "same / 0"},
    {"TwoDevicesOfOneUid", "idempotent / 0", "-", "clean / 0", "clean / 0", "-", "-"},
    {"ServerHandlesSendTwiceDedupOff", "duplicated / 1", "duplicated / 1", "duplicated / 1",
     "findings / 1", "findings / 1", "same / 0"},
    {"ServerHandlesSendTwiceDedupOn", "idempotent / 0", "idempotent / 0", "clean / 0",
     "clean / 0", "clean / 0", "same / 0"},
    {"InterruptedSendacksLost", "unverified / 1", "idempotent / 0", "clean / 0", "clean / 0", "-", "-"},
    {"ResendInNewRunDedupOff", "idempotent / 0", "duplicated / 1", "duplicated / 1", "findings / 1", "-", "-"},
    {"ResendInNewRunDedupOn", "idempotent / 0", "idempotent / 0", "clean / 0", "clean / 0", "-", "-"},
    {"ServerRestartedMidSend", "-", "idempotent / 0", "-", "clean / 0", "-", "-"},
    {"ReconnectBeforeRetryDedupOff", "unverified / 1", "duplicated / 1", "duplicated / 1", "findings / 1", "-", "-"},
    {"ReconnectBeforeRetryDedupOn", "unverified / 1", "idempotent / 0", "clean / 0", "clean / 0", "-", "-"},
    {"SlowReceiverCutAndCaughtUp", "idempotent / 0", "-", "clean / 0", "clean / 0", "-", "-"},
};

}  // namespace wkit::scenarios
