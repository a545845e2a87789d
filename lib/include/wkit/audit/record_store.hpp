#pragma once
// Holds the records of a run in memory up to a budget; beyond it, writes
// them to disk in hash partitions per grouping (each record once per
// grouping it takes part in) and later hands back one partition at a time.
// Each group of a grouping lies wholly inside one partition, so analysing
// partition by partition gives exactly the in-memory result.
#include <cstdint>
#include <cstdio>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "wkit/audit/options.hpp"
#include "wkit/audit/record.hpp"
#include "wkit/util/error.hpp"

namespace wkit::audit {

class RecordStore {
 public:
  RecordStore(uint64_t budget_bytes, std::string temp_dir, Scope scope);
  ~RecordStore();

  Status append(std::vector<Record>& block);  // thread-safe; empties block
  bool spilled() const { return spilled_; }
  uint32_t partitions() const { return partitions_; }
  uint64_t spilled_bytes() const { return spilled_bytes_; }

  // Calls analyze(records, groupings) over everything stored: once with all
  // records and all groupings, or once per spilled partition and grouping.
  Status finish(const std::function<void(std::vector<Record>&, uint8_t)>& analyze);

  static uint32_t partition_of(uint64_t grouping_hash, uint32_t partitions);

 private:
  Status spill_locked();
  uint64_t budget_;
  std::string dir_;
  Scope scope_;
  std::mutex mu_;
  std::vector<std::vector<Record>> blocks_;
  uint64_t held_ = 0;
  uint32_t partitions_ = 64;
  std::vector<std::FILE*> files_;  // [grouping index * partitions + p]
  uint64_t spilled_bytes_ = 0;
  bool spilled_ = false;
};

}  // namespace wkit::audit
