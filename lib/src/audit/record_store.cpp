#include "wkit/audit/record_store.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <algorithm>
#include <cstring>

namespace wkit::audit {

namespace {
constexpr Grouping kGroupings[] = {kByClientMsgNo, kByMessageId, kByChannel};
}

RecordStore::RecordStore(uint64_t budget_bytes, std::string temp_dir, Scope scope)
    : budget_(budget_bytes), dir_(std::move(temp_dir)), scope_(scope) {
  // At least one builder block, so a tiny budget still makes progress.
  capacity_ = std::max<size_t>(budget_ / sizeof(Record), 8192);
  void* p = ::mmap(nullptr, capacity_ * sizeof(Record), PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  region_ = p == MAP_FAILED ? nullptr : static_cast<Record*>(p);
}

RecordStore::~RecordStore() {
  for (auto* f : files_)
    if (f) std::fclose(f);
  if (region_) ::munmap(region_, capacity_ * sizeof(Record));
}

uint32_t RecordStore::partition_of(uint64_t h, uint32_t partitions) {
  // Other bits than the shard's `h % N`, so a shard's records still spread.
  return static_cast<uint32_t>(mix64(h ^ 0xa5a5a5a5ULL) % partitions);
}

Status RecordStore::append(std::vector<Record>& block) {
  std::lock_guard lk(mu_);
  if (!region_) return Error::internal_error("cannot map memory for the audit records");
  size_t i = 0;
  while (i < block.size()) {
    if (held_ == capacity_)
      if (auto err = spill_locked()) return err;
    const size_t n = std::min(block.size() - i, capacity_ - held_);
    std::memcpy(region_ + held_, block.data() + i, n * sizeof(Record));
    held_ += n;
    i += n;
  }
  block.clear();
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
  for (size_t k = 0; k < held_; ++k) {
    const Record& r = region_[k];
    for (int gi = 0; gi < 3; ++gi) {
      if (!(r.kinds & kGroupings[gi])) continue;
      uint32_t p = partition_of(grouping_hash(r, kGroupings[gi], static_cast<int>(scope_)), partitions_);
      if (std::fwrite(&r, sizeof r, 1, files_[gi * partitions_ + p]) != 1)
        return Error::internal_error(std::string("cannot write a spill file: ") + std::strerror(errno));
      spilled_bytes_ += sizeof r;
    }
  }
  ::madvise(region_, held_ * sizeof(Record), MADV_DONTNEED);
  held_ = 0;
  return std::nullopt;
}

Status RecordStore::finish(const std::function<void(Record*, Record*, uint8_t)>& analyze) {
  std::lock_guard lk(mu_);
  if (files_.empty()) {
    if (region_) analyze(region_, region_ + held_, kAllGroupings);
    held_ = 0;
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
      if (!part.empty()) analyze(part.data(), part.data() + part.size(), kGroupings[gi]);
      part.clear();
    }
  part.shrink_to_fit();
  files_.clear();
  return std::nullopt;
}

}  // namespace wkit::audit
