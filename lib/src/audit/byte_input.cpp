#include "wkit/audit/byte_input.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "wkit/util/stoppable_read.hpp"

namespace wkit::audit {

const char* compression_name(Compression c) {
  switch (c) {
    case Compression::gzip: return "gzip";
    case Compression::zstd: return "zstd";
    default: return "none";
  }
}

namespace {

class FileInput final : public ByteInput {
 public:
  FileInput(std::FILE* f, bool owned, std::string name, std::atomic<uint64_t>* consumed, const std::atomic<int>* stop)
      : f_(f), owned_(owned), name_(std::move(name)), consumed_(consumed), stop_(stop), fd_(::fileno(f)),
        blocking_(util::may_block(fd_)) {}
  ~FileInput() override {
    if (owned_) std::fclose(f_);
  }
  // Straight from the file descriptor (nothing reads through the FILE): a
  // pipe's bytes are handed on as they arrive, and a stop request ends the
  // input (0, like its end) even while waiting for a writer.
  Result<size_t> read(char* buf, size_t n) override {
    const ssize_t got = util::read_or_stop(fd_, buf, n, stop_, blocking_);
    if (got < 0) return Error::input(name_ + ": read error: " + std::strerror(errno));
    total_ += static_cast<size_t>(got);
    if (consumed_) consumed_->fetch_add(static_cast<size_t>(got), std::memory_order_relaxed);
    return static_cast<size_t>(got);
  }
  uint64_t raw_bytes_read() const override { return total_; }

 private:
  std::FILE* f_;
  bool owned_;
  std::string name_;
  std::atomic<uint64_t>* consumed_;
  const std::atomic<int>* stop_;
  int fd_;
  bool blocking_;
  uint64_t total_ = 0;
};

bool stop_requested(const std::atomic<int>* stop) { return stop && stop->load(std::memory_order_relaxed) != 0; }

// Reads the raw input again after the magic bytes were consumed for sniffing.
class PrefixedInput final : public ByteInput {
 public:
  PrefixedInput(std::string prefix, std::unique_ptr<ByteInput> in) : prefix_(std::move(prefix)), in_(std::move(in)) {}
  Result<size_t> read(char* buf, size_t n) override {
    if (pos_ < prefix_.size()) {
      size_t k = std::min(n, prefix_.size() - pos_);
      std::memcpy(buf, prefix_.data() + pos_, k);
      pos_ += k;
      return k;
    }
    return in_->read(buf, n);
  }
  uint64_t raw_bytes_read() const override { return in_->raw_bytes_read(); }

 private:
  std::string prefix_;
  size_t pos_ = 0;
  std::unique_ptr<ByteInput> in_;
};

class GzipInput final : public ByteInput {
 public:
  GzipInput(std::unique_ptr<ByteInput> in, std::string name, const std::atomic<int>* stop)
      : in_(std::move(in)), name_(std::move(name)), buf_(1 << 16), stop_(stop) {
    std::memset(&zs_, 0, sizeof zs_);
    inflateInit2(&zs_, 15 + 32);  // gzip or zlib header
  }
  ~GzipInput() override { inflateEnd(&zs_); }
  Result<size_t> read(char* out, size_t n) override {
    if (done_) return size_t(0);
    zs_.next_out = reinterpret_cast<Bytef*>(out);
    zs_.avail_out = static_cast<uInt>(n);
    while (zs_.avail_out == n) {
      if (zs_.avail_in == 0) {
        auto got = in_->read(buf_.data(), buf_.size());
        if (!got) return got.error();
        if (*got == 0) {
          // Stopped (SIGINT): the input was not read to its end, it is not cut off.
          if (in_stream_ && !stop_requested(stop_)) return Error::input(name_ + ": truncated gzip data");
          done_ = true;
          break;
        }
        zs_.next_in = reinterpret_cast<Bytef*>(buf_.data());
        zs_.avail_in = static_cast<uInt>(*got);
      }
      in_stream_ = true;
      int rc = inflate(&zs_, Z_NO_FLUSH);
      if (rc == Z_STREAM_END) {
        in_stream_ = false;
        inflateReset(&zs_);  // concatenated gzip members
      } else if (rc != Z_OK && rc != Z_BUF_ERROR) {
        return Error::input(name_ + ": corrupt gzip data near compressed byte " +
                            std::to_string(in_->raw_bytes_read() - zs_.avail_in) + ": " +
                            (zs_.msg ? zs_.msg : "inflate failed"));
      }
    }
    return n - zs_.avail_out;
  }
  uint64_t raw_bytes_read() const override { return in_->raw_bytes_read(); }

