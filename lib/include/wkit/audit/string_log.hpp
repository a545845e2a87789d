#pragma once
// Append-only store of client_msg_no strings in unlinked temp files, one per
// writer thread, so the per-record summary holds an 8-byte reference instead
// of the string and memory stays bounded whatever the input size. Strings are
// read back only for findings (and to confirm hash-equal keys are equal).
#include <cstdint>
#include <cstdio>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "wkit/util/error.hpp"

namespace wkit::audit {

class StringLog {
 public:
  static constexpr uint32_t kMaxWriters = 64;
  static constexpr size_t kMaxLength = 0xffff;

  class Writer {
   public:
    // Returns the reference of `s` (cut to kMaxLength bytes).
    uint64_t append(std::string_view s);

   private:
    friend class StringLog;
    uint32_t id_ = 0;
    std::FILE* file_ = nullptr;  // nullptr: a source (add_source)
    int source_fd_ = -1;
    uint64_t size_ = 0;
  };

  explicit StringLog(std::string dir);
  ~StringLog();
  StringLog(const StringLog&) = delete;
  StringLog& operator=(const StringLog&) = delete;

  // A writer for one thread at a time; give it back with release().
  Result<Writer*> acquire();
  void release(Writer* w);

  // A file that holds strings already (an input read positionally): strings
  // at known offsets in it are referred to, not copied. Keeps a dup of fd.
  // nullopt when no id is left beside those of `writers` writers (then
  // append the strings).
  std::optional<uint32_t> add_source(int fd, uint32_t writers);
  // The reference of the n bytes at `offset` of source `id` (cut to
  // kMaxLength like append), or nullopt past the offsets a reference holds.
  static std::optional<uint64_t> source_ref(uint32_t id, uint64_t offset, size_t n);

  // Reads a string back (flushes pending writes first). Thread-compatible only
  // after all writing is done.
  std::string read(uint64_t ref);
  void read_into(uint64_t ref, std::string& out);

  uint64_t bytes() const;
  // Flushes pending writes; after it, read()s may run on several threads.
  void finish_writes();

 private:
  std::string dir_;
  std::mutex mu_;
  std::vector<std::unique_ptr<Writer>> writers_;
  std::vector<Writer*> free_;
  bool flushed_ = false;
};

}  // namespace wkit::audit
