// Conformance with vectors/security.json (docs/protocol.md section 3): every key set
// and every SEND/RECV sample must reproduce every intermediate value, from
// the private keys alone, and the resulting frames must encode to the
// vectors' bytes.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "wkit/crypto/crypto.hpp"
#include "wkit/proto/codec.hpp"

namespace {

using nlohmann::json;
namespace wc = wkit::crypto;
namespace wp = wkit::proto;

const std::string kFile = std::string(WKIT_VECTORS_DIR) + "/security.json";

// nullopt-free loader: a missing or broken file yields an empty document,
// which the SecurityVectors.FileHasCases test turns into a failure.
const json& doc() {
  static const json d = [] {
    std::ifstream in(kFile);
    if (!in) return json::object();
    std::stringstream ss;
    ss << in.rdbuf();
    return json::parse(ss.str(), nullptr, /*allow_exceptions=*/false);
  }();
  return d;
}

const json& key_sets() {
  static const json empty = json::array();
  return doc().is_object() && doc().contains("key_sets") ? doc()["key_sets"] : empty;
}

struct SampleRef {
  size_t key_set;
  size_t sample;
  std::string name;
};

void PrintTo(const SampleRef& r, std::ostream* os) { *os << r.name; }

std::string sanitize(std::string s) {
  for (auto& c : s)
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  return s;
}

std::vector<SampleRef> samples(const char* kind) {
  std::vector<SampleRef> out;
  for (size_t k = 0; k < key_sets().size(); ++k) {
    const json& ks = key_sets()[k];
    if (!ks.contains(kind)) continue;
    for (size_t s = 0; s < ks[kind].size(); ++s)
      out.push_back({k, s, sanitize(ks["name"].get<std::string>() + "_" + ks[kind][s]["name"].get<std::string>())});
  }
  return out;
}

std::vector<size_t> key_set_indexes() {
  std::vector<size_t> v(key_sets().size());
  for (size_t i = 0; i < v.size(); ++i) v[i] = i;
  return v;
}

std::string str(const json& j, const char* k) { return j.at(k).get<std::string>(); }
std::string unhex(const json& j, const char* k) { return wc::hex_decode(str(j, k)).value(); }
std::string bytes_of(const std::array<uint8_t, 32>& a) { return std::string(a.begin(), a.end()); }
template <size_t N>
std::string ascii(const std::array<uint8_t, N>& a) {
  return std::string(a.begin(), a.end());
}

bool valid_utf8(const std::string& s) {
  try {
    (void)json(s).dump();
    return true;
  } catch (const json::type_error&) {
    return false;
  }
}

// plain_payload_text is a display form: binary payloads have their invalid
// UTF-8 replaced by U+FFFD there, so only text payloads compare byte for byte.
void expect_text_form(const std::string& plain, const std::string& text) {
  if (valid_utf8(plain)) {
    EXPECT_EQ(plain, text);
  } else {
    EXPECT_NE(text.find("\xef\xbf\xbd"), std::string::npos) << "binary payload without U+FFFD in its text form";
  }
}

wp::Header header_from(const json& f) {
  auto flag = [&](const char* k) { return f.contains(k) && f[k].get<bool>(); };
  return wp::Header{flag("DUP"), flag("SyncOnce"), flag("RedDot"), flag("NoPersist")};
}

std::string encode_hex(const wp::Frame& f, int version) {
  std::string out;
  auto err = wp::encode_frame(f, version, out);
  EXPECT_FALSE(err.has_value()) << (err ? err->describe() : "");
  return wc::hex_encode(out);
}

// Both sides of one key set, derived from the private keys only.
struct Session {
  wc::KeyPair client, server;
  std::array<uint8_t, 32> client_secret{}, server_secret{};
  wc::SessionKeys client_keys, server_keys;
};

Session derive_session(const json& ks) {
  Session s;
  s.client = wc::keypair_from_private(unhex(ks, "client_private_hex")).value();
  s.server = wc::keypair_from_private(unhex(ks, "server_private_hex")).value();
  s.client_secret = wc::shared_secret(s.client, s.server.public_base64()).value();
  s.server_secret = wc::shared_secret(s.server, s.client.public_base64()).value();
  s.client_keys = wc::SessionKeys::derive(s.client_secret, str(ks, "connack_salt")).value();
  s.server_keys = wc::SessionKeys::derive(s.server_secret, str(ks, "connack_salt")).value();
  return s;
}

}  // namespace

