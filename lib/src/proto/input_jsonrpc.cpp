#include "wkit/proto/input_jsonrpc.hpp"

#include <algorithm>

#include "wkit/proto/input_reader.hpp"

namespace wkit::proto {
namespace {

constexpr size_t kMaxPending = 16u << 20;   // one unfinished object may not grow beyond this
constexpr size_t kMaxRemembered = 1u << 16;  // request ids kept to type their responses

bool is_ws(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

uint64_t newlines(std::string_view s) { return static_cast<uint64_t>(std::count(s.begin(), s.end(), '\n')); }

}  // namespace

JsonRpcInput::JsonRpcInput(jsonrpc::DecodeOptions opts) : opts_(opts) { opts_.single_object = false; }

std::optional<InputError> JsonRpcInput::feed(std::string_view chunk, const Sink& sink) {
  if (error_) return error_;
  buf_.append(chunk);
  return drain(false, sink);
}

std::optional<InputError> JsonRpcInput::finish(const Sink& sink) {
  if (error_) return error_;
  return drain(true, sink);
}

std::optional<InputError> JsonRpcInput::drain(bool at_end, const Sink& sink) {
  size_t pos = 0;
  auto keep_rest = [&] {
    line_ += newlines(std::string_view(buf_).substr(0, pos));
    buf_.erase(0, pos);
    base_ += pos;
  };
  for (;;) {
    while (pos < buf_.size() && is_ws(buf_[pos])) ++pos;
    if (pos == buf_.size()) break;
    const std::string_view rest = std::string_view(buf_).substr(pos);
    const uint64_t line = line_ + newlines(std::string_view(buf_).substr(0, pos));
    opts_.answers = jsonrpc::Method::none;
    Status st = jsonrpc::decode(rest, msg_, scratch_, opts_);
    if (!st && msg_.kind == jsonrpc::Kind::response) {
      // Read a response as the answer to what its request asked.
      if (auto it = asked_.find(std::string(msg_.id)); it != asked_.end()) {
        opts_.answers = it->second;
        st = jsonrpc::decode(rest, msg_, scratch_, opts_);
      }
    }
    if (st) {
      const uint64_t off = st->offset.value_or(0);
      if (!at_end && off >= rest.size() && rest.size() < kMaxPending) break;  // wait for the rest
      const uint64_t at = base_ + pos + off;
      const uint64_t at_line = line + newlines(rest.substr(0, std::min<size_t>(off, rest.size())));
      keep_rest();  // moves the bytes `rest` views
      return error_ = InputError{st->message, at, at_line};
    }
    if (msg_.kind == jsonrpc::Kind::request) {
      if (asked_.size() >= kMaxRemembered) asked_.clear();
      asked_[std::string(msg_.id)] = msg_.method;
    }
    size_t size = msg_.consumed;
    while (size > 0 && is_ws(rest[size - 1])) --size;
    DecodeResult r;
    r.status = DecodeStatus::ok;
    r.frame = msg_.frame;
    r.consumed = size;
    ++messages_;
    sink(InputFrame{r, base_ + pos, line, kMaxProtoVersion, &msg_});
    pos += msg_.consumed;
  }
  keep_rest();
  return std::nullopt;
}

Json jsonrpc_json(const jsonrpc::Message& m) {
  Json j = Json::object();
  j["kind"] = std::string(jsonrpc::kind_name(m.kind));
  if (m.method != jsonrpc::Method::none) j["method"] = std::string(jsonrpc::method_name(m.method));
  if (!m.id.empty()) j["id"] = std::string(m.id);
  if (m.payload_form != jsonrpc::PayloadForm::absent &&
      (type_of(m.frame) == FrameType::send || type_of(m.frame) == FrameType::recv))
    j["payload_form"] = std::string(jsonrpc::payload_form_name(m.payload_form));
  if (m.has_error) {
    Json e = Json::object();
    e["code"] = m.error.code;
    e["message"] = std::string(m.error.message);
    if (!m.error.data.empty()) e["data"] = Json::parse(m.error.data, nullptr, false);
    j["error"] = std::move(e);
  }
  if (m.header_end) j["header_end"] = true;
  if (m.has_frame) {
    if (const auto* s = std::get_if<Send>(&m.frame); s && !s->stream_no.empty())
      j["stream_no"] = std::string(s->stream_no);
    if (const auto* r = std::get_if<Recv>(&m.frame)) {
      if (!r->stream_no.empty()) j["stream_no"] = std::string(r->stream_no);
      if (r->stream_flag) j["stream_flag"] = r->stream_flag;
      if (r->stream_id) {
        j["stream_id"] = r->stream_id;
        j["stream_idstr"] = std::to_string(r->stream_id);
      }
    }
  }
  return j;
}

std::string jsonrpc_summary(const jsonrpc::Message& m) {
  std::string s(jsonrpc::kind_name(m.kind));
  if (m.method != jsonrpc::Method::none) s += " " + std::string(jsonrpc::method_name(m.method));
  if (!m.id.empty()) s += " id=" + std::string(m.id);
  if (m.has_error)
    s += " error " + std::to_string(m.error.code) + ": " + std::string(m.error.message);
  return s;
}

}  // namespace wkit::proto
