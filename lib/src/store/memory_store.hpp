#pragma once
// The `--in-memory` backend of MessageStore: the same contract as the SQLite
// file (ops in order, pending deliveries per recipient, the idempotency key
// refused twice with dedup on), kept in process memory and gone at exit. A
// throwaway server has no use for a database engine's page cache, journal
// and B-trees; this keeps a stored SEND at a few hundred nanoseconds.
//
// Layout: records in arrival order, their strings copied into 1 MiB arena
// blocks (no allocation per record once blocks exist), per-recipient sorted
// lists of record indices with acked entries marked in place, and two
// open-addressing tables of record indices: by message_id and by
// idempotency key.
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "wkit/store/message_store.hpp"

namespace wkit::store {

class MemoryStore final : public MessageStore {
 public:
  explicit MemoryStore(const Options& opts);
  ~MemoryStore() override;

  // A new in-memory store is empty.
  Status load_heads(const std::function<void(const ChannelHead&)>&) override { return std::nullopt; }
  // Nothing is stored before start; the server keeps every key in memory.
  Status load_dedup(uint64_t, const std::function<void(const DedupRow&)>&) override { return std::nullopt; }
  bool dedup_on_disk() const override { return false; }
  Status for_each_dedup_hash(const std::function<void(uint64_t)>&) override { return std::nullopt; }
  Result<std::optional<DedupRow>> find_dedup(std::string_view, uint64_t) override {
    return std::optional<DedupRow>();
  }
  Result<int64_t> max_message_id() override;
  Result<uint64_t> message_count() override;
  // Groups live in the server's memory only (set_group is a no-op here).
  Status load_groups(const std::function<void(const std::string&, std::vector<std::string>&&)>&) override {
    return std::nullopt;
  }

 private:
  struct Record {
    int64_t message_id = 0;
    uint64_t message_seq = 0;
    int64_t server_timestamp_ms = 0;
    uint32_t expire = 0;
    uint32_t client_seq = 0;
    int32_t timestamp = 0;
    uint8_t channel_type = 0;
    uint8_t framer_flags = 0;
    uint8_t setting = 0;
    std::array<uint8_t, 32> payload_hash{};
    std::string_view channel_id, msg_key, client_msg_no, stream_no, topic, from_uid, payload;
  };
  // Sorted record indices pending for one uid; kAcked marks an acked one.
  struct Pending {
    std::vector<uint32_t> entries;
    size_t acked = 0;
    bool ascending = true;  // entries are in message_id order too (the usual case): pages seek

  };
  static constexpr uint32_t kAcked = 0x80000000u;
  // Record indices by a 64-bit hash; equality is the caller's.
  class FlatIndex {
   public:
    FlatIndex() : slots_(1024) {}
    // The index of the record for which `same(index)` holds, or -1; inserts
    // `index` when absent and `index` >= 0.
    template <class Same>
    int64_t find_or_insert(uint64_t hash, int64_t index, const Same& same);

   private:
    struct Slot {
      uint64_t hash = 0;
      uint32_t index = 0;
      bool used = false;
    };
    void grow();
    std::vector<Slot> slots_;
    size_t used_ = 0;
  };
  struct UidHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };

  void apply(std::vector<std::vector<Op>>& batches) override;
  void append(Op& op);
  void ack(const Op& op);
  void load_pending(Op& op);
  void load_range(Op& op);
  std::string_view keep(std::string_view s);
  Message to_message(const Record& r) const;
  static uint64_t key_hash(uint8_t type, std::string_view channel, std::string_view from, std::string_view cmn);
  static bool same_key(const Record& a, const Message& b);
  // Record index of `message_id`, or -1.
  int64_t find_id(int64_t message_id);

  bool dedup_;
  // Options::channel_index: record indices per channel (type byte + id), in
  // message_seq order (the server appends a channel's messages in order).
  bool channel_index_;
  std::unordered_map<std::string, std::vector<uint32_t>> by_channel_;
  std::deque<Record> records_;
  std::vector<std::unique_ptr<char[]>> blocks_;
  size_t block_used_ = 0, block_size_ = 0;
  std::unordered_map<std::string, Pending, UidHash, std::equal_to<>> pending_;
  FlatIndex by_id_;
  FlatIndex by_key_;
};

}  // namespace wkit::store
