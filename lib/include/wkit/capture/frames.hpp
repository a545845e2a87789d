#pragma once
// Decoded frames of a capture (.wkcap or pcap), with their context: which
// connection, which direction, when, and the plaintext when recorded. Used by
// `wkit decode --input wkcap|pcap`.
#include <nlohmann/json.hpp>

#include "wkit/capture/record_decoder.hpp"
#include "wkit/capture/source.hpp"
#include "wkit/proto/codec.hpp"

namespace wkit::capture {

struct CaptureFrame {
  const pb::Record& record;            // record.frame() is the frame
  const proto::DecodeResult& result;   // status ok; views valid during the callback
  int version;                         // the version it was decoded at
  const pb::Connection& connection;    // last known state of its connection
  // A JSON-RPC message (record_decoder.hpp), and its request id ("" for none).
  bool jsonrpc = false;
  std::string_view rpc_id = {};
};

struct FramesInfo {
  SourceInfo source;
  uint64_t frames = 0;
  uint64_t undecodable = 0;  // frame records whose bytes do not decode (counted, skipped)
  uint64_t jsonrpc_errors = 0;  // JSON-RPC error responses that stand for no frame (skipped)
};

using FrameSink = std::function<Status(const CaptureFrame&)>;

Result<FramesInfo> read_frames(const std::string& path, std::optional<InputKind> kind,
                               const ImportOptions& import_opts, const FrameSink& sink);

// Adds "connection_id", "direction", "timestamp_ns", "uid", "payload_state",
// the plaintext ("payload_plain" when UTF-8, else "payload_plain_base64") and
// "fault" to a frame's JSON object; for JSON-RPC also "dialect": "jsonrpc"
// and "rpc_id".
void append_capture_context(const CaptureFrame& f, nlohmann::ordered_json& out);

}  // namespace wkit::capture
