#include "tail_keys.hpp"

#include <algorithm>
#include <cstring>
#include <functional>

namespace wkit::store {

namespace {

void put_length(std::string& out, size_t n) {
  uint32_t v = static_cast<uint32_t>(n);
  out.append(reinterpret_cast<const char*>(&v), sizeof v);
}

// Length-prefixed parts, so ("ab", "c") and ("a", "bc") differ.
void append_key(std::string& out, uint8_t channel_type, std::string_view channel_id, std::string_view from_uid,
                std::string_view client_msg_no) {
  out.push_back(static_cast<char>(channel_type));
  put_length(out, channel_id.size());
  out += channel_id;
  put_length(out, from_uid.size());
  out += from_uid;
  out += client_msg_no;
}

}  // namespace

uint64_t TailKeys::hash_of(uint8_t channel_type, std::string_view channel_id, std::string_view from_uid,
                           std::string_view client_msg_no, std::string& scratch) {
  scratch.clear();
  append_key(scratch, channel_type, channel_id, from_uid, client_msg_no);
  return std::hash<std::string_view>{}(scratch);
}

int64_t TailKeys::stage(const Message& m) {
  const size_t offset = arena_.size();
  append_key(arena_, m.channel_type, m.channel_id, m.from_uid, m.client_msg_no);
  const auto length = static_cast<uint32_t>(arena_.size() - offset);
  const std::string_view key = bytes(offset, length);
  const uint64_t hash = std::hash<std::string_view>{}(key);
  if (!slots_.empty()) {
    const Slot& s = slots_[find(hash, key)];
    if (s.entry) {
      arena_.resize(offset);
      return kept_[s.entry - 1].message_id;
    }
  }
  for (const Kept& s : staged_)
    if (s.hash == hash && bytes(s.offset, s.length) == key) {
      arena_.resize(offset);
      return s.message_id;
    }
  staged_.push_back({hash, offset, length, m.message_id});
  return 0;
}

int64_t TailKeys::find_id(std::string_view key, uint64_t hash) const {
  if (slots_.empty()) return 0;
  const Slot& s = slots_[find(hash, key)];
  return s.entry ? kept_[s.entry - 1].message_id : 0;
}

TailKeys::Parts TailKeys::parts(std::string_view key) {
  auto length_at = [&](size_t at) {
    uint32_t v;
    std::memcpy(&v, key.data() + at, sizeof v);
    return static_cast<size_t>(v);
  };
  Parts p;
  p.channel_type = static_cast<uint8_t>(key[0]);
  const size_t channel_length = length_at(1);
  p.channel_id = key.substr(5, channel_length);
  const size_t from_at = 5 + channel_length;
  const size_t from_length = length_at(from_at);
  p.from_uid = key.substr(from_at + 4, from_length);
  p.client_msg_no = key.substr(from_at + 4 + from_length);
  return p;
}

void TailKeys::keep_staged() {
  for (const Kept& k : staged_) {
    insert(k);
    if (k.message_id > max_id_) max_id_ = k.message_id;
  }
  staged_.clear();
  kept_bytes_ = arena_.size();
}

void TailKeys::drop_staged() {
  staged_.clear();
  arena_.resize(kept_bytes_);
}

void TailKeys::clear() {
  std::fill(slots_.begin(), slots_.end(), Slot{});
  kept_.clear();
  arena_.clear();
  staged_.clear();
  kept_bytes_ = 0;
  max_id_ = 0;
}

size_t TailKeys::find(uint64_t hash, std::string_view key) const {
  const size_t mask = slots_.size() - 1;
  const auto tag = static_cast<uint32_t>(hash >> 32);
  for (size_t i = hash & mask;; i = (i + 1) & mask) {
    const Slot& s = slots_[i];
    if (!s.entry) return i;
    if (s.tag == tag) {
      const Kept& k = kept_[s.entry - 1];
      if (k.hash == hash && bytes(k.offset, k.length) == key) return i;
    }
  }
}

void TailKeys::insert(const Kept& k) {
  if ((kept_.size() + 1) * 2 > slots_.size()) grow();
  Slot& s = slots_[find(k.hash, bytes(k.offset, k.length))];
  kept_.push_back(k);
  s = Slot{static_cast<uint32_t>(k.hash >> 32), static_cast<uint32_t>(kept_.size())};
}

void TailKeys::grow() {
  slots_.assign(std::max<size_t>(1024, slots_.size() * 2), Slot{});
  const size_t mask = slots_.size() - 1;
  for (size_t e = 0; e < kept_.size(); ++e) {
    size_t i = kept_[e].hash & mask;
    while (slots_[i].entry) i = (i + 1) & mask;
    slots_[i] = Slot{static_cast<uint32_t>(kept_[e].hash >> 32), static_cast<uint32_t>(e + 1)};
  }
}

}  // namespace wkit::store