TEST(SecurityVectors, FileHasCases) {
  ASSERT_TRUE(doc().is_object() && !doc().empty()) << "cannot read or parse " << kFile;
  ASSERT_GE(key_sets().size(), 1u) << kFile << " has no key sets";
  EXPECT_GE(samples("send_samples").size(), 1u);
  EXPECT_GE(samples("recv_samples").size(), 1u);
  // Every sample is a known kind: a new kind in the file must get a test here.
  for (const auto& ks : key_sets())
    for (const auto& [k, v] : ks.items())
      if (v.is_array()) {
        EXPECT_TRUE(k == "send_samples" || k == "recv_samples") << "untested array " << k;
      }
}

class SecurityKeySet : public ::testing::TestWithParam<size_t> {};

TEST_P(SecurityKeySet, KeysSecretAndSessionKeys) {
  const json& ks = key_sets()[GetParam()];
  Session s = derive_session(ks);

  EXPECT_EQ(wc::hex_encode(bytes_of(s.client.public_key)), str(ks, "client_public_hex"));
  EXPECT_EQ(s.client.public_base64(), str(ks, "connect_client_key"));
  EXPECT_EQ(wc::hex_encode(bytes_of(s.server.public_key)), str(ks, "server_public_hex"));
  EXPECT_EQ(s.server.public_base64(), str(ks, "connack_server_key"));

  // The vectors' keys, not only ours, lead to the same secret.
  EXPECT_EQ(wc::shared_secret(s.client, str(ks, "connack_server_key")).value(), s.client_secret);
  EXPECT_EQ(wc::hex_encode(bytes_of(s.client_secret)), str(ks, "shared_secret_hex"));
  EXPECT_EQ(s.server_secret, s.client_secret);
  const std::string secret_b64 = wc::base64_encode(bytes_of(s.client_secret));
  EXPECT_EQ(secret_b64, str(ks, "shared_secret_base64"));
  EXPECT_EQ(wc::md5_hex(secret_b64), str(ks, "md5_hex_of_shared_secret_base64"));

  EXPECT_EQ(ascii(s.client_keys.key), str(ks, "aes_key"));
  EXPECT_EQ(wc::hex_encode(ascii(s.client_keys.key)), str(ks, "aes_key_hex"));
  EXPECT_EQ(ascii(s.client_keys.iv), str(ks, "aes_iv"));
  EXPECT_EQ(wc::hex_encode(ascii(s.client_keys.iv)), str(ks, "aes_iv_hex"));
  EXPECT_EQ(ascii(s.server_keys.key), str(ks, "server_side_aes_key"));
  EXPECT_EQ(s.client_keys.key == s.server_keys.key && s.client_keys.iv == s.server_keys.iv,
            ks.at("client_and_server_keys_agree").get<bool>());

  // The printable forms `wkit decode --aes-key/--aes-iv` accepts give the same keys.
  auto from_cli = wc::SessionKeys::from_strings(str(ks, "aes_key"), str(ks, "aes_iv"));
  ASSERT_TRUE(from_cli.ok());
  EXPECT_EQ(from_cli->key, s.client_keys.key);
  auto from_hex = wc::SessionKeys::from_strings(str(ks, "aes_key_hex"), str(ks, "aes_iv_hex"));
  ASSERT_TRUE(from_hex.ok());
  EXPECT_EQ(from_hex->iv, s.client_keys.iv);
}

TEST_P(SecurityKeySet, HandshakeFramesCarryTheDerivedKeys) {
  const json& ks = key_sets()[GetParam()];
  Session s = derive_session(ks);
  const json& cf = ks.at("connect_fields");
  const std::string client_key = s.client.public_base64(), server_key = s.server.public_base64();
  const std::string device_id = str(cf, "DeviceID"), uid = str(cf, "UID"), token = str(cf, "Token");

  wp::Connect c;
  c.header = header_from(cf);
  c.version = cf.at("Version").get<uint8_t>();
  c.device_flag = cf.at("DeviceFlag").get<uint8_t>();
  c.device_id = device_id;
  c.uid = uid;
  c.token = token;
  c.client_timestamp = cf.at("ClientTimestamp").get<int64_t>();
  c.client_key = client_key;
  EXPECT_EQ(encode_hex(c, 5), str(ks, "connect_hex_v5"));

  const json& af = ks.at("connack_fields");
  const std::string salt = str(af, "Salt");
  EXPECT_EQ(salt, str(ks, "connack_salt"));
  wp::Connack a;
  a.has_server_version = af.at("HasServerVersion").get<bool>();
  a.server_version = af.at("ServerVersion").get<uint8_t>();
  a.time_diff = af.at("TimeDiff").get<int64_t>();
  a.reason_code = af.at("ReasonCode").get<uint8_t>();
  a.server_key = server_key;
  a.salt = salt;
  a.node_id = af.at("NodeId").get<uint64_t>();
  EXPECT_EQ(encode_hex(a, 5), str(ks, "connack_hex_v5"));

  // And the other way: the keys read back out of the vectors' frames.
  std::string connack = unhex(ks, "connack_hex_v5");
  auto d = wp::decode_frame(connack, 5);
  ASSERT_EQ(d.status, wp::DecodeStatus::ok);
  EXPECT_EQ(std::get<wp::Connack>(d.frame).server_key, server_key);
  EXPECT_EQ(std::get<wp::Connack>(d.frame).salt, str(ks, "aes_iv"));
}

