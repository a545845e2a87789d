#pragma once
// Output files that are never overwritten by accident and never left half
// written. The data goes to a temporary file beside the target (same
// directory, so the final rename stays on one filesystem) that is renamed
// into place only on success; an existing target is refused unless the
// command was given --force; a file the command reads is never its output.
// Refusals are usage errors (exit 2) with one line naming the file.
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "wkit/util/error.hpp"

namespace wkit::util {

struct OutputPolicy {
  bool force = false;               // --force: an existing output may be replaced
  std::vector<std::string> inputs;  // files the command reads: never its output
  // A long recording: when the final rename fails (the output appeared
  // meanwhile, ...) the data stays in the temporary file, named in the error.
  bool keep_if_not_renamed = false;
};

// Whether `a` and `b` name the same file: device and inode when both exist,
// else the normalized absolute paths (symlinks in existing parents resolved).
bool same_file(const std::string& a, const std::string& b);

// The refusals, checked before any work is done: `out` is a directory, exists
// (without force), or is one of the inputs (even with force).
Status check_output(const std::string& out, const OutputPolicy& policy);

class OutputFile {
 public:
  // check_output(), then creates OUT.tmp-XXXXXX beside `out` (mode from the umask).
  static Result<std::unique_ptr<OutputFile>> create(const std::string& out, const OutputPolicy& policy);
  ~OutputFile();  // without commit(): closes and removes the temporary file
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;

  std::FILE* stream() { return f_; }
  const std::string& path() const { return path_; }
  const std::string& temp_path() const { return temp_; }

  // Flushes and closes, with `sync` fsyncs the file (and then its directory),
  // and renames the temporary file to the output. Without force, an output
  // that appeared meanwhile is still refused (no-replace rename). On error the
  // temporary file is removed (unless keep_if_not_renamed and only the rename
  // failed).
  Status commit(bool sync);

 private:
  OutputFile() = default;
  void discard();
  std::string path_, temp_;
  bool force_ = false, keep_if_not_renamed_ = false;
  std::FILE* f_ = nullptr;
};

// The whole content at once, through OutputFile (histograms, small reports).
Status write_output_file(const std::string& out, std::string_view content, const OutputPolicy& policy,
                         bool sync = false);

}  // namespace wkit::util
