// RecordDecoder: WKProto and JSON-RPC capture records onto one frame model;
// JSON-RPC send results paired with their send requests by request id
// (client_seq and client_msg_no filled in), responses typed by what they
// answer, error responses, and the per-connection state.
#include <gtest/gtest.h>

#include "wkit/capture/record_decoder.hpp"
#include "wkit/proto/codec.hpp"

using namespace wkit;
using namespace wkit::capture;

namespace {

class RecordDecoderTest : public ::testing::Test {
 protected:
  pb::Connection rpc_conn_, bin_conn_;
  pb::Record rec_;
  RecordDecoder dec_;

  void SetUp() override {
    rpc_conn_.set_dialect(pb::DIALECT_JSONRPC);
    bin_conn_.set_protocol_version(6);
  }
  const DecodedRecord& rpc(uint64_t conn, pb::Direction d, const std::string& text) {
    rec_.Clear();
    rec_.set_connection_id(conn);
    rec_.set_direction(d);
    rec_.mutable_frame()->set_wire(text);
    return dec_.decode(rec_, rpc_conn_, 0);
  }
};

const char* kSend1 =
    R"({"jsonrpc":"2.0","method":"send","id":"s-1","params":{"clientMsgNo":"cmn-a","channelId":"bob","channelType":1,"payload":"aGk="}})";
const char* kSend2 =
    R"({"jsonrpc":"2.0","method":"send","id":"s-2","params":{"clientMsgNo":"cmn-a","channelId":"bob","channelType":1,"payload":"aGk=","header":{"dup":true}}})";

}  // namespace

TEST_F(RecordDecoderTest, WkprotoRecordsUseTheBinaryCodec) {
  proto::Ping ping;
  rec_.set_direction(pb::CLIENT_TO_SERVER);
  rec_.mutable_frame()->set_wire(proto::encode_frame(ping, 6).value());
  const auto& d = dec_.decode(rec_, bin_conn_, 6);
  ASSERT_TRUE(d.ok());
  EXPECT_FALSE(d.jsonrpc);
  EXPECT_EQ(proto::type_of(d.result.frame), proto::FrameType::ping);
  // The same bytes in a JSON-RPC record do not decode (they are not JSON).
  EXPECT_FALSE(dec_.decode(rec_, rpc_conn_, 6).ok());
}

TEST_F(RecordDecoderTest, FrameDialectAloneMakesARecordJsonRpc) {
  rec_.set_direction(pb::CLIENT_TO_SERVER);
  rec_.mutable_frame()->set_wire(R"({"method":"ping","id":"p-1"})");
  rec_.mutable_frame()->set_dialect(pb::DIALECT_JSONRPC);
  const auto& d = dec_.decode(rec_, bin_conn_, 6);
  ASSERT_TRUE(d.ok()) << d.result.error.describe();
  EXPECT_TRUE(d.jsonrpc);
  EXPECT_EQ(d.rpc_id, "p-1");
  EXPECT_EQ(proto::type_of(d.result.frame), proto::FrameType::ping);
}

TEST_F(RecordDecoderTest, SendResultsArePairedWithTheirRequestsById) {
  {
    const auto& d = rpc(1, pb::CLIENT_TO_SERVER, kSend1);
    ASSERT_TRUE(d.ok()) << d.result.error.describe();
    const auto& s = std::get<proto::Send>(d.result.frame);
    EXPECT_EQ(s.client_seq, 1u);
    EXPECT_EQ(s.client_msg_no, "cmn-a");
    EXPECT_EQ(s.payload.data, "hi");
    EXPECT_EQ(d.payload_form, proto::jsonrpc::PayloadForm::base64);
  }
  EXPECT_EQ(std::get<proto::Send>(rpc(1, pb::CLIENT_TO_SERVER, kSend2).result.frame).client_seq, 2u);
  // Answered out of order: the second request first.
  {
    const auto& d = rpc(1, pb::SERVER_TO_CLIENT,
                        R"({"jsonrpc":"2.0","id":"s-2","result":{"messageId":"77","messageSeq":3,"reasonCode":1}})");
    ASSERT_TRUE(d.ok()) << d.result.error.describe();
    const auto& a = std::get<proto::Sendack>(d.result.frame);
    EXPECT_EQ(a.client_seq, 2u);
    EXPECT_EQ(a.client_msg_no, "cmn-a");
    EXPECT_EQ(a.message_id, 77);
    EXPECT_EQ(a.reason_code, 1);
  }
  {
    const auto& d = rpc(1, pb::SERVER_TO_CLIENT,
                        R"({"jsonrpc":"2.0","id":"s-1","result":{"messageId":"77","messageSeq":3,"reasonCode":1}})");
    ASSERT_TRUE(d.ok());
    EXPECT_EQ(std::get<proto::Sendack>(d.result.frame).client_seq, 1u);
  }
  // Each request is answered once: a second answer to s-1 is not paired.
  const auto& again = rpc(1, pb::SERVER_TO_CLIENT,
                          R"({"jsonrpc":"2.0","id":"s-1","result":{"messageId":"77","messageSeq":3,"reasonCode":1}})");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(std::get<proto::Sendack>(again.result.frame).client_seq, 0u);
}

