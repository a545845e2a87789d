#include "wkit/proto/input_reader.hpp"

namespace wkit::proto {
namespace {
constexpr size_t kDetectBytes = 4096;
}

std::string InputError::describe(std::string_view source) const {
  std::string s(source);
  if (line) s += ":" + std::to_string(line);
  s += ": ";
  if (offset) s += "byte " + std::to_string(*offset) + ": ";
  return s + message;
}

InputFrameReader::InputFrameReader(Options opts)
    : opts_(opts), format_(opts.format), stream_(opts.version, opts.limits) {
  if (format_ != InputFormat::auto_detect) decide({});
}

void InputFrameReader::decide(std::string_view head) {
  if (format_ == InputFormat::auto_detect) {
    format_ = detect_input_format(head);
    guessed_ = true;
  }
  if (format_ == InputFormat::hex || format_ == InputFormat::base64) text_.emplace(format_);
  if (format_ == InputFormat::jsonrpc) rpc_.emplace(opts_.jsonrpc);
}

uint64_t InputFrameReader::line_of(uint64_t off) const { return text_ ? text_->line_of(off) : 0; }

std::optional<InputError> InputFrameReader::feed(std::string_view chunk, const Sink& sink) {
  if (error_) return error_;
  if (format_ == InputFormat::auto_detect) {
    head_.append(chunk);
    if (head_.size() < kDetectBytes && head_.find('\n') == std::string::npos) return std::nullopt;
    decide(head_);
    std::string head;
    head.swap(head_);
    return process(head, sink);
  }
  return process(chunk, sink);
}

std::optional<InputError> InputFrameReader::process(std::string_view chunk, const Sink& sink) {
  if (rpc_) return error_ = rpc_->feed(chunk, sink);
  if (text_) {
    scratch_.clear();
    Status st = text_->feed(chunk, scratch_);
    stream_.feed(scratch_);  // the complete lines before a bad one still count
    if (auto e = drain(sink)) return e;
    if (st) return error_ = InputError{st->message, std::nullopt, text_->error_line()};
    return std::nullopt;
  }
  stream_.feed(chunk);
  return drain(sink);
}

std::optional<InputError> InputFrameReader::drain(const Sink& sink) {
  for (;;) {
    uint64_t off = 0;
    const DecodeResult r = stream_.next(&off);
    if (r.status == DecodeStatus::incomplete) return std::nullopt;
    if (r.status == DecodeStatus::error) {
      const uint64_t at = r.error.offset.value_or(off);
      return error_ = InputError{r.error.message, at, line_of(at)};
    }
    ++frames_;
    sink(InputFrame{r, off, line_of(off), stream_.version()});
    if (text_) text_->forget_before(off);
    if (opts_.adopt_connack_version) {
      if (const auto* ca = std::get_if<Connack>(&r.frame);
          ca && ca->has_server_version && ca->server_version > 0)
        stream_.set_version(ca->server_version);
    }
  }
}

std::optional<InputError> InputFrameReader::finish(const Sink& sink) {
  if (error_) return error_;
  if (format_ == InputFormat::auto_detect) {
    decide(head_);
    std::string head;
    head.swap(head_);
    if (auto e = process(head, sink)) return e;
  }
  if (rpc_) return error_ = rpc_->finish(sink);
  if (text_) {
    scratch_.clear();
    Status st = text_->finish(scratch_);
    stream_.feed(scratch_);
    if (auto e = drain(sink)) return e;
    if (st) return error_ = InputError{st->message, std::nullopt, text_->error_line()};
  }
  if (auto st = stream_.finish()) {
    const uint64_t at = st->offset.value_or(0);
    return error_ = InputError{st->message, at, line_of(at)};
  }
  return std::nullopt;
}

}  // namespace wkit::proto
