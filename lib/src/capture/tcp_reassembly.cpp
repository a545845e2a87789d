#include "wkit/capture/tcp_reassembly.hpp"

#include <algorithm>

namespace wkit::capture {

namespace {
constexpr size_t kHistoryKeep = 256 * 1024;
}

void TcpDirection::on_syn(uint32_t isn) {
  if (started_ && (delivered_ > 0 || !pending_.empty())) return;  // a retransmitted SYN
  started_ = saw_syn_ = true;
  base_seq_ = isn + 1;
}

int64_t TcpDirection::unwrap(uint32_t seq) const {
  uint32_t expected = base_seq_ + static_cast<uint32_t>(delivered_);
  return static_cast<int64_t>(delivered_) + static_cast<int32_t>(seq - expected);
}

void TcpDirection::check_overlap(uint64_t at, std::string_view bytes) {
  // Compare the part of a retransmission that is still in history_.
  uint64_t from = std::max(at, history_offset_);
  uint64_t to = std::min<uint64_t>(at + bytes.size(), history_offset_ + history_.size());
  for (uint64_t o = from; o < to; ++o)
    if (bytes[o - at] != history_[o - history_offset_]) ++inconsistent_;
}

void TcpDirection::append(std::string_view bytes, int64_t ts_ns) {
  if (ready_.empty()) ready_offset_ = delivered_;
  ready_.append(bytes);
  history_.append(bytes);
  if (history_.size() > 2 * kHistoryKeep) {
    size_t drop = history_.size() - kHistoryKeep;
    history_.erase(0, drop);
    history_offset_ += drop;
  }
  delivered_ += bytes.size();
  ready_ts_ = std::max(ready_ts_, ts_ns);
}

void TcpDirection::drain(int64_t ts_ns) {
  while (!pending_.empty() && pending_.begin()->first <= delivered_) {
    auto node = pending_.extract(pending_.begin());
    buffered_bytes_ -= node.mapped().bytes.size();
    uint64_t at = node.key();
    std::string_view b = node.mapped().bytes;
    if (at + b.size() <= delivered_) {
      check_overlap(at, b);
      continue;
    }
    check_overlap(at, b.substr(0, delivered_ - at));
    append(b.substr(delivered_ - at), std::max(ts_ns, node.mapped().ts_ns));
  }
}

void TcpDirection::on_segment(uint32_t seq, std::string_view payload, int64_t ts_ns) {
  if (!started_) {
    started_ = true;
    base_seq_ = seq;
  }
  if (payload.empty()) return;
  int64_t at = unwrap(seq);
  int64_t end = at + static_cast<int64_t>(payload.size());
  if (end <= static_cast<int64_t>(delivered_)) {  // all of it seen before
    ++retransmitted_;
    if (at >= 0) check_overlap(static_cast<uint64_t>(at), payload);
    return;
  }
  if (at < static_cast<int64_t>(delivered_)) {  // partly seen before
    ++retransmitted_;
    size_t seen = static_cast<size_t>(static_cast<int64_t>(delivered_) - at);
    if (at >= 0) check_overlap(static_cast<uint64_t>(at), payload.substr(0, seen));
    payload.remove_prefix(seen);
    at = static_cast<int64_t>(delivered_);
  }
  if (at == static_cast<int64_t>(delivered_)) {
    append(payload, ts_ns);
    drain(ts_ns);
    return;
  }
  ++out_of_order_;
  auto [it, inserted] = pending_.try_emplace(static_cast<uint64_t>(at), Pending{std::string(payload), ts_ns});
  if (inserted) {
    buffered_bytes_ += payload.size();
  } else if (it->second.bytes.size() < payload.size()) {  // keep the longer copy
    buffered_bytes_ += payload.size() - it->second.bytes.size();
    it->second.bytes.assign(payload);
  } else {
    ++retransmitted_;
  }
}

bool TcpDirection::skip_gap(Gap& out) {
  if (pending_.empty() || !ready_.empty()) return false;
  uint64_t next = pending_.begin()->first;
  out = Gap{delivered_, next - delivered_};
  delivered_ = next;
  ready_offset_ = next;
  history_.clear();
  history_offset_ = next;
  drain(pending_.begin()->second.ts_ns);
  return true;
}

}  // namespace wkit::capture
