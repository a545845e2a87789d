// libFuzzer: random bytes, random chunking, random version through the
// StreamDecoder. Checks: no crash/leak; chunking does not change the frames,
// their offsets or the error; every frame decoded re-encodes to bytes that
// decode to the same fields.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "../unit/proto/random_frame.hpp"
#include "wkit/proto/stream_decoder.hpp"

using namespace wkit::proto;

namespace {

struct Outcome {
  std::vector<uint64_t> offsets;
  std::vector<std::string> reencoded;  // "" when the encoder refuses
  std::optional<uint64_t> error_at;
};

void check(bool ok) {
  if (!ok) std::abort();
}

void drain(StreamDecoder& dec, Outcome& out, int version, std::string& buf) {
  for (;;) {
    uint64_t off = 0;
    DecodeResult r = dec.next(&off);
    if (r.status == DecodeStatus::incomplete) return;
    if (r.status == DecodeStatus::error) {
      check(r.error.offset.has_value());
      if (!out.error_at) out.error_at = r.error.offset;
      return;
    }
    out.offsets.push_back(off);
    buf.clear();
    if (!encode_frame(r.frame, version, buf)) {
      DecodeResult again = decode_frame(buf, version);
      check(again.status == DecodeStatus::ok && again.consumed == buf.size());
      check(testing::first_difference(r.frame, again.frame).empty() ||
            testing::first_difference(r.frame, again.frame) == "header");
      out.reencoded.push_back(buf);
    } else {
      out.reencoded.emplace_back();
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const int version = data[0] % 9;
  uint32_t seed = data[1];
  const std::string_view in(reinterpret_cast<const char*>(data + 2), size - 2);
  std::string buf;

  Outcome whole;
  {
    StreamDecoder dec(version);
    dec.feed(in);
    drain(dec, whole, version, buf);
    if (!whole.error_at) (void)dec.finish();
  }
  Outcome chunked;
  {
    StreamDecoder dec(version);
    size_t pos = 0;
    while (pos < in.size() && !dec.failed()) {
      seed = seed * 1103515245u + 12345u;
      const size_t n = std::min<size_t>(in.size() - pos, 1 + (seed >> 16) % 64);
      dec.feed(in.substr(pos, n));
      pos += n;
      drain(dec, chunked, version, buf);
      check(dec.buffered() <= in.size());
    }
  }
  check(whole.offsets == chunked.offsets);
  check(whole.reencoded == chunked.reencoded);
  check(whole.error_at == chunked.error_at);
  return 0;
}
