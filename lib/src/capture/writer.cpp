#include "wkit/capture/writer.hpp"

#include <google/protobuf/io/coded_stream.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace wkit::capture {

namespace {
Error io_error(const std::string& what, const std::string& path) {
  return Error{ErrorKind::bad_input, what + " " + path + ": " + std::strerror(errno), std::nullopt};
}
}  // namespace

Result<std::unique_ptr<CaptureWriter>> CaptureWriter::create(const std::string& path, pb::Header header,
                                                             WriterOptions opts) {
  std::unique_ptr<CaptureWriter> w(new CaptureWriter());
  w->path_ = path;
  w->opts_ = opts;
  if (opts.atomic) {
    auto out = util::OutputFile::create(path, opts.output);
    if (!out) return out.error();
    w->out_ = std::move(out.value());
    w->f_ = w->out_->stream();
  } else {
    w->f_ = std::fopen(path.c_str(), "wb");
    if (!w->f_) return io_error("cannot create", path);
  }
  if (header.format_version() == 0) header.set_format_version(kFormatVersion);
  if (std::fwrite(kMagic.data(), 1, kMagic.size(), w->f_) != kMagic.size())
    return io_error("cannot write", path);
  w->bytes_ = kMagic.size();
  if (auto err = w->write_message(header)) return *err;
  if (auto err = w->flush()) return *err;
  return w;
}

CaptureWriter::~CaptureWriter() {
  if (f_ && !out_) std::fclose(f_);  // out_ closes its own stream and removes an uncommitted temporary file
}

Status CaptureWriter::write_message(const google::protobuf::MessageLite& m) {
  using google::protobuf::io::CodedOutputStream;
  size_t size = m.ByteSizeLong();
  if (size > kMaxMessageSize)
    return Error::internal_error("capture record of " + std::to_string(size) + " bytes exceeds the format limit");
  size_t prefix = CodedOutputStream::VarintSize32(static_cast<uint32_t>(size));
  buf_.resize(prefix + size);
  auto* p = reinterpret_cast<uint8_t*>(buf_.data());
  CodedOutputStream::WriteVarint32ToArray(static_cast<uint32_t>(size), p);
  m.SerializeWithCachedSizesToArray(p + prefix);
  if (std::fwrite(buf_.data(), 1, buf_.size(), f_) != buf_.size()) return io_error("cannot write", path_);
  bytes_ += buf_.size();
  return std::nullopt;
}

Status CaptureWriter::write(const pb::Record& rec) {
  if (!f_) return Error::internal_error("capture writer is closed");
  if (auto err = write_message(rec)) return err;
  ++records_;
  if (opts_.flush_every && ++unflushed_ >= opts_.flush_every) return flush();
  return std::nullopt;
}

Status CaptureWriter::flush() {
  unflushed_ = 0;
  if (f_ && std::fflush(f_) != 0) return io_error("cannot write", path_);
  return std::nullopt;
}

Status CaptureWriter::commit() {
  if (!f_) return std::nullopt;
  std::FILE* f = f_;
  f_ = nullptr;
  if (out_) return out_->commit(opts_.fsync_on_commit);
  if (std::fflush(f) != 0 || (opts_.fsync_on_commit && ::fsync(::fileno(f)) != 0)) {
    std::fclose(f);
    return io_error("cannot write", path_);
  }
  if (std::fclose(f) != 0) return io_error("cannot close", path_);
  return std::nullopt;
}

}  // namespace wkit::capture
