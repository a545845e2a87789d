#pragma once
// Streaming .wkcap reader: yields one record at a time from a file (or a
// memory buffer) without loading the whole file. A file cut off inside a
// record (a writer that crashed) reads up to the last whole record and then
// reports the truncation; corruption is an Error naming the byte offset.
#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "wkit/capture/format.hpp"
#include "wkit/util/error.hpp"

namespace wkit::capture {

// Where and how a file ended inside a record.
struct Truncation {
  uint64_t offset = 0;         // byte offset of the incomplete record
  uint64_t bytes_present = 0;  // bytes of it that are in the file
  std::optional<uint64_t> bytes_needed;  // its full size, when the length prefix was whole
  std::string describe() const;  // "file ends inside the record at byte 123 (10 of 50 bytes)"
};

class CaptureReader {
 public:
  // Opens a file and reads the magic and the header.
  static Result<std::unique_ptr<CaptureReader>> open(const std::string& path);
  // Reads from memory (the buffer must outlive the reader).
  static Result<std::unique_ptr<CaptureReader>> from_memory(std::string_view data);
  ~CaptureReader();
  CaptureReader(const CaptureReader&) = delete;
  CaptureReader& operator=(const CaptureReader&) = delete;

  const pb::Header& header() const { return header_; }

  // Reads the next record into `rec`: true = a record, false = the end (see
  // truncation()). An Error (with the byte offset) for corrupt data; the
  // reader stays failed after one.
  Result<bool> next(pb::Record& rec);

  // Set once next() returned false at a cut-off record.
  const std::optional<Truncation>& truncation() const { return truncation_; }
  uint64_t record_offset() const { return record_offset_; }  // of the last record returned
  uint64_t records_read() const { return records_; }

 private:
  CaptureReader() = default;
  enum class Fill { ok, eof };
  // Makes at least `n` bytes available at pos_ unless the input ends first.
  Fill fill(size_t n);
  size_t available() const { return end_ - pos_; }
  uint64_t offset() const { return consumed_before_ + pos_; }
  // Reads one length-delimited message; false at a clean end or truncation.
  Result<bool> read_message(std::string_view what, std::string_view& body);
  Status read_header();

  std::FILE* f_ = nullptr;
  std::string storage_;  // file input buffer
  const char* data_ = nullptr;
  size_t pos_ = 0, end_ = 0;
  uint64_t consumed_before_ = 0;  // file offset of data_[0]
  bool eof_ = false;
  pb::Header header_;
  std::optional<Truncation> truncation_;
  std::optional<Error> failed_;
  uint64_t record_offset_ = 0, records_ = 0;
};

}  // namespace wkit::capture
