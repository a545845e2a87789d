#include "wkit/audit/string_log.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace wkit::audit {

namespace {
// ref = writer (6 bits) | length (16 bits) | offset (42 bits)
constexpr uint64_t kOffsetBits = 42;
constexpr uint64_t kOffsetMask = (1ULL << kOffsetBits) - 1;

std::FILE* open_temp(const std::string& dir) {
  std::string path = dir + "/wkit-audit-strings-XXXXXX";
  int fd = ::mkstemp(path.data());
  if (fd < 0) return nullptr;
  ::unlink(path.c_str());
  std::FILE* f = ::fdopen(fd, "w+b");
  if (f) std::setvbuf(f, nullptr, _IOFBF, 1 << 16);
  return f;
}
}  // namespace

uint64_t StringLog::Writer::append(std::string_view s) {
  if (s.size() > kMaxLength) s = s.substr(0, kMaxLength);
  const uint64_t ref = (uint64_t(id_) << 58) | (uint64_t(s.size()) << kOffsetBits) | (size_ & kOffsetMask);
  if (!s.empty()) std::fwrite(s.data(), 1, s.size(), file_);
  size_ += s.size();
  return ref;
}

StringLog::StringLog(std::string dir) : dir_(std::move(dir)) {}

StringLog::~StringLog() {
  for (auto& w : writers_) {
    if (w->file_) std::fclose(w->file_);
    if (w->source_fd_ >= 0) ::close(w->source_fd_);
  }
}

std::optional<uint32_t> StringLog::add_source(int fd, uint32_t writers) {
  std::lock_guard lk(mu_);
  size_t have = 0;
  for (auto& w : writers_) have += w->file_ != nullptr;
  const size_t more = writers > have ? writers - have : 0;
  if (writers_.size() + more >= kMaxWriters) return std::nullopt;
  const int copy = ::dup(fd);
  if (copy < 0) return std::nullopt;
  auto w = std::make_unique<Writer>();
  w->id_ = static_cast<uint32_t>(writers_.size());
  w->source_fd_ = copy;
  writers_.push_back(std::move(w));
  return writers_.back()->id_;
}

std::optional<uint64_t> StringLog::source_ref(uint32_t id, uint64_t offset, size_t n) {
  n = std::min(n, kMaxLength);
  if (offset + n > kOffsetMask) return std::nullopt;
  return (uint64_t(id) << 58) | (uint64_t(n) << kOffsetBits) | offset;
}

Result<StringLog::Writer*> StringLog::acquire() {
  std::lock_guard lk(mu_);
  flushed_ = false;
  if (!free_.empty()) {
    Writer* w = free_.back();
    free_.pop_back();
    return w;
  }
  if (writers_.size() >= kMaxWriters) return Error::internal_error("too many string log writers");
  auto w = std::make_unique<Writer>();
  w->id_ = static_cast<uint32_t>(writers_.size());
  w->file_ = open_temp(dir_);
  if (!w->file_)
    return Error::internal_error("cannot create a temp file in " + dir_ + ": " + std::strerror(errno));
  writers_.push_back(std::move(w));
  return writers_.back().get();
}

void StringLog::release(Writer* w) {
  std::lock_guard lk(mu_);
  free_.push_back(w);
}

void StringLog::finish_writes() {
  for (auto& w : writers_)
    if (w->file_) std::fflush(w->file_);
  flushed_ = true;
}

void StringLog::read_into(uint64_t ref, std::string& out) {
  if (!flushed_) finish_writes();
  const uint32_t id = static_cast<uint32_t>(ref >> 58);
  const size_t len = (ref >> kOffsetBits) & 0xffff;
  const uint64_t off = ref & kOffsetMask;
  out.resize(len);
  if (len == 0 || id >= writers_.size()) return;
  size_t done = 0;
  const Writer& w = *writers_[id];
  const int fd = w.file_ ? ::fileno(w.file_) : w.source_fd_;
  while (done < len) {
    ssize_t n = ::pread(fd, out.data() + done, len - done, static_cast<off_t>(off + done));
    if (n <= 0) {
      out.resize(done);
      return;
    }
    done += static_cast<size_t>(n);
  }
}

std::string StringLog::read(uint64_t ref) {
  std::string s;
  read_into(ref, s);
  return s;
}

uint64_t StringLog::bytes() const {
  uint64_t n = 0;
  for (auto& w : writers_) n += w->size_;
  return n;
}

}  // namespace wkit::audit
