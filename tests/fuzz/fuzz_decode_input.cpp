// libFuzzer: the `wkit decode` input path. Text (hex/base64/auto) or raw
// bytes -> InputFrameReader -> frame JSON (+ payload check) -> dump. Checks:
// no crash/leak, every rendered document is valid UTF-8 JSON (dump does not
// throw), and errors carry a line or an offset.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "wkit/proto/input_reader.hpp"
#include "wkit/proto/json.hpp"
#include "wkit/proto/payload_check.hpp"

using namespace wkit::proto;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  static const InputFormat formats[] = {InputFormat::auto_detect, InputFormat::hex,
                                        InputFormat::base64, InputFormat::raw};
  static const BytesForm forms[] = {BytesForm::base64, BytesForm::hex, BytesForm::both};
  static wkit::crypto::Cipher cipher(
      wkit::crypto::SessionKeys::from_strings("6a42aec326f7c192", "abcdefghijklmnop").value());
  const uint8_t ctl = data[0];
  InputFrameReader::Options opts;
  opts.format = formats[ctl & 3];
  opts.version = (ctl >> 2) % 8;
  opts.adopt_connack_version = ctl & 0x20;
  JsonOptions jopts{forms[(ctl >> 6) % 3], (ctl & 0x40) != 0};
  InputFrameReader reader(opts);
  PayloadCheck check;
  auto sink = [&](const InputFrame& f) {
    Json rec = Json::object();
    append_decode_info(f.result, f.offset, rec);
    append_frame_json(f.result.frame, f.version, rec, jopts);
    if (check_payload(cipher, f.result.frame, check)) append_payload_check(check, rec);
    (void)rec.dump();  // throws (-> crash report) on invalid UTF-8
    (void)frame_summary(f.result.frame, f.version);
  };
  const std::string_view in(reinterpret_cast<const char*>(data + 1), size - 1);
  std::optional<InputError> err;
  const size_t chunk = 1 + (ctl % 17) * 7;
  for (size_t pos = 0; pos < in.size() && !err; pos += chunk) err = reader.feed(in.substr(pos, chunk), sink);
  if (!err) err = reader.finish(sink);
  if (err && !err->offset && err->line == 0) std::abort();
  if (err) (void)err->describe("fuzz");
  return 0;
}
