#pragma once
// Compares one replayed connection with its recording (internal to replay*.cpp).
#include <string>
#include <vector>

#include "replay_plan.hpp"

namespace wkit::app::replay_detail {

// Fills rep's comparison counters and appends one line per difference. A
// failed connection (rep.error set) is compared only as far as it got: SENDs
// the failure left unanswered count in sends_not_compared, not as missing
// SENDACKs, and their messages' message_ids are not compared.
void compare_with_recording(const Plan& plan, ReplayConnectionReport& rep, std::vector<std::string>& diffs);

}  // namespace wkit::app::replay_detail
