#include "wkit/capture/record_decoder.hpp"

#include <unordered_map>
#include <vector>

namespace wkit::capture {

namespace {

// A request of the client not answered yet.
struct AskedRequest {
  proto::jsonrpc::Method method = proto::jsonrpc::Method::none;
  uint32_t client_seq = 0;    // send: the number the decoder gave it
  std::string client_msg_no;  // send
};

// Looked up by string_view without making a string.
struct RequestIdHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};
using AskedMap = std::unordered_map<std::string, AskedRequest, RequestIdHash, std::equal_to<>>;

// A capture is input like any other: a client that never gets answers (or a
// crafted file) must not grow memory without end. Real clients keep a few
// thousand requests in flight at most; beyond this many unanswered ones a
// connection's later requests are not remembered, and their answers decode
// unpaired (client_seq 0, as an answer to no known request).
constexpr size_t kMaxUnansweredPerConnection = size_t(1) << 16;

struct RpcConnection {
  uint32_t next_seq = 1;
  AskedMap asked;  // by request id
};

// The frame type a response to `m` stands for.
proto::FrameType response_frame_type(proto::jsonrpc::Method m) {
  switch (m) {
    case proto::jsonrpc::Method::connect: return proto::FrameType::connack;
    case proto::jsonrpc::Method::send: return proto::FrameType::sendack;
    case proto::jsonrpc::Method::ping: return proto::FrameType::pong;
    case proto::jsonrpc::Method::subscribe:
    case proto::jsonrpc::Method::unsubscribe: return proto::FrameType::suback;
    default: return proto::FrameType{};
  }
}

uint8_t record_header_byte(const proto::Frame& f) {
  uint8_t b = static_cast<uint8_t>(static_cast<uint8_t>(proto::type_of(f)) << 4);
  if (const auto* s = std::get_if<proto::Send>(&f)) b |= proto::header_flags(s->header);
  return b;
}

}  // namespace

struct RecordDecoder::Impl {
  DecodedRecord out;
  proto::jsonrpc::Message msg;
  std::string scratch, ack_client_msg_no;
  std::unordered_map<uint64_t, RpcConnection> conns;
  std::vector<AskedMap::node_type> free_nodes;  // reused for later requests

  void remember(RpcConnection& c, std::string_view id, proto::jsonrpc::Method method, uint32_t seq,
                std::string_view client_msg_no) {
    if (auto it = c.asked.find(id); it != c.asked.end()) {  // an id used again: the latest wins
      it->second.method = method;
      it->second.client_seq = seq;
      it->second.client_msg_no.assign(client_msg_no);
      return;
    }
    if (c.asked.size() >= kMaxUnansweredPerConnection) return;
    AskedMap::node_type node;
    if (!free_nodes.empty()) {
      node = std::move(free_nodes.back());
      free_nodes.pop_back();
      node.key().assign(id);
    } else {
      AskedMap tmp;
      tmp.emplace(std::string(id), AskedRequest{});
      node = tmp.extract(tmp.begin());
    }
    node.mapped().method = method;
    node.mapped().client_seq = seq;
    node.mapped().client_msg_no.assign(client_msg_no);
    c.asked.insert(std::move(node));
  }

  // Answered nodes are kept for later requests, as many as one connection
  // may hold: the pool does not grow past what a single connection needs.
  void keep_free(AskedMap::node_type node) {
    if (free_nodes.size() < kMaxUnansweredPerConnection) free_nodes.push_back(std::move(node));
  }

  void decode_jsonrpc(const pb::Record& rec) {
    const std::string& text = rec.frame().wire();
    proto::jsonrpc::DecodeOptions opts;
    opts.lenient = true;  // every generation's payload and recvack forms
    auto& c = conns[rec.connection_id()];
    Status err = proto::jsonrpc::decode(text, msg, scratch, opts);
    AskedMap::iterator asked = c.asked.end();
    if (!err && msg.kind == proto::jsonrpc::Kind::response && rec.direction() == pb::SERVER_TO_CLIENT && !msg.id.empty()) {
      // msg.id may point into scratch: look it up before decoding again.
      asked = c.asked.find(msg.id);
      if (asked != c.asked.end() && msg.has_frame && response_frame_type(asked->second.method) != proto::FrameType{} &&
          proto::type_of(msg.frame) != response_frame_type(asked->second.method)) {
        opts.answers = asked->second.method;
        err = proto::jsonrpc::decode(text, msg, scratch, opts);
      }
    }
    out.rpc_id = msg.id;
    out.kind = msg.kind;
    out.payload_form = msg.payload_form;
    out.rpc_error = msg.has_error;
    out.error_code = msg.error.code;
    out.error_message = msg.error.message;
    if (err) {
      out.result.status = proto::DecodeStatus::error;
      out.result.error = std::move(*err);
      return;
    }
    if (msg.kind == proto::jsonrpc::Kind::request && rec.direction() != pb::SERVER_TO_CLIENT) {
      if (auto* s = std::get_if<proto::Send>(&msg.frame)) {
        s->client_seq = c.next_seq++;
        remember(c, msg.id, msg.method, s->client_seq, s->client_msg_no);
      } else {
        remember(c, msg.id, msg.method, 0, {});
      }
    }
    if (asked != c.asked.end()) {
      const AskedRequest& a = asked->second;
      if (a.method == proto::jsonrpc::Method::send) {
        if (msg.has_error) {
          // A send answered with an error: refused (the client session reads it so too).
          proto::Sendack ack;
          ack.reason_code = msg.error.code >= 2 && msg.error.code <= 255 ? uint8_t(msg.error.code) : 0;
          msg.frame = ack;
          msg.has_frame = true;
        }
        if (auto* ack = std::get_if<proto::Sendack>(&msg.frame)) {
          ack_client_msg_no = a.client_msg_no;
          ack->client_seq = a.client_seq;
          ack->client_msg_no = ack_client_msg_no;
        }
      }
      keep_free(c.asked.extract(asked));
    }
    if (!msg.has_frame) {
      out.no_frame = true;
      out.result.status = proto::DecodeStatus::error;
      out.result.error = Error::input("a JSON-RPC error response (code " + std::to_string(msg.error.code) +
                                      "): no frame");
      return;
    }
    out.result.status = proto::DecodeStatus::ok;
    out.result.frame = msg.frame;
    out.result.consumed = text.size();
    out.result.header_byte = record_header_byte(msg.frame);
  }
};

RecordDecoder::RecordDecoder() : impl_(std::make_unique<Impl>()) {}
RecordDecoder::~RecordDecoder() = default;

const DecodedRecord& RecordDecoder::decode(const pb::Record& rec, const pb::Connection& conn, int version) {
  DecodedRecord& out = impl_->out;
  out.no_frame = false;
  out.rpc_id = {};
  out.rpc_error = false;
  out.error_code = 0;
  out.error_message = {};
  out.payload_form = proto::jsonrpc::PayloadForm::absent;
  out.jsonrpc = is_jsonrpc(rec.frame(), conn);
  if (!out.jsonrpc) {
    out.result = proto::decode_frame(rec.frame().wire(), version);
    return out;
  }
  impl_->decode_jsonrpc(rec);
  return out;
}

void RecordDecoder::forget(uint64_t connection_id) {
  auto it = impl_->conns.find(connection_id);
  if (it == impl_->conns.end()) return;
  auto& asked = it->second.asked;
  while (!asked.empty()) impl_->keep_free(asked.extract(asked.begin()));
  impl_->conns.erase(it);
}

}  // namespace wkit::capture
