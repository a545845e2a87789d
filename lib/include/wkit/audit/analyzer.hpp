#pragma once
// Computes the findings (docs/audit.md) from records, one grouping at a time:
// sort by the grouping's key, walk the runs. Called once with every record
// or once per spilled partition; the result is the same.
#include <array>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <set>
#include <unordered_set>
#include <vector>

#include "wkit/audit/context.hpp"

namespace wkit::audit {

enum FindingIndex {
  kDuplicateClientMsgNo, kMessageIdCollision, kDuplicateRow, kSeqAnomaly,
  kSuspectedRegenerated, kAbsorbedDuplicate, kMissingClientMsgNo, kFindingCount
};

struct FindingSet {
  nlohmann::json items = nlohmann::json::array();
  uint64_t count = 0;
  std::unordered_set<uint64_t> channels, senders;
  int64_t first = INT64_MAX, last = INT64_MIN;
};

class Analyzer {
 public:
  explicit Analyzer(AuditContext& ctx) : ctx_(ctx) {}
  void run(Record* begin, Record* end, uint8_t groupings);
  std::array<FindingSet, kFindingCount>& findings() { return sets_; }

  nlohmann::json message(const Record& r);

 private:
  void touch(FindingSet& s, const Record& r);
  // Adds `item` to `s` with `records` (in that order) as its "messages".
  void add_item(FindingSet& s, nlohmann::json item, const std::vector<const Record*>& records);
  struct KeyIndex {
    uint64_t key;
    uint64_t index;
    bool operator<(const KeyIndex& o) const { return key != o.key ? key < o.key : index < o.index; }
  };
  void by_client_msg_no(Record* b, Record* e);
  void client_msg_no_runs(Record* b, std::vector<KeyIndex>& keys);
  void group_client_msg_no(Record* b, Record* e);
  void emit_duplicate(const Record* b, const Record* e);
  void by_message_id(Record* b, Record* e);
  void emit_message_id(std::vector<const Record*>& run);
  void by_channel(Record* b, Record* e);
  static void sort_channel_order(Record* b, Record* e);
  void channels(Record* b, Record* e);       // sorts, then walks
  void walk_channels(Record* b, Record* e);  // sorted by channel order
  void absorb(Analyzer& other);         // adds another analyzer's findings
  void channel_content(Record* b, Record* e, const std::set<std::pair<uint16_t, uint64_t>>& absorbed_by_suffix);

  AuditContext& ctx_;
  std::array<FindingSet, kFindingCount> sets_;
  std::string s1_, s2_;
  std::vector<KeyIndex> content_keys_;  // channel_content's, reused
  std::vector<Record> content_;
  std::vector<std::pair<uint64_t, uint64_t>> repeat_table_;  // channel_content's for_each_repeated table, reused
  // walk_channels' suffix rule: base hashes, and the live rows that carry one.
  std::vector<uint64_t> suffix_bases_;
  std::vector<std::pair<uint64_t, const Record*>> suffix_live_;
};

}  // namespace wkit::audit
