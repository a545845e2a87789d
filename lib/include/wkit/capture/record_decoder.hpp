#pragma once
// The frame of a capture record, in either dialect (docs/capture-format.md):
// a WKProto record is decoded with the binary codec; a JSON-RPC record (its
// Frame or its Connection says DIALECT_JSONRPC) holds one JSON-RPC object,
// decoded with the JSON-RPC codec onto the same frame model.
//
// JSON-RPC has no client_seq and its send result names neither the request's
// client_seq nor its clientMsgNo: answers are matched to requests by id. So
// the decoder keeps, per connection, the requests the client has made and
// not yet had answered: each `send` request gets the next number of its
// connection (1, 2, ...) as its client_seq, and the response with its id
// becomes a SENDACK with that client_seq and the request's client_msg_no.
// An error response to a send is a SENDACK that refuses it (reason_code: the
// error code when it is a reason code 2..255, else 0); other error responses
// stand for no frame. Responses are typed by what they answer (connect ->
// CONNACK, send -> SENDACK, ping -> PONG, subscribe -> SUBACK), else by their
// members. Records must be fed in file order, client and server together.
//
// Once warm, decoding allocates nothing (request ids reuse their map nodes).
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "wkit/capture/format.hpp"
#include "wkit/proto/codec.hpp"
#include "wkit/proto/jsonrpc.hpp"

namespace wkit::capture {

// Whether a frame record is JSON-RPC: its own dialect, else its connection's.
inline bool is_jsonrpc(const pb::Frame& f, const pb::Connection& conn) {
  return f.dialect() == pb::DIALECT_JSONRPC || conn.dialect() == pb::DIALECT_JSONRPC;
}

struct DecodedRecord {
  // status ok: `result.frame` is the frame (views valid until the next
  // decode and while the record lives); error: `result.error` says why.
  proto::DecodeResult result;
  bool jsonrpc = false;
  // JSON-RPC only: a valid message that stands for no frame (an error
  // response to something other than a send); `result.status` is error.
  bool no_frame = false;
  std::string_view rpc_id;  // the request id ("" for notifications)
  proto::jsonrpc::Kind kind = proto::jsonrpc::Kind::notification;
  proto::jsonrpc::PayloadForm payload_form = proto::jsonrpc::PayloadForm::absent;
  bool rpc_error = false;  // an error response
  int64_t error_code = 0;
  std::string_view error_message;

  bool ok() const { return result.status == proto::DecodeStatus::ok; }
};

class RecordDecoder {
 public:
  RecordDecoder();
  ~RecordDecoder();
  RecordDecoder(const RecordDecoder&) = delete;
  RecordDecoder& operator=(const RecordDecoder&) = delete;

  // Decodes `rec`'s frame (rec.has_frame() must hold). `conn`: the last
  // Connection record of its connection; `version`: the WKProto version to
  // decode binary frames with.
  const DecodedRecord& decode(const pb::Record& rec, const pb::Connection& conn, int version);
  // The connection ended: its unanswered requests are dropped.
  void forget(uint64_t connection_id);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace wkit::capture
