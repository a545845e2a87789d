#pragma once
// A streaming byte source for one audit input: a file or stdin, with gzip
// (zlib) or zstd decompression chosen by magic bytes, and a peek buffer for
// format detection. Never holds more than one buffer of the input.
#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "wkit/util/error.hpp"

namespace wkit::audit {

enum class Compression { none, gzip, zstd };
const char* compression_name(Compression c);

class ByteInput {
 public:
  virtual ~ByteInput() = default;
  // Reads up to n bytes; 0 at the end. Errors name the input.
  virtual Result<size_t> read(char* buf, size_t n) = 0;
  virtual uint64_t raw_bytes_read() const = 0;  // compressed bytes consumed (progress)
};

class PeekableInput {
 public:
  // `path` "-" is stdin. Decompresses transparently. `consumed`, when given,
  // is advanced by every raw (compressed) byte read: progress across threads.
  // `stop`, when given and set non-zero (SIGINT), ends the input where it is:
  // reads return 0 as at its end, also while waiting on a pipe.
  static Result<std::unique_ptr<PeekableInput>> open(const std::string& path,
                                                     std::atomic<uint64_t>* consumed = nullptr,
                                                     const std::atomic<int>* stop = nullptr);

  const std::string& name() const { return name_; }
  // Whether reading was stopped (a read that returns 0 is then not the end).
  bool stopped() const { return stop_ && stop_->load(std::memory_order_relaxed) != 0; }
  Compression compression() const { return compression_; }
  uint64_t raw_size() const { return raw_size_; }  // 0 when unknown (stdin)
  uint64_t raw_bytes_read() const { return in_->raw_bytes_read(); }

  ~PeekableInput();

  // True when the input is an uncompressed regular file of which nothing was
  // read() yet (peeks are fine): then read_at() reads any part of it, so the
  // parser threads can each read their own chunks.
  bool positional();
  // Reads up to n bytes at `offset` of the file (positional inputs only);
  // thread-safe. Fewer than n only at the end of the file.
  Result<size_t> read_at(char* buf, size_t n, uint64_t offset) const;
  int fd() const { return fd_; }  // of a positional input
  // Progress for bytes handed out as positional chunks.
  void count_positional(size_t n) {
    if (consumed_) consumed_->fetch_add(n, std::memory_order_relaxed);
  }

  // The first up-to-n decompressed bytes, without consuming them.
  Result<std::string_view> peek(size_t n);
  Result<size_t> read(char* buf, size_t n);

 private:
  std::string name_;
  Compression compression_ = Compression::none;
  uint64_t raw_size_ = 0;
  std::unique_ptr<ByteInput> in_;
  std::string peeked_;
  size_t peek_pos_ = 0;
  bool eof_ = false;
  bool read_any_ = false;
  int fd_ = -1;  // the raw file, when it can be read positionally
  bool positional_ = false;
  std::atomic<uint64_t>* consumed_ = nullptr;
  const std::atomic<int>* stop_ = nullptr;
};

// Copies the rest of `in` (decompressed) into a new file `dir/<stem>XXXXXX`
// and returns its path, for readers that need a file (SQLite, captures).
// On failure nothing is left behind.
Result<std::string> copy_to_temp_file(PeekableInput& in, const std::string& dir, const std::string& stem);

}  // namespace wkit::audit
