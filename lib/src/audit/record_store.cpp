#include "wkit/audit/record_store.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace wkit::audit {

namespace {
constexpr Grouping kGroupings[] = {kByClientMsgNo, kByMessageId, kByChannel};
}

RecordStore::RecordStore(uint64_t budget_bytes, std::string temp_dir, Scope scope)
    : budget_(budget_bytes), dir_(std::move(temp_dir)), scope_(scope) {}

RecordStore::~RecordStore() {
  for (auto* f : files_)
    if (f) std::fclose(f);
}

uint32_t RecordStore::partition_of(uint64_t h, uint32_t partitions) {
  // Other bits than the shard's `h % N`, so a shard's records still spread.
  return static_cast<uint32_t>(mix64(h ^ 0xa5a5a5a5ULL) % partitions);
}

Status RecordStore::append(std::vector<Record>& block) {
  std::lock_guard lk(mu_);
  held_ += block.size() * sizeof(Record);
  blocks_.push_back(std::move(block));
  block = {};
  if (held_ > budget_) return spill_locked();
  return std::nullopt;
}

Status RecordStore::spill_locked() {
  spilled_ = true;
  if (files_.empty()) {
    files_.assign(3 * partitions_, nullptr);
    for (auto& f : files_) {
      std::string path = dir_ + "/wkit-audit-spill-XXXXXX";
      int fd = ::mkstemp(path.data());
      if (fd < 0) return Error::internal_error("cannot create a spill file in " + dir_ + ": " + std::strerror(errno));
      ::unlink(path.c_str());
      f = ::fdopen(fd, "w+b");
      std::setvbuf(f, nullptr, _IOFBF, 1 << 14);
    }
  }
  for (auto& b : blocks_) {
    for (const Record& r : b)
      for (int gi = 0; gi < 3; ++gi) {
        if (!(r.kinds & kGroupings[gi])) continue;
        uint32_t p = partition_of(grouping_hash(r, kGroupings[gi], static_cast<int>(scope_)), partitions_);
        if (std::fwrite(&r, sizeof r, 1, files_[gi * partitions_ + p]) != 1)
          return Error::internal_error(std::string("cannot write a spill file: ") + std::strerror(errno));
        spilled_bytes_ += sizeof r;
      }
    b = {};
  }
  blocks_.clear();
  held_ = 0;
  return std::nullopt;
}

Status RecordStore::finish(const std::function<void(std::vector<Record>&, uint8_t)>& analyze) {
  std::lock_guard lk(mu_);
  if (files_.empty()) {
    size_t total = 0;
    for (auto& b : blocks_) total += b.size();
    std::vector<Record> all;
    all.reserve(total);
    for (auto& b : blocks_) {
      all.insert(all.end(), b.begin(), b.end());
      b = {};
    }
    blocks_.clear();
    held_ = 0;
    analyze(all, kAllGroupings);
    return std::nullopt;
  }
  if (auto err = spill_locked()) return err;
  std::vector<Record> part;
  for (int gi = 0; gi < 3; ++gi)
    for (uint32_t p = 0; p < partitions_; ++p) {
      std::FILE* f = files_[gi * partitions_ + p];
      if (std::fflush(f) != 0) return Error::internal_error("cannot flush a spill file");
      long size = std::ftell(f);
      std::rewind(f);
      part.resize(static_cast<size_t>(size) / sizeof(Record));
      if (!part.empty() && std::fread(part.data(), sizeof(Record), part.size(), f) != part.size())
        return Error::internal_error("cannot read back a spill file");
      std::fclose(f);
      files_[gi * partitions_ + p] = nullptr;
      if (!part.empty()) analyze(part, kGroupings[gi]);
      part.clear();
    }
  part.shrink_to_fit();
  files_.clear();
  return std::nullopt;
}

}  // namespace wkit::audit
