#include "wkit/util/output_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace wkit::util {

namespace fs = std::filesystem;

namespace {

Error usage(std::string msg) { return Error{ErrorKind::usage, std::move(msg), std::nullopt}; }

Error io_error(const std::string& what, const std::string& path, int err) {
  return Error::input(what + " " + path + ": " + std::strerror(err));
}

Error exists_error(const std::string& out) { return usage(out + " exists (use --force to replace it)"); }

fs::path normalized(const std::string& p) {
  std::error_code ec;
  fs::path abs = fs::absolute(p, ec);
  if (ec) return fs::path(p).lexically_normal();
  fs::path canon = fs::weakly_canonical(abs, ec);
  return ec ? abs.lexically_normal() : canon;
}

void sync_directory_of(const std::string& path) {
  fs::path dir = fs::path(path).parent_path();
  int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd < 0) return;  // the rename itself succeeded; this only makes it durable sooner
  ::fsync(fd);
  ::close(fd);
}

}  // namespace

bool same_file(const std::string& a, const std::string& b) {
  struct stat sa {}, sb {};
  bool has_a = ::stat(a.c_str(), &sa) == 0, has_b = ::stat(b.c_str(), &sb) == 0;
  if (has_a && has_b) return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
  if (has_a != has_b) return false;
  return normalized(a) == normalized(b);
}

Status check_output(const std::string& out, const OutputPolicy& policy) {
  if (out.empty()) return usage("empty output file name");
  for (const auto& in : policy.inputs)
    if (!in.empty() && same_file(in, out))
      return usage(out + " is also an input (" + in + "); an input is never overwritten: choose another output file");
  struct stat st {};
  if (::lstat(out.c_str(), &st) != 0) return std::nullopt;
  struct stat target {};
  if (::stat(out.c_str(), &target) == 0 && S_ISDIR(target.st_mode)) return usage(out + " is a directory");
  if (!policy.force) return exists_error(out);
  return std::nullopt;
}

Result<std::unique_ptr<OutputFile>> OutputFile::create(const std::string& out, const OutputPolicy& policy) {
  if (auto err = check_output(out, policy)) return *err;
  std::unique_ptr<OutputFile> o(new OutputFile());
  o->path_ = out;
  o->force_ = policy.force;
  o->keep_if_not_renamed_ = policy.keep_if_not_renamed;
  std::string tmpl = out + ".tmp-XXXXXX";
  int fd = ::mkstemp(tmpl.data());
  if (fd < 0) return io_error("cannot create a temporary file for", out, errno);
  o->temp_ = tmpl;
  // mkstemp makes the file 0600; the output gets the mode any new file gets.
  mode_t mask = ::umask(0);
  ::umask(mask);
  ::fchmod(fd, 0666 & ~mask);
  o->f_ = ::fdopen(fd, "wb");
  if (!o->f_) {
    int err = errno;
    ::close(fd);
    ::unlink(tmpl.c_str());
    o->temp_.clear();
    return io_error("cannot open", tmpl, err);
  }
  return o;
}

OutputFile::~OutputFile() { discard(); }

void OutputFile::discard() {
  if (f_) std::fclose(f_);
  f_ = nullptr;
  if (!temp_.empty()) ::unlink(temp_.c_str());
  temp_.clear();
}

Status OutputFile::commit(bool sync) {
  if (!f_) return Error::internal_error("output " + path_ + " is already closed");
  int err = 0;
  if (std::fflush(f_) != 0) err = errno;
  if (!err && sync && ::fsync(::fileno(f_)) != 0) err = errno;
  std::FILE* f = f_;
  f_ = nullptr;
  if (std::fclose(f) != 0 && !err) err = errno;
  if (err) {
    discard();
    return io_error("cannot write", path_, err);
  }
  int rc;
  if (force_) {
    rc = std::rename(temp_.c_str(), path_.c_str());
  } else {
    rc = ::renameat2(AT_FDCWD, temp_.c_str(), AT_FDCWD, path_.c_str(), RENAME_NOREPLACE);
    if (rc != 0 && (errno == EINVAL || errno == ENOSYS)) {
      // A filesystem without no-replace renames: check, then rename.
      struct stat st {};
      if (::lstat(path_.c_str(), &st) == 0) {
        rc = -1;
        errno = EEXIST;
      } else {
        rc = std::rename(temp_.c_str(), path_.c_str());
      }
    }
  }
  if (rc != 0) {
    err = errno;
    if (keep_if_not_renamed_) {
      std::string kept = temp_;
      temp_.clear();
      return Error::input((err == EEXIST ? path_ + " exists (use --force to replace it)"
                                         : "cannot rename to " + path_ + ": " + std::strerror(err)) +
                          "; the data is kept in " + kept);
    }
    discard();
    if (err == EEXIST) return exists_error(path_);
    return io_error("cannot rename the temporary file to", path_, err);
  }
  temp_.clear();
  if (sync) sync_directory_of(path_);
  return std::nullopt;
}

Status write_output_file(const std::string& out, std::string_view content, const OutputPolicy& policy, bool sync) {
  auto o = OutputFile::create(out, policy);
  if (!o) return o.error();
  auto& file = *o.value();
  if (std::fwrite(content.data(), 1, content.size(), file.stream()) != content.size())
    return io_error("cannot write", out, errno);  // the destructor removes the temporary file
  return file.commit(sync);
}

}  // namespace wkit::util
