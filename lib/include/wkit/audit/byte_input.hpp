#pragma once
// A streaming byte source for one audit input: a file or stdin, with gzip
// (zlib) or zstd decompression chosen by magic bytes, and a peek buffer for
// format detection. Never holds more than one buffer of the input.
#include <atomic>
#include <cstdint>
#include <memory>
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
  static Result<std::unique_ptr<PeekableInput>> open(const std::string& path,
                                                     std::atomic<uint64_t>* consumed = nullptr);

  const std::string& name() const { return name_; }
  Compression compression() const { return compression_; }
  uint64_t raw_size() const { return raw_size_; }  // 0 when unknown (stdin)
  uint64_t raw_bytes_read() const { return in_->raw_bytes_read(); }

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
};

}  // namespace wkit::audit