 private:
  std::unique_ptr<ByteInput> in_;
  std::string name_;
  std::vector<char> buf_;
  const std::atomic<int>* stop_;
  z_stream zs_;
  bool in_stream_ = false;
  bool done_ = false;
};

class ZstdInput final : public ByteInput {
 public:
  ZstdInput(std::unique_ptr<ByteInput> in, std::string name, const std::atomic<int>* stop)
      : in_(std::move(in)), name_(std::move(name)), buf_(ZSTD_DStreamInSize()), stop_(stop), ds_(ZSTD_createDStream()) {
    ZSTD_initDStream(ds_);
  }
  ~ZstdInput() override { ZSTD_freeDStream(ds_); }
  Result<size_t> read(char* out, size_t n) override {
    ZSTD_outBuffer ob{out, n, 0};
    while (ob.pos == 0) {
      if (ib_.pos == ib_.size) {
        auto got = in_->read(buf_.data(), buf_.size());
        if (!got) return got.error();
        if (*got == 0) {
          if (last_ != 0 && !stop_requested(stop_)) return Error::input(name_ + ": truncated zstd data");
          return size_t(0);
        }
        ib_ = ZSTD_inBuffer{buf_.data(), *got, 0};
      }
      size_t rc = ZSTD_decompressStream(ds_, &ob, &ib_);
      if (ZSTD_isError(rc))
        return Error::input(name_ + ": corrupt zstd data near compressed byte " +
                            std::to_string(in_->raw_bytes_read() - (ib_.size - ib_.pos)) + ": " +
                            ZSTD_getErrorName(rc));
      last_ = rc;
    }
    return ob.pos;
  }
  uint64_t raw_bytes_read() const override { return in_->raw_bytes_read(); }

