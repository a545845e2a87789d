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
  RecordStore(const RecordStore&) = delete;
  RecordStore& operator=(const RecordStore&) = delete;
  ~RecordStore();

  Status append(std::vector<Record>& block);  // thread-safe; empties block
  bool spilled() const { return spilled_; }
  uint32_t partitions() const { return partitions_; }
  uint64_t spilled_bytes() const { return spilled_bytes_; }

  // Calls analyze(begin, end, groupings) over everything stored: once with
  // all records and all groupings, or once per spilled partition and grouping.
  Status finish(const std::function<void(Record*, Record*, uint8_t)>& analyze);

  static uint32_t partition_of(uint64_t grouping_hash, uint32_t partitions);

 private:
  Status spill_locked();
  uint64_t budget_;
  std::string dir_;
  Scope scope_;
  std::mutex mu_;
  // Records live in one anonymous mapping reserved up to the budget: pages
  // are committed as they are written and returned with MADV_DONTNEED after a
  // spill, and the analysis sorts them in place (no second copy).
  Record* region_ = nullptr;
  size_t capacity_ = 0;  // records
  size_t held_ = 0;      // records
  uint32_t partitions_ = 64;
  std::vector<std::FILE*> files_;  // [grouping index * partitions + p]
  uint64_t spilled_bytes_ = 0;
  bool spilled_ = false;
};

}  // namespace wkit::audit