INSTANTIATE_TEST_SUITE_P(Vectors, SecurityKeySet, ::testing::ValuesIn(key_set_indexes()),
                         [](const auto& info) { return sanitize(str(key_sets()[info.param], "name")); });

class SecuritySend : public ::testing::TestWithParam<SampleRef> {};

TEST_P(SecuritySend, SealMsgKeyServerCheckAndFrame) {
  const json& ks = key_sets()[GetParam().key_set];
  const json& sm = ks["send_samples"][GetParam().sample];
  const json& f = sm.at("fields");
  Session s = derive_session(ks);
  wc::Cipher client(s.client_keys), server(s.server_keys);

  const std::string plain = unhex(sm, "plain_payload_hex");
  expect_text_form(plain, str(sm, "plain_payload_text"));
  const uint8_t setting = sm.at("setting").get<uint8_t>();
  EXPECT_EQ(setting, f.at("Setting").get<uint8_t>());
  const bool no_encrypt = setting & wp::Setting::kNoEncrypt;

  std::string wire;
  if (no_encrypt) {
    wire = plain;  // NoEncrypt: the payload travels as is
    EXPECT_FALSE(sm.contains("aes_cbc_ciphertext_hex"));
  } else {
    client.seal(plain, wire);
    EXPECT_EQ(wc::hex_encode(wc::base64_decode(wire).value()), str(sm, "aes_cbc_ciphertext_hex"));
  }
  EXPECT_EQ(wire, str(sm, "wire_payload"));
  EXPECT_EQ(wc::hex_encode(wire), str(sm, "wire_payload_hex"));

  const uint32_t client_seq = f.at("ClientSeq").get<uint32_t>();
  const std::string client_msg_no = str(f, "ClientMsgNo"), channel_id = str(f, "ChannelID");
  const uint8_t channel_type = f.at("ChannelType").get<uint8_t>();
  std::string msg_key;
  client.send_msg_key(client_seq, client_msg_no, channel_id, channel_type, wire, msg_key);
  EXPECT_EQ(client.last_verity(), str(sm, "verity_string"));
  EXPECT_EQ(client.last_verity_aes_base64(), str(sm, "verity_aes_base64"));
  EXPECT_EQ(msg_key, str(sm, "msg_key"));
  EXPECT_EQ(msg_key, str(f, "MsgKey"));

  // The server's side of the same check, with its own derived keys.
  std::string server_key;
  server.send_msg_key(client_seq, client_msg_no, channel_id, channel_type, wire, server_key);
  EXPECT_EQ(server_key, str(sm, "server_msg_key"));
  EXPECT_EQ(server_key == msg_key, sm.at("server_validates").get<bool>());
  if (!no_encrypt) {
    std::string decrypted;
    auto err = server.open(wire, decrypted);
    ASSERT_FALSE(err.has_value()) << err->describe();
    EXPECT_EQ(wc::hex_encode(decrypted), str(sm, "server_decrypted_hex"));
  }

  wp::Send frame;
  frame.header = header_from(f);
  frame.setting.bits = setting;
  frame.client_seq = client_seq;
  frame.client_msg_no = client_msg_no;
  const std::string stream_no = str(f, "StreamNo"), topic = str(f, "Topic");
  frame.stream_no = stream_no;
  frame.channel_id = channel_id;
  frame.channel_type = channel_type;
  frame.expire = f.at("Expire").get<uint32_t>();
  frame.msg_key = msg_key;
  frame.topic = topic;
  frame.payload.data = wire;
  EXPECT_EQ(wc::hex_encode(wire), str(f, "Payload"));
  EXPECT_EQ(encode_hex(frame, sm.at("frame_version").get<int>()), str(sm, "frame_hex"));
}

