#pragma once
// What a receiver saw, as an app would see it: duplicates by client_msg_no
// and by message_id (within a de-duplication window), per-channel
// message_seq gaps, and end-to-end latency of wkit-generated payloads.
// No I/O and no clock: times are passed in (nanoseconds).
#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <nlohmann/json.hpp>

#include "wkit/util/histogram.hpp"

namespace wkit::app {

struct DeliveryInfo {
  std::string_view client_msg_no, channel_id, from_uid;
  uint8_t channel_type = 0;
  int64_t message_id = 0;
  uint64_t message_seq = 0;
};

struct DeliveryVerdict {
  bool dup_client_msg_no = false;  // this client_msg_no was seen before (in the window)
  bool dup_message_id = false;     // this message_id was seen before: a redelivery
  // Same client_msg_no, different message_id: the server stored it twice.
  bool new_id_for_known_client_msg_no = false;
  const char* kind() const {
    if (new_id_for_known_client_msg_no) return "server_duplicate";
    if (dup_message_id) return "redelivery";
    if (dup_client_msg_no) return "client_msg_no";
    return "none";
  }
};

struct ChannelGaps {
  std::string channel;  // "type:id"
  uint64_t min_seq = 0, max_seq = 0, distinct = 0, missing = 0;
  std::vector<std::pair<uint64_t, uint64_t>> missing_ranges;  // first 10, inclusive
};

class DeliveryTracker {
 public:
  // window_ns 0: remember every client_msg_no for the whole run.
  explicit DeliveryTracker(int64_t window_ns = 0) : window_ns_(window_ns) {}

  DeliveryVerdict record(const DeliveryInfo& d, int64_t now_ns);
  void record_latency(int64_t ns) { latency_.record(ns < 0 ? 0 : uint64_t(ns)); }

  uint64_t received() const { return received_; }
  uint64_t unique() const { return unique_; }
  uint64_t dup_by_client_msg_no() const { return dup_cmn_; }
  uint64_t dup_by_message_id() const { return dup_mid_; }
  uint64_t server_duplicates() const { return server_dups_; }
  const util::Histogram& latency() const { return latency_; }
  // Distinct message_ids seen per client_msg_no (whole run, not windowed).
  const std::unordered_map<std::string, std::vector<int64_t>>& ids_by_client_msg_no() const { return ids_; }
  uint64_t deliveries_of(std::string_view client_msg_no) const;
  // The sender of the first delivery of this client_msg_no ("" if never seen).
  std::string_view from_of(const std::string& client_msg_no) const;
  std::vector<ChannelGaps> gaps() const;

  nlohmann::json summary_json() const;

 private:
  int64_t window_ns_;
  uint64_t received_ = 0, unique_ = 0, dup_cmn_ = 0, dup_mid_ = 0, server_dups_ = 0;
  // Window: client_msg_no -> last seen time; expired from the front.
  std::unordered_map<std::string, int64_t> recent_;
  std::deque<std::pair<int64_t, std::string>> order_;
  std::unordered_set<int64_t> message_ids_;
  std::unordered_map<std::string, std::vector<int64_t>> ids_;
  std::unordered_map<std::string, uint64_t> count_;
  std::unordered_map<std::string, std::string> from_;
  std::map<std::string, std::unordered_set<uint64_t>> seqs_;
  util::Histogram latency_;
};

// Milliseconds with microsecond precision, for JSON.
double ns_to_ms(uint64_t ns);
nlohmann::json latency_json(const util::Histogram& h);

}  // namespace wkit::app
