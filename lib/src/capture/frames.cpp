#include "wkit/capture/frames.hpp"

#include <unordered_map>

#include "wkit/crypto/crypto.hpp"
#include "wkit/proto/json.hpp"

namespace wkit::capture {

Result<FramesInfo> read_frames(const std::string& path, std::optional<InputKind> kind,
                               const ImportOptions& import_opts, const FrameSink& sink) {
  FramesInfo info;
  std::unordered_map<uint64_t, pb::Connection> conns;
  RecordDecoder decoder;
  auto src = read_records(path, kind, import_opts, [&](const pb::Record& rec) -> Status {
    auto& conn = conns[rec.connection_id()];
    if (rec.has_connection()) {
      conn = rec.connection();
      return std::nullopt;
    }
    if (rec.has_closed()) decoder.forget(rec.connection_id());
    if (!rec.has_frame()) return std::nullopt;
    int version = rec.frame().protocol_version() ? int(rec.frame().protocol_version())
                  : conn.protocol_version()      ? int(conn.protocol_version())
                                                 : proto::kMaxProtoVersion;
    const DecodedRecord& d = decoder.decode(rec, conn, version);
    if (d.no_frame) {
      ++info.jsonrpc_errors;
      return std::nullopt;
    }
    if (!d.ok()) {
      ++info.undecodable;
      return std::nullopt;
    }
    ++info.frames;
    return sink(CaptureFrame{rec, d.result, version, conn, d.jsonrpc, d.rpc_id});
  });
  if (!src) return src.error();
  info.source = std::move(src.value());
  return info;
}

void append_capture_context(const CaptureFrame& f, nlohmann::ordered_json& out) {
  const auto& rec = f.record;
  out["connection_id"] = rec.connection_id();
  out["direction"] = std::string(direction_name(rec.direction()));
  out["timestamp_ns"] = rec.timestamp_ns();
  if (f.jsonrpc) {
    out["dialect"] = "jsonrpc";
    if (!f.rpc_id.empty()) out["rpc_id"] = f.rpc_id;
  }
  // Identities are bytes on the wire: JSON gets them as text only when valid UTF-8.
  if (!f.connection.uid().empty()) {
    if (proto::is_valid_utf8(f.connection.uid())) out["uid"] = f.connection.uid();
    else out["uid_hex"] = crypto::hex_encode(f.connection.uid());
  }
  const auto& fr = rec.frame();
  switch (fr.payload_state()) {
    case pb::PAYLOAD_PLAINTEXT:
      out["payload_state"] = "plaintext";
      if (proto::is_valid_utf8(fr.plaintext())) out["payload_plain"] = fr.plaintext();
      else out["payload_plain_base64"] = crypto::base64_encode(fr.plaintext());
      break;
    case pb::PAYLOAD_ENCRYPTED: out["payload_state"] = "encrypted"; break;
    case pb::PAYLOAD_CLEAR: out["payload_state"] = "clear"; break;
    default: break;
  }
  if (fr.has_fault())
    out["fault"] = {{"action", fr.fault().action()}, {"spec", fr.fault().spec()}, {"delay_ms", fr.fault().delay_ms()}};
}

}  // namespace wkit::capture