INSTANTIATE_TEST_SUITE_P(Vectors, SecuritySend, ::testing::ValuesIn(samples("send_samples")),
                         [](const auto& info) { return info.param.name; });

class SecurityRecv : public ::testing::TestWithParam<SampleRef> {};

TEST_P(SecurityRecv, ServerSealsClientVerifiesAndFrame) {
  const json& ks = key_sets()[GetParam().key_set];
  const json& sm = ks["recv_samples"][GetParam().sample];
  const json& f = sm.at("fields");
  Session s = derive_session(ks);
  wc::Cipher server(s.server_keys), client(s.client_keys);

  const std::string plain = unhex(sm, "plain_payload_hex");
  expect_text_form(plain, str(sm, "plain_payload_text"));
  std::string wire;
  server.seal(plain, wire);  // the recipient's session key
  EXPECT_EQ(wire, str(sm, "wire_payload"));
  EXPECT_EQ(wc::hex_encode(wire), str(f, "Payload"));

  const int64_t message_id = f.at("MessageID").get<int64_t>();
  const uint64_t message_seq = f.at("MessageSeq").get<uint64_t>();
  const int32_t timestamp = f.at("Timestamp").get<int32_t>();
  const std::string client_msg_no = str(f, "ClientMsgNo"), from_uid = str(f, "FromUID"),
                    channel_id = str(f, "ChannelID");
  const uint8_t channel_type = f.at("ChannelType").get<uint8_t>();
  std::string msg_key;
  server.recv_msg_key(message_id, message_seq, client_msg_no, timestamp, from_uid, channel_id, channel_type, wire,
                      msg_key);
  EXPECT_EQ(server.last_verity(), str(sm, "verity_string"));
  EXPECT_EQ(server.last_verity_aes_base64(), str(sm, "verity_aes_base64"));
  EXPECT_EQ(msg_key, str(sm, "msg_key"));
  EXPECT_EQ(msg_key, str(f, "MsgKey"));

  // The client recomputes it from the frame's fields and decrypts.
  std::string client_key;
  client.recv_msg_key(message_id, message_seq, client_msg_no, timestamp, from_uid, channel_id, channel_type, wire,
                      client_key);
  EXPECT_EQ(client_key == msg_key, sm.at("client_msg_key_ok").get<bool>());
  std::string decrypted;
  auto err = client.open(wire, decrypted);
  ASSERT_FALSE(err.has_value()) << err->describe();
  EXPECT_EQ(wc::hex_encode(decrypted), str(sm, "client_decrypted_hex"));

  wp::Recv frame;
  frame.header = header_from(f);
  frame.setting.bits = f.at("Setting").get<uint8_t>();
  frame.msg_key = msg_key;
  frame.from_uid = from_uid;
  frame.channel_id = channel_id;
  frame.channel_type = channel_type;
  frame.expire = f.at("Expire").get<uint32_t>();
  frame.client_msg_no = client_msg_no;
  const std::string stream_no = str(f, "StreamNo"), topic = str(f, "Topic");
  frame.stream_flag = f.at("StreamFlag").get<uint8_t>();
  frame.stream_no = stream_no;
  frame.stream_id = f.at("StreamId").get<uint64_t>();
  frame.message_id = message_id;
  frame.message_seq = message_seq;
  frame.timestamp = timestamp;
  frame.topic = topic;
  frame.payload.data = wire;
  const int version = sm.at("frame_version").get<int>();
  EXPECT_EQ(encode_hex(frame, version), str(sm, "frame_hex"));

  // Decoding the vector's frame gives back what the client must verify.
  std::string bytes = unhex(sm, "frame_hex");
  auto d = wp::decode_frame(bytes, version);
  ASSERT_EQ(d.status, wp::DecodeStatus::ok);
  const auto& r = std::get<wp::Recv>(d.frame);
  EXPECT_EQ(r.msg_key, msg_key);
  EXPECT_EQ(r.payload.data, wire);
}

INSTANTIATE_TEST_SUITE_P(Vectors, SecurityRecv, ::testing::ValuesIn(samples("recv_samples")),
                         [](const auto& info) { return info.param.name; });
