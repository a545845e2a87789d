// The SEND/RECV frames of security.json, decoded by our codec and checked
// with the session keys as `wkit decode --aes-key/--aes-iv` does: payloads
// decrypt to the documented plaintext and msg_key verifies; a changed byte
// makes it fail.
#include "vector_support.hpp"
#include "wkit/proto/payload_check.hpp"

namespace wkit::conformance {
namespace {

TEST(SecurityFrames, DecodeDecryptAndVerifyMsgKey) {
  const json doc = load_vectors("security.json");
  ASSERT_GT(doc["key_sets"].size(), 0u);
  size_t run = 0;
  for (const auto& ks : doc["key_sets"]) {
    auto keys = crypto::SessionKeys::from_strings(ks["aes_key"].get<std::string>(),
                                                  ks["aes_iv"].get<std::string>());
    ASSERT_TRUE(keys.ok()) << keys.error().message;
    crypto::Cipher cipher(*keys);
    for (const char* kind : {"send_samples", "recv_samples"}) {
      ASSERT_GT(ks[kind].size(), 0u);
      for (const auto& s : ks[kind]) {
        const std::string name = ks["name"].get<std::string>() + "/" + kind + "/" + s["name"].get<std::string>();
        SCOPED_TRACE(name);
        const std::string bytes = from_hex(s["frame_hex"].get<std::string>());
        auto r = proto::decode_frame(bytes, s["frame_version"].get<int>());
        ASSERT_EQ(r.status, proto::DecodeStatus::ok) << r.error.describe();
        EXPECT_EQ(r.consumed, bytes.size());
        expect_fields(s["fields"], r.frame, name);

        proto::PayloadCheck check;
        const bool applies = proto::check_payload(cipher, r.frame, check);
        const uint8_t setting = s["fields"]["Setting"].get<uint8_t>();
        if (setting & proto::Setting::kNoEncrypt) {
          EXPECT_FALSE(applies);  // NoEncrypt: no decryption, no msg_key check
          ++run;
          continue;
        }
        ASSERT_TRUE(applies);
        EXPECT_TRUE(check.decrypted) << check.decrypt_error;
        EXPECT_EQ(to_hex(check.plain), s["plain_payload_hex"].get<std::string>());
        EXPECT_TRUE(check.msg_key_ok);
        EXPECT_EQ(check.msg_key_expected, s["msg_key"].get<std::string>());

        // One flipped payload character: msg_key no longer verifies.
        std::string tampered = bytes;
        tampered[tampered.size() - 3] ^= 0x01;
        auto t = proto::decode_frame(tampered, s["frame_version"].get<int>());
        ASSERT_EQ(t.status, proto::DecodeStatus::ok);
        ASSERT_TRUE(proto::check_payload(cipher, t.frame, check));
        EXPECT_FALSE(check.msg_key_ok);
        ++run;
      }
    }
  }
  std::printf("[ vectors  ] security.json: %zu SEND/RECV frames checked\n", run);
  EXPECT_GT(run, 0u);
}

}  // namespace
}  // namespace wkit::conformance
