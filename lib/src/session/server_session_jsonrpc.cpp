// The JSON-RPC side of ServerSession (docs/protocol.md section 10): splitting
// the inbound text into messages, mapping each to the frame model, answering
// what cannot be used with an error object, and encoding outbound frames.
#include "wkit/proto/codec.hpp"
#include "wkit/proto/jsonrpc.hpp"
#include "wkit/session/server_session.hpp"

namespace wkit::session {

namespace jsonrpc = proto::jsonrpc;

void ServerSession::feed_jsonrpc(Now now) {
  size_t pos = 0;
  while (!closed()) {
    pos = json_in_.find_first_not_of(jsonrpc::kBlank, pos);
    if (pos == std::string::npos) {
      pos = json_in_.size();
      break;
    }
    const std::string_view rest(json_in_.data() + pos, json_in_.size() - pos);
    const size_t len = jsonrpc::value_length(rest);
    if (len == 0) {
      // Not an object: skip to the next one, so what follows still works.
      size_t next = rest.find('{', 1);
      if (next == std::string_view::npos) next = rest.size();
      jsonrpc_error({}, jsonrpc::problem_code(jsonrpc::Problem::parse_error),
                    "not a JSON object: " + std::to_string(next) + " bytes skipped", now);
      pos += next;
      continue;
    }
    if (len == std::string_view::npos) {
      if (rest.size() > jsonrpc::kMaxMessageBytes) {
        jsonrpc_error({}, jsonrpc::problem_code(jsonrpc::Problem::invalid_request),
                      "a JSON-RPC message over " + std::to_string(jsonrpc::kMaxMessageBytes) + " bytes", now);
        protocol_error("JSON-RPC message over " + std::to_string(jsonrpc::kMaxMessageBytes) + " bytes", now);
        return;
      }
      break;  // the rest of it is still to come
    }
    handle_jsonrpc(rest.substr(0, len), now);
    pos += len;
  }
  if (closed()) return;
  json_in_.erase(0, pos);
}

void ServerSession::handle_jsonrpc(std::string_view text, Now now) {
  jsonrpc::DecodeOptions opts;
  opts.compat = cfg_.jsonrpc_compat;
  opts.lenient = true;  // every generation's payload and recvack forms
  jsonrpc::Message& m = json_msg_;
  if (auto err = jsonrpc::decode(text, m, json_scratch_, opts)) {
    std::string message;
    jsonrpc::ErrorObject eo = jsonrpc::error_for(m, *err, jsonrpc::ErrorStyle::standard, message);
    jsonrpc_error(m.id, eo.code, std::string(eo.message), now);
    return;
  }
  if (m.kind == jsonrpc::Kind::response) {
    jsonrpc_error(m.id, jsonrpc::problem_code(jsonrpc::Problem::invalid_request),
                  "a response, but the server asked nothing", now);
    return;
  }
  switch (m.method) {
    case jsonrpc::Method::event:
    case jsonrpc::Method::recv:
      jsonrpc_error(m.id, jsonrpc::problem_code(jsonrpc::Problem::invalid_request),
                    std::string(jsonrpc::method_name(m.method)) + " is sent by servers, not clients", now);
      return;
    case jsonrpc::Method::pong:
      last_inbound_ = now.mono_ms;
      return;
    default: break;
  }
  if (state_ == State::handshake && m.method != jsonrpc::Method::connect) {
    jsonrpc_error(m.id, jsonrpc::problem_code(jsonrpc::Problem::invalid_request),
                  "the first message must be connect, not " + std::string(jsonrpc::method_name(m.method)), now);
    return;
  }
  uint8_t header_byte = static_cast<uint8_t>(static_cast<uint8_t>(proto::type_of(m.frame)) << 4);
  if (const auto* s = std::get_if<proto::Send>(&m.frame)) header_byte |= proto::header_flags(s->header);
  handle(m.frame, header_byte, false, now, m.id);
}

void ServerSession::jsonrpc_error(std::string_view id, int64_t code, std::string message, Now now) {
  jsonrpc::ErrorObject eo;
  eo.code = code;
  eo.message = message;
  std::string& buf = out_.buffer();
  const size_t before = buf.size();
  if (jsonrpc::encode_error(id, eo, buf)) buf.resize(before);
  else out_.commit();
  hooks_.on_jsonrpc_error(*this, code, message);
  // Before a successful connect nothing else is worth reading (2.x closes too).
  if (state_ == State::handshake) close("JSON-RPC before connect: " + message);
}

Status ServerSession::encode_out(const proto::Frame& f, int version, std::string_view rpc_id, std::string& out) {
  if (dialect_ != Dialect::jsonrpc) return proto::encode_frame(f, version, out);
  jsonrpc::EncodeOptions opts;
  opts.compat = cfg_.jsonrpc_compat;
  const size_t before = out.size();
  Status st = jsonrpc::encode(f, rpc_id, out, opts);
  if (st && proto::type_of(f) == proto::FrameType::recv && opts.compat != jsonrpc::Compat::v2_2_3) {
    // The 2.1/2.2 generations embed the payload as JSON; one that is not JSON
    // (sent by a WKProto client) goes out as base64, as 2.2.3 writes it.
    out.resize(before);
    opts.compat = jsonrpc::Compat::v2_2_3;
    st = jsonrpc::encode(f, rpc_id, out, opts);
  }
  if (st) out.resize(before);
  return st;
}

}  // namespace wkit::session
