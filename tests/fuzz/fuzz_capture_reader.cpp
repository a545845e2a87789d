// libFuzzer target: the .wkcap reader on arbitrary bytes must return records,
// a truncation or an Error with an offset; never crash, hang or over-allocate.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "wkit/capture/reader.hpp"

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
  uint64_t last = 0;
  while (true) {
    auto got = r.value()->next(rec);
    if (!got.ok()) {
      if (!got.error().offset || *got.error().offset > size + kMagic.size()) __builtin_trap();
      break;
    }
    if (!got.value()) break;
    if (r.value()->record_offset() < last) __builtin_trap();  // records advance
    last = r.value()->record_offset();
  }
  return 0;
}
