#pragma once
// Streaming .wkcap writer. Each record is appended whole and (by default)
// flushed to the kernel at once, so a writer that dies leaves a file that
// reads up to the last whole record. Serialization reuses one buffer: no
// allocation per record once warm.
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>

#include "wkit/capture/format.hpp"
#include "wkit/util/error.hpp"
#include "wkit/util/output_file.hpp"

namespace wkit::capture {

struct WriterOptions {
  // Write to a temporary file beside `path` and rename it to `path` in
  // commit(); without commit() (an error, a crash) `path` is never touched.
  // `output` then says whether an existing `path` may be replaced and which
  // inputs it must not be (util::OutputFile).
  bool atomic = false;
  util::OutputPolicy output;
  // fflush() after this many records (1 = every record). 0 = only on commit().
  uint32_t flush_every = 1;
  bool fsync_on_commit = false;
};

class CaptureWriter {
 public:
  // Creates the file and writes the magic and `header` (format_version is
  // filled in when 0).
  static Result<std::unique_ptr<CaptureWriter>> create(const std::string& path, pb::Header header,
                                                       WriterOptions opts = {});
  ~CaptureWriter();  // an uncommitted atomic writer removes its temporary file
  CaptureWriter(const CaptureWriter&) = delete;
  CaptureWriter& operator=(const CaptureWriter&) = delete;

  Status write(const pb::Record& rec);
  Status flush();
  // Flushes and closes; an atomic writer renames its temporary file to `path`.
  Status commit();

  uint64_t records_written() const { return records_; }
  uint64_t bytes_written() const { return bytes_; }
  const std::string& path() const { return path_; }
  // Where the records are until commit(): the temporary file of an atomic
  // writer, else path().
  const std::string& data_path() const { return out_ && !out_->temp_path().empty() ? out_->temp_path() : path_; }

 private:
  CaptureWriter() = default;
  Status write_message(const google::protobuf::MessageLite& m);
  std::string path_;
  WriterOptions opts_;
  std::unique_ptr<util::OutputFile> out_;  // atomic: owns the stream
  std::FILE* f_ = nullptr;
  std::string buf_;
  uint64_t records_ = 0, bytes_ = 0;
  uint32_t unflushed_ = 0;
};

}  // namespace wkit::capture
