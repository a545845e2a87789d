// libFuzzer: random text through the JSON-RPC decoder at a random generation.
// Checks: no crash/leak; an error always has an offset inside the input (or
// at its end); a decoded frame that the encoder accepts re-decodes to the
// same frame and id.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "../unit/proto/random_frame.hpp"
#include "wkit/proto/jsonrpc.hpp"

using namespace wkit::proto;

namespace {
void check(bool ok) {
  if (!ok) std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const uint8_t knobs = data[0];
  const std::string text(reinterpret_cast<const char*>(data + 1), size - 1);
  jsonrpc::DecodeOptions o;
  o.compat = static_cast<jsonrpc::Compat>(knobs % 3);
  o.lenient = knobs & 0x04;
  o.single_object = !(knobs & 0x08);
  static std::string scratch, again_scratch, out;
  jsonrpc::Message m, again;
  if (auto st = jsonrpc::decode(text, m, scratch, o)) {
    check(st->offset.has_value() && *st->offset <= text.size());
    check(m.problem != jsonrpc::Problem::none);
    return 0;
  }
  check(m.consumed > 0 && m.consumed <= text.size());
  if (!m.has_frame) return 0;
  jsonrpc::EncodeOptions eo;
  eo.compat = o.compat;
  eo.header_end = m.header_end;
  out.clear();
  if (jsonrpc::encode(m.frame, m.id, out, eo)) return 0;  // refused: e.g. a lenient form it never writes
  jsonrpc::DecodeOptions ro;
  ro.compat = o.compat;
  ro.answers = m.kind == jsonrpc::Kind::response
                   ? (type_of(m.frame) == FrameType::connack  ? jsonrpc::Method::connect
                      : type_of(m.frame) == FrameType::sendack ? jsonrpc::Method::send
                      : type_of(m.frame) == FrameType::suback  ? jsonrpc::Method::subscribe
                                                               : jsonrpc::Method::ping)
                   : jsonrpc::Method::none;
  auto st = jsonrpc::decode(out, again, again_scratch, ro);
  check(!st);
  check(again.has_frame && again.id == m.id);
  // An empty payload is written as null at 2.1/2.2, which reads back as the
  // four bytes "null" (Go's json.RawMessage does the same).
  const std::string diff = testing::first_difference(m.frame, again.frame);
  const bool empty_embedded = diff == "payload" && o.compat != jsonrpc::Compat::v2_2_3 &&
      std::visit([](const auto& f) {
        using F = std::remove_cvref_t<decltype(f)>;
        if constexpr (std::is_same_v<F, Send> || std::is_same_v<F, Recv>) return f.payload.data.empty();
        else return false;
      }, m.frame);
  check(diff.empty() || empty_embedded);
  return 0;
}
