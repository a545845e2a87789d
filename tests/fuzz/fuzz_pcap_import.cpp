// libFuzzer target: pcap/pcapng import on arbitrary bytes must produce records
// or a clear Error; never crash, hang or read out of bounds. The same bytes
// also go straight through the WebSocket layer (HTTP upgrade parser and frame
// deframer) in chunks, whose results must not depend on the chunking.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "wkit/capture/pcap_import.hpp"
#include "wkit/capture/ws_deframer.hpp"

namespace {

using namespace wkit::capture;

struct WsRun {
  std::string out;
  wkit::Status err;
  uint64_t offset = 0, payload = 0;
};

WsRun deframe(std::string_view in, bool from_client, size_t chunk) {
  WsDeframer d(from_client, 7);
  WsRun r;
  for (size_t i = 0; i < in.size() && !r.err; i += chunk) r.err = d.feed(in.substr(i, chunk), r.out);
  if (r.err && !d.feed("x", r.out)) __builtin_trap();  // errors stick
  r.offset = d.offset();
  r.payload = d.payload_bytes();
  if (r.payload != r.out.size()) __builtin_trap();
  return r;
}

void fuzz_ws(std::string_view in, uint8_t flags) {
  const bool from_client = flags & 2;
  size_t chunk = 1 + (flags >> 2);
  WsRun whole = deframe(in, from_client, in.size() ? in.size() : 1), pieces = deframe(in, from_client, chunk);
  if (whole.out != pieces.out || bool(whole.err) != bool(pieces.err)) __builtin_trap();
  if (whole.err && (whole.err->offset != pieces.err->offset || whole.err->message.empty())) __builtin_trap();
  if (!whole.err && whole.offset != 7 + in.size()) __builtin_trap();

  WsHandshake h(from_client ? WsHandshake::Side::request : WsHandshake::Side::response);
  size_t used = 0;
  for (size_t i = 0; i < in.size() && !h.done(); i += chunk) {
    auto n = h.feed(in.substr(i, chunk));
    if (!n) {
      if (n.error().message.empty()) __builtin_trap();
      return;
    }
    if (*n > std::min(chunk, in.size() - i)) __builtin_trap();
    used = i + *n;
  }
  if (h.done() && used > in.size()) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  ImportOptions opts;
  opts.max_buffered_bytes = 4096;  // exercise the gap path on small inputs
  if (size > 0 && (data[0] & 1)) opts.port = 5100;
  uint64_t records = 0;
  auto r = import_pcap_memory(in, opts, [&](const pb::Record& rec) -> wkit::Status {
    if (rec.has_frame() && rec.frame().wire().empty()) __builtin_trap();
    ++records;
    return std::nullopt;
  });
  if (!r.ok() && r.error().message.empty()) __builtin_trap();
  if (r.ok() && r.value().frames > records) __builtin_trap();
  if (size > 1) fuzz_ws(in.substr(1), data[0]);
  return 0;
}
