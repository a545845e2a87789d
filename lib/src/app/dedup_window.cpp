#include "wkit/app/dedup_window.hpp"

#include <string>
#include <vector>

namespace wkit::app {

DedupWindow::Entry* DedupWindow::find(std::string_view key, uint64_t hash) {
  if (auto id = newer_.find(key, hash); id != DedupIndex::kNone) return &newer_.at(id);
  if (auto id = older_gen_.find(key, hash); id != DedupIndex::kNone) return &older_gen_.at(id);
  return nullptr;
}

DedupWindow::Entry& DedupWindow::insert(std::string_view key, uint64_t hash) {
  if (capacity_ > 0 && newer_.size() >= (capacity_ + 1) / 2) rotate();
  return newer_.at(newer_.insert(key, hash));
}

void DedupWindow::erase(std::string_view key, uint64_t hash) {
  if (auto id = newer_.find(key, hash); id != DedupIndex::kNone) return newer_.erase(id);
  if (auto id = older_gen_.find(key, hash); id != DedupIndex::kNone) older_gen_.erase(id);
}

void DedupWindow::rotate() {
  ++rotations_;
  // Uncommitted entries of the generation being dropped: rare (a SEND
  // still queued after capacity/2 newer keys), moved, never lost.
  struct Moving {
    std::string key;
    uint64_t hash;
    Entry entry;
  };
  std::vector<Moving> moving;
  older_gen_.for_each([&](std::string_view key, uint64_t hash, Entry& e) {
    if (e.committed) older_.add(hash);
    else moving.push_back(Moving{std::string(key), hash, std::move(e)});
  });
  older_gen_.clear();
  std::swap(older_gen_, newer_);
  for (Moving& m : moving) newer_.at(newer_.insert(m.key, m.hash)) = std::move(m.entry);
}

}  // namespace wkit::app
