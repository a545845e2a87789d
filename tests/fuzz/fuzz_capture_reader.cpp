// libFuzzer target: the .wkcap reader on arbitrary bytes must return records,
// a truncation or an Error with an offset; never crash, hang or over-allocate.
// Every frame record it returns then goes through the RecordDecoder (either
// dialect: WKProto or JSON-RPC, with its request-id pairing), which must
// decode it or say why.
#include <cstddef>
#include <cstdint>
#include <map>
#include <string_view>

#include "wkit/capture/reader.hpp"
#include "wkit/capture/record_decoder.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace wkit::capture;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  // Half the inputs get a valid magic so the fuzzer reaches the records quickly.
  std::string with_magic;
  if (size > 0 && (data[0] & 1)) {
    with_magic.assign(kMagic);
    with_magic.append(in.substr(1));
    in = with_magic;
  }
  auto r = CaptureReader::from_memory(in);
  if (!r.ok()) {
    if (!r.error().offset && r.error().message.empty()) __builtin_trap();
    return 0;
  }
  pb::Record rec;
  RecordDecoder decoder;
  std::map<uint64_t, pb::Connection> connections;
  uint64_t last = 0;
  while (true) {
    auto got = r.value()->next(rec);
    if (!got.ok()) {
      if (!got.error().offset || *got.error().offset > size + kMagic.size()) __builtin_trap();
      break;
    }
    if (!got.value()) break;
    if (rec.has_connection() && connections.size() < 64) connections[rec.connection_id()] = rec.connection();
    if (rec.has_closed()) decoder.forget(rec.connection_id());
    if (rec.has_frame()) {
      auto c = connections.find(rec.connection_id());
      const auto& d = decoder.decode(rec, c == connections.end() ? pb::Connection() : c->second, 6);
      if (d.result.status == wkit::proto::DecodeStatus::error && !d.no_frame && d.result.error.message.empty())
        __builtin_trap();  // an error says why
    }
    if (r.value()->record_offset() < last) __builtin_trap();  // records advance
    last = r.value()->record_offset();
  }
  return 0;
}