TEST_F(RecordDecoderTest, ConnectionsAreNumberedSeparately) {
  rpc(1, pb::CLIENT_TO_SERVER, kSend1);
  const auto& d = rpc(2, pb::CLIENT_TO_SERVER, kSend1);  // same id on another connection
  EXPECT_EQ(std::get<proto::Send>(d.result.frame).client_seq, 1u);
  const auto& a = rpc(2, pb::SERVER_TO_CLIENT, R"({"id":"s-1","result":{"messageId":"5","reasonCode":1}})");
  EXPECT_EQ(std::get<proto::Sendack>(a.result.frame).client_seq, 1u);
  // After forget() the connection starts over.
  dec_.forget(1);
  EXPECT_EQ(std::get<proto::Send>(rpc(1, pb::CLIENT_TO_SERVER, kSend2).result.frame).client_seq, 1u);
}

TEST_F(RecordDecoderTest, ResponsesAreTypedByTheRequestTheyAnswer) {
  rpc(1, pb::CLIENT_TO_SERVER, kSend1);
  // A refused send result without messageId would read as a CONNACK on its own.
  const auto& refused = rpc(1, pb::SERVER_TO_CLIENT, R"({"id":"s-1","result":{"reasonCode":3}})");
  ASSERT_TRUE(refused.ok()) << refused.result.error.describe();
  const auto& a = std::get<proto::Sendack>(refused.result.frame);
  EXPECT_EQ(a.reason_code, 3);
  EXPECT_EQ(a.client_seq, 1u);
  rpc(1, pb::CLIENT_TO_SERVER, R"({"method":"connect","id":"c-1","params":{"uid":"u","token":"t"}})");
  const auto& connack = rpc(1, pb::SERVER_TO_CLIENT, R"({"id":"c-1","result":{"reasonCode":1}})");
  EXPECT_EQ(proto::type_of(connack.result.frame), proto::FrameType::connack);
  rpc(1, pb::CLIENT_TO_SERVER, R"({"method":"ping","id":"p-1"})");
  const auto& pong = rpc(1, pb::SERVER_TO_CLIENT, R"({"id":"p-1"})");
  EXPECT_EQ(proto::type_of(pong.result.frame), proto::FrameType::pong);
}

TEST_F(RecordDecoderTest, ErrorResponses) {
  rpc(1, pb::CLIENT_TO_SERVER, kSend1);
  // An error answering a send refuses it: a SENDACK with the reason code it names.
  const auto& e = rpc(1, pb::SERVER_TO_CLIENT, R"({"id":"s-1","error":{"code":25,"message":"send_ban"}})");
  ASSERT_TRUE(e.ok());
  EXPECT_TRUE(e.rpc_error);
  const auto& a = std::get<proto::Sendack>(e.result.frame);
  EXPECT_EQ(a.reason_code, 25);
  EXPECT_EQ(a.client_msg_no, "cmn-a");
  // A JSON-RPC code that is not a reason code: refused, reason unknown (0).
  rpc(1, pb::CLIENT_TO_SERVER, kSend2);
  const auto& inv = rpc(1, pb::SERVER_TO_CLIENT, R"({"id":"s-2","error":{"code":-32602,"message":"bad"}})");
  ASSERT_TRUE(inv.ok());
  EXPECT_EQ(std::get<proto::Sendack>(inv.result.frame).reason_code, 0);
  // Any other error response stands for no frame.
  const auto& other = rpc(1, pb::SERVER_TO_CLIENT, R"({"id":"x-9","error":{"code":-32600,"message":"no"}})");
  EXPECT_FALSE(other.ok());
  EXPECT_TRUE(other.no_frame);
  EXPECT_EQ(other.error_code, -32600);
  // Text that is not JSON-RPC is an error, not "no frame".
  const auto& junk = rpc(1, pb::CLIENT_TO_SERVER, R"({"method":"send","id":"s-3","params":{"channelType":"x"}})");
  EXPECT_FALSE(junk.ok());
  EXPECT_FALSE(junk.no_frame);
  EXPECT_NE(junk.result.error.message.find("channelType"), std::string::npos) << junk.result.error.message;
}

// Memory stays bounded on a connection whose requests are never answered:
// past 65,536 unanswered requests later ones are not remembered (their
// answers come out unpaired), while the earlier ones still pair.
TEST_F(RecordDecoderTest, UnansweredRequestsPerConnectionAreBounded) {
  const int kRequests = (1 << 16) + 10;
  auto send_with_id = [](int i) {
    return R"({"method":"send","id":"s-)" + std::to_string(i) +
           R"(","params":{"clientMsgNo":"cmn-)" + std::to_string(i) +
           R"(","channelId":"bob","channelType":1,"payload":"aGk="}})";
  };
  for (int i = 1; i <= kRequests; ++i) ASSERT_TRUE(rpc(1, pb::CLIENT_TO_SERVER, send_with_id(i)).ok());
  auto answer = [&](int i) -> const proto::Sendack& {
    const auto& d = rpc(1, pb::SERVER_TO_CLIENT,
                        R"({"jsonrpc":"2.0","id":"s-)" + std::to_string(i) +
                            R"(","result":{"messageId":"77","messageSeq":3,"reasonCode":1}})");
    EXPECT_TRUE(d.ok()) << d.result.error.describe();
    return std::get<proto::Sendack>(d.result.frame);
  };
  EXPECT_EQ(answer(kRequests).client_seq, 0u);  // beyond the bound: not remembered
  EXPECT_EQ(answer(1).client_seq, 1u);          // within it: paired
  EXPECT_EQ(answer(1 << 16).client_seq, uint32_t(1 << 16));
  // Answers freed room: the connection remembers new requests again.
  ASSERT_TRUE(rpc(1, pb::CLIENT_TO_SERVER, send_with_id(kRequests + 1)).ok());
  EXPECT_EQ(answer(kRequests + 1).client_seq, uint32_t(kRequests + 1));
}
