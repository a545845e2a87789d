#include "memory_store.hpp"

#include <algorithm>
#include <cstring>

namespace wkit::store {

namespace {

constexpr size_t kBlockBytes = size_t{1} << 20;
constexpr uint32_t kMaxRecords = 0x7fffffffu;  // record indices keep the top bit for kAcked

uint64_t mix(uint64_t h, std::string_view s) {
  // std::hash<string_view> is a good byte hash; fold the parts so the
  // boundaries count ("ab"+"c" differs from "a"+"bc").
  uint64_t x = std::hash<std::string_view>{}(s) ^ (s.size() * 0x9e3779b97f4a7c15ull);
  return (h ^ x) * 0xff51afd7ed558ccdull + (h >> 29);
}

uint64_t id_hash(int64_t id) {
  // Snowflake ids share their high bits; spread them over the table.
  auto x = static_cast<uint64_t>(id);
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdull;
  return x ^ (x >> 33);
}

// Every column of a message, from a Message to a Record or back; `text`
// turns a string field into the target's kind.
template <class From, class To, class Text>
void copy_fields(const From& f, To& t, const Text& text) {
  t.message_id = f.message_id;
  t.message_seq = f.message_seq;
  t.server_timestamp_ms = f.server_timestamp_ms;
  t.expire = f.expire;
  t.client_seq = f.client_seq;
  t.timestamp = f.timestamp;
  t.channel_type = f.channel_type;
  t.framer_flags = f.framer_flags;
  t.setting = f.setting;
  t.payload_hash = f.payload_hash;
  t.channel_id = text(f.channel_id);
  t.msg_key = text(f.msg_key);
  t.client_msg_no = text(f.client_msg_no);
  t.stream_no = text(f.stream_no);
  t.topic = text(f.topic);
  t.from_uid = text(f.from_uid);
  t.payload = text(f.payload);
}

}  // namespace

MemoryStore::MemoryStore(const Options& opts) : dedup_(opts.dedup), channel_index_(opts.channel_index) {
  path_ = ":memory:";
}

MemoryStore::~MemoryStore() { stop(); }

Result<int64_t> MemoryStore::max_message_id() { return records_.empty() ? 0 : records_.back().message_id; }

Result<uint64_t> MemoryStore::message_count() { return static_cast<uint64_t>(records_.size()); }

std::string_view MemoryStore::keep(std::string_view s) {
  if (s.empty()) return {};
  if (block_size_ - block_used_ < s.size()) {
    size_t size = std::max(kBlockBytes, s.size());
    blocks_.push_back(std::make_unique<char[]>(size));
    block_size_ = size;
    block_used_ = 0;
  }
  char* at = blocks_.back().get() + block_used_;
  std::memcpy(at, s.data(), s.size());
  block_used_ += s.size();
  return {at, s.size()};
}

uint64_t MemoryStore::key_hash(uint8_t type, std::string_view channel, std::string_view from, std::string_view cmn) {
  return mix(mix(mix(type, channel), from), cmn);
}

bool MemoryStore::same_key(const Record& a, const Message& b) {
  return a.channel_type == b.channel_type && a.client_msg_no == b.client_msg_no && a.from_uid == b.from_uid &&
         a.channel_id == b.channel_id;
}

template <class Same>
int64_t MemoryStore::FlatIndex::find_or_insert(uint64_t hash, int64_t index, const Same& same) {
  size_t mask = slots_.size() - 1;
  for (size_t i = hash & mask;; i = (i + 1) & mask) {
    Slot& slot = slots_[i];
    if (!slot.used) {
      if (index >= 0) {
        slot = Slot{hash, static_cast<uint32_t>(index), true};
        if (++used_ * 2 > slots_.size()) grow();
      }
      return -1;
    }
    if (slot.hash == hash && same(slot.index)) return slot.index;
  }
}

void MemoryStore::FlatIndex::grow() {
  std::vector<Slot> old(slots_.size() * 2);
  old.swap(slots_);
  size_t mask = slots_.size() - 1;
  for (const Slot& s : old) {
    if (!s.used) continue;
    size_t i = s.hash & mask;
    while (slots_[i].used) i = (i + 1) & mask;
    slots_[i] = s;
  }
}

int64_t MemoryStore::find_id(int64_t message_id) {
  return by_id_.find_or_insert(id_hash(message_id), -1,
                               [&](uint32_t i) { return records_[i].message_id == message_id; });
}

void MemoryStore::append(Op& op) {
  const Message& m = op.message;
  if (records_.size() >= kMaxRecords) {
    op.failed = true;
    op.error = "insert message: the in-memory store is full";
    return;
  }
  auto index = static_cast<uint32_t>(records_.size());
  auto refuse = [&](const char* what) {
    op.failed = true;
    op.error = std::string("insert message: UNIQUE constraint failed: ") + what;
  };
  if (find_id(m.message_id) >= 0) return refuse("message_id");
  // One probe checks the key and, when it is new, enters `index` for it (the
  // record is pushed right after; nothing reads the slot before that).
  if (dedup_ && op.idempotent && !m.client_msg_no.empty() &&
      by_key_.find_or_insert(key_hash(m.channel_type, m.channel_id, m.from_uid, m.client_msg_no), index,
                             [&](uint32_t i) { return same_key(records_[i], m); }) >= 0)
    return refuse("idempotency key (channel, from_uid, client_msg_no)");
  Record r;
  copy_fields(m, r, [&](std::string_view v) { return keep(v); });
  records_.push_back(r);
  by_id_.find_or_insert(id_hash(m.message_id), index, [](uint32_t) { return false; });
  if (channel_index_) {
    std::string key(1, static_cast<char>(m.channel_type));
    key.append(m.channel_id);
    by_channel_[key].push_back(index);
  }
  for (const auto& uid : op.recipients) {
    auto it = pending_.find(std::string_view(uid));
    if (it == pending_.end()) it = pending_.emplace(uid, Pending{}).first;
    auto& entries = it->second.entries;
    if (entries.empty() || (entries.back() & ~kAcked) != index) {  // INSERT OR IGNORE
      if (!entries.empty() && records_[entries.back() & ~kAcked].message_id >= m.message_id)
        it->second.ascending = false;
      entries.push_back(index);
    }
  }
}

void MemoryStore::ack(const Op& op) {
  auto it = pending_.find(std::string_view(op.uid));
  if (it == pending_.end()) return;
  int64_t found = find_id(op.message_id);
  if (found < 0) return;
  auto index = static_cast<uint32_t>(found);
  Pending& p = it->second;
  auto e = std::lower_bound(p.entries.begin(), p.entries.end(), index,
                            [](uint32_t entry, uint32_t want) { return (entry & ~kAcked) < want; });
  if (e == p.entries.end() || *e != index) return;  // not pending, or acked already
  *e |= kAcked;
  if (++p.acked == p.entries.size()) {
    pending_.erase(it);
  } else if (p.acked * 2 > p.entries.size() && p.entries.size() >= 64) {
    std::erase_if(p.entries, [](uint32_t entry) { return (entry & kAcked) != 0; });
    p.acked = 0;
  }
}

Message MemoryStore::to_message(const Record& r) const {
  Message m;
  copy_fields(r, m, [](std::string_view v) { return std::string(v); });
  return m;
}

void MemoryStore::load_pending(Op& op) {
  auto it = pending_.find(std::string_view(op.uid));
  if (it == pending_.end()) return;
  const Pending& p = it->second;
  auto id_of = [&](uint32_t e) { return records_[e & ~kAcked].message_id; };
  const size_t limit = op.limit == 0 ? SIZE_MAX : op.limit;
  // The SQLite backend's WHERE message_id > ? ORDER BY message_id LIMIT ?.
  if (p.ascending) {
    auto e = std::upper_bound(p.entries.begin(), p.entries.end(), op.message_id,
                              [&](int64_t after, uint32_t entry) { return after < id_of(entry); });
    for (; e != p.entries.end() && op.loaded.size() < limit; ++e)
      if ((*e & kAcked) == 0) op.loaded.push_back(to_message(records_[*e]));
    return;
  }
  std::vector<uint32_t> order;
  for (uint32_t e : p.entries)
    if ((e & kAcked) == 0 && id_of(e) > op.message_id) order.push_back(e);
  auto by_id = [&](uint32_t a, uint32_t b) { return id_of(a) < id_of(b); };
  if (order.size() > limit) {
    std::partial_sort(order.begin(), order.begin() + static_cast<ptrdiff_t>(limit), order.end(), by_id);
    order.resize(limit);
  } else {
    std::sort(order.begin(), order.end(), by_id);
  }
  op.loaded.reserve(order.size());
  for (uint32_t i : order) op.loaded.push_back(to_message(records_[i]));
}

void MemoryStore::load_range(Op& op) {
  if (!channel_index_) {
    op.failed = true;
    op.error = "load a channel range: the store was opened without the channel index";
    return;
  }
  std::string key(1, static_cast<char>(op.message.channel_type));
  key.append(op.message.channel_id);
  auto it = by_channel_.find(key);
  if (it == by_channel_.end()) return;
  const auto& v = it->second;
  auto seq_of = [&](uint32_t i) { return records_[i].message_seq; };
  auto lo = std::lower_bound(v.begin(), v.end(), op.seq_from, [&](uint32_t i, uint64_t s) { return seq_of(i) < s; });
  auto hi = std::upper_bound(lo, v.end(), op.seq_to, [&](uint64_t s, uint32_t i) { return s < seq_of(i); });
  const size_t n = static_cast<size_t>(hi - lo);
  const size_t take = op.limit == 0 ? n : std::min<size_t>(n, op.limit);
  auto first = op.newest ? hi - static_cast<ptrdiff_t>(take) : lo;
  for (auto e = first; e != first + static_cast<ptrdiff_t>(take); ++e) op.loaded.push_back(to_message(records_[*e]));
}

void MemoryStore::apply(std::vector<std::vector<Op>>& batches) {
  for (auto& batch : batches) {
    for (Op& op : batch) {
      switch (op.kind) {
        case Op::Kind::append: append(op); break;
        case Op::Kind::ack: ack(op); break;
        case Op::Kind::load_pending: load_pending(op); break;
        case Op::Kind::load_range: load_range(op); break;
        case Op::Kind::set_group: break;  // the hub holds the groups; nothing outlives the process
      }
    }
  }
}

}  // namespace wkit::store
