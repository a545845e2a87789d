// libFuzzer target: pcap/pcapng import on arbitrary bytes must produce records
// or a clear Error; never crash, hang or read out of bounds.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "wkit/capture/pcap_import.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace wkit::capture;
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
  return 0;
}
