#include "wkit/app/client_deliveries.hpp"

#include <algorithm>
#include <cmath>

namespace wkit::app {

// Nanosecond resolution: sub-microsecond latencies must not read as 0.
double ns_to_ms(uint64_t ns) { return double(ns) / 1e6; }

// Nothing measured: null, not 0 (a 0 would read as a measured latency).
nlohmann::json latency_json(const util::Histogram& h) {
  const bool any = h.count() > 0;
  auto ms = [&](uint64_t ns) { return any ? nlohmann::json(ns_to_ms(ns)) : nlohmann::json(); };
  return {{"count", h.count()},
          {"p50_ms", ms(h.value_at_quantile(0.5))},
          {"p90_ms", ms(h.value_at_quantile(0.9))},
          {"p99_ms", ms(h.value_at_quantile(0.99))},
          {"p999_ms", ms(h.value_at_quantile(0.999))},
          {"max_ms", ms(h.max())},
          {"mean_ms", any ? nlohmann::json(h.mean() / 1e6) : nlohmann::json()}};
}

DeliveryVerdict DeliveryTracker::record(const DeliveryInfo& d, int64_t now_ns) {
  DeliveryVerdict v;
  ++received_;
  std::string cmn(d.client_msg_no);
  if (window_ns_ > 0) {
    while (!order_.empty() && order_.front().first < now_ns - window_ns_) {
      auto it = recent_.find(order_.front().second);
      if (it != recent_.end() && it->second == order_.front().first) recent_.erase(it);
      order_.pop_front();
    }
  }
  auto [it, fresh] = recent_.try_emplace(cmn, now_ns);
  if (!fresh) {
    v.dup_client_msg_no = true;
    it->second = now_ns;
  }
  if (window_ns_ > 0) order_.emplace_back(now_ns, cmn);
  v.dup_message_id = !message_ids_.insert(d.message_id).second;
  auto& ids = ids_[cmn];
  if (std::find(ids.begin(), ids.end(), d.message_id) == ids.end()) {
    if (!ids.empty()) v.new_id_for_known_client_msg_no = true;
    else from_.emplace(cmn, d.from_uid);
    ids.push_back(d.message_id);
  }
  ++count_[cmn];
  if (v.dup_client_msg_no) ++dup_cmn_;
  if (v.dup_message_id) ++dup_mid_;
  if (v.new_id_for_known_client_msg_no) ++server_dups_;
  if (!v.dup_client_msg_no && !v.dup_message_id) ++unique_;
  seqs_[std::to_string(d.channel_type) + ":" + std::string(d.channel_id)].insert(d.message_seq);
  return v;
}

uint64_t DeliveryTracker::deliveries_of(std::string_view client_msg_no) const {
  auto it = count_.find(std::string(client_msg_no));
  return it == count_.end() ? 0 : it->second;
}

std::string_view DeliveryTracker::from_of(const std::string& client_msg_no) const {
  auto it = from_.find(client_msg_no);
  return it == from_.end() ? std::string_view() : std::string_view(it->second);
}

std::vector<ChannelGaps> DeliveryTracker::gaps() const {
  std::vector<ChannelGaps> out;
  for (auto& [ch, set] : seqs_) {
    if (set.empty()) continue;
    std::vector<uint64_t> s(set.begin(), set.end());
    std::sort(s.begin(), s.end());
    ChannelGaps g;
    g.channel = ch;
    g.min_seq = s.front();
    g.max_seq = s.back();
    g.distinct = s.size();
    g.missing = (g.max_seq - g.min_seq + 1) - g.distinct;
    for (size_t i = 1; i < s.size() && g.missing_ranges.size() < 10; ++i)
      if (s[i] != s[i - 1] + 1) g.missing_ranges.emplace_back(s[i - 1] + 1, s[i] - 1);
    out.push_back(std::move(g));
  }
  return out;
}

nlohmann::json DeliveryTracker::summary_json() const {
  nlohmann::json gaps_json = nlohmann::json::array();
  uint64_t missing = 0;
  for (auto& g : gaps()) {
    missing += g.missing;
    if (g.missing == 0) continue;
    nlohmann::json ranges = nlohmann::json::array();
    for (auto& [a, b] : g.missing_ranges) ranges.push_back({a, b});
    gaps_json.push_back({{"channel", g.channel}, {"min_seq", g.min_seq}, {"max_seq", g.max_seq},
                         {"missing", g.missing}, {"missing_ranges", ranges}});
  }
  return {{"received", received_},
          {"unique", unique_},
          {"duplicates", {{"by_client_msg_no", dup_cmn_},
                          {"by_message_id", dup_mid_},
                          {"server_created", server_dups_}}},
          {"seq_gaps", {{"missing", missing}, {"channels", gaps_json}}},
          {"latency", latency_json(latency_)}};
}

}  // namespace wkit::app