 private:
  std::unique_ptr<ByteInput> in_;
  std::string name_;
  std::vector<char> buf_;
  const std::atomic<int>* stop_;
  ZSTD_DStream* ds_;
  ZSTD_inBuffer ib_{nullptr, 0, 0};
  size_t last_ = 0;
};

}  // namespace

Result<std::unique_ptr<PeekableInput>> PeekableInput::open(const std::string& path, std::atomic<uint64_t>* consumed,
                                                           const std::atomic<int>* stop) {
  auto p = std::make_unique<PeekableInput>();
  const bool is_stdin = path == "-";
  p->name_ = is_stdin ? "<stdin>" : path;
  std::FILE* f = is_stdin ? stdin : std::fopen(path.c_str(), "rb");
  if (!f) return Error::input(path + ": cannot open: " + std::strerror(errno));
  if (!is_stdin) {
    struct stat st{};
    if (::fstat(::fileno(f), &st) == 0) {
      if (S_ISDIR(st.st_mode)) {
        std::fclose(f);
        return Error::input(path + ": is a directory");
      }
      if (S_ISREG(st.st_mode)) p->raw_size_ = static_cast<uint64_t>(st.st_size);
    }
  }
  std::unique_ptr<ByteInput> raw = std::make_unique<FileInput>(f, !is_stdin, p->name_, consumed, stop);
  char magic[4];
  size_t got = 0;
  while (got < 4) {
    auto r = raw->read(magic + got, 4 - got);
    if (!r) return r.error();
    if (*r == 0) break;
    got += *r;
  }
  const auto* m = reinterpret_cast<const unsigned char*>(magic);
  raw = std::make_unique<PrefixedInput>(std::string(magic, got), std::move(raw));
  if (got >= 2 && m[0] == 0x1f && m[1] == 0x8b) {
    p->compression_ = Compression::gzip;
    raw = std::make_unique<GzipInput>(std::move(raw), p->name_, stop);
  } else if (got >= 4 && m[0] == 0x28 && m[1] == 0xb5 && m[2] == 0x2f && m[3] == 0xfd) {
    p->compression_ = Compression::zstd;
    raw = std::make_unique<ZstdInput>(std::move(raw), p->name_, stop);
  }
  p->in_ = std::move(raw);
  p->consumed_ = consumed;
  p->stop_ = stop;
  if (p->compression_ == Compression::none && p->raw_size_ > 0) p->fd_ = ::fileno(f);
  return p;
}

PeekableInput::~PeekableInput() = default;

bool PeekableInput::positional() {
  if (fd_ < 0 || read_any_ || raw_size_ == 0) return false;
  if (!positional_) {
    positional_ = true;
    ::posix_fadvise(fd_, 0, 0, POSIX_FADV_SEQUENTIAL);
    // The bytes peeked for detection were read from the file: count them once.
    if (consumed_) consumed_->fetch_sub(std::min<uint64_t>(consumed_->load(), in_->raw_bytes_read()));
  }
  return true;
}

Result<size_t> PeekableInput::read_at(char* buf, size_t n, uint64_t offset) const {
  size_t done = 0;
  while (done < n) {
    const ssize_t got = ::pread(fd_, buf + done, n - done, static_cast<off_t>(offset + done));
    if (got < 0) {
      if (errno == EINTR) continue;
      return Error::input(name_ + ": read error: " + std::strerror(errno));
    }
    if (got == 0) break;
    done += static_cast<size_t>(got);
  }
  return done;
}

Result<std::string_view> PeekableInput::peek(size_t n) {
  while (peeked_.size() < n && !eof_) {
    size_t old = peeked_.size();
    peeked_.resize(n);
    auto r = in_->read(peeked_.data() + old, n - old);
    if (!r) return r.error();
    peeked_.resize(old + *r);
    if (*r == 0) eof_ = true;
  }
  return std::string_view(peeked_).substr(0, std::min(n, peeked_.size()));
}

Result<size_t> PeekableInput::read(char* buf, size_t n) {
  read_any_ = true;
  if (peek_pos_ < peeked_.size()) {
    size_t k = std::min(n, peeked_.size() - peek_pos_);
    std::memcpy(buf, peeked_.data() + peek_pos_, k);
    peek_pos_ += k;
    if (peek_pos_ == peeked_.size()) {
      peeked_.clear();
      peeked_.shrink_to_fit();
      peek_pos_ = 0;
    }
    return k;
  }
  if (eof_) return size_t(0);
  return in_->read(buf, n);
}

Result<std::string> copy_to_temp_file(PeekableInput& in, const std::string& dir, const std::string& stem) {
  std::string path = dir + "/" + stem + "XXXXXX";
  int fd = ::mkstemp(path.data());
  if (fd < 0) return Error::internal_error("cannot create a temp file in " + dir + ": " + std::strerror(errno));
  std::vector<char> buf(1 << 20);
  for (;;) {
    auto got = in.read(buf.data(), buf.size());
    if (!got) {
      ::close(fd);
      ::unlink(path.c_str());
      return got.error();
    }
    if (*got == 0) {
      if (in.stopped()) {  // not the whole input: a partial copy would read as a corrupt file
        ::close(fd);
        ::unlink(path.c_str());
        return Error::input(in.name() + ": reading stopped before the end of the input");
      }
      break;
    }
    if (::write(fd, buf.data(), *got) != static_cast<ssize_t>(*got)) {
      const int err = errno;
      ::close(fd);
      ::unlink(path.c_str());
      return Error::internal_error("cannot write temp file " + path + ": " + std::strerror(err));
    }
  }
  if (::close(fd) != 0) {
    ::unlink(path.c_str());
    return Error::internal_error("cannot write temp file " + path + ": " + std::strerror(errno));
  }
  return path;
}

}  // namespace wkit::audit
