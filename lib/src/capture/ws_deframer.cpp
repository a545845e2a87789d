#include "wkit/capture/ws_deframer.hpp"

#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <variant>

namespace wkit::capture {

namespace http = boost::beast::http;

// ---------------------------------------------------------------------------
// HTTP upgrade

struct WsHandshake::Parser {
  std::variant<http::request_parser<http::empty_body>, http::response_parser<http::empty_body>> p;
};

WsHandshake::WsHandshake(Side side) : side_(side), parser_(new Parser) {
  if (side == Side::response) parser_->p.emplace<1>();
}
WsHandshake::~WsHandshake() { delete parser_; }

bool WsHandshake::looks_like_request(std::string_view prefix) { return prefix.substr(0, 4) == "GET "; }

Result<size_t> WsHandshake::feed(std::string_view bytes) {
  if (done_) return size_t{0};
  // Beast's parser takes the whole header at once: keep what it has not taken.
  size_t before = pending_.size();
  pending_.append(bytes);
  boost::beast::error_code ec;
  size_t used = std::visit(
      [&](auto& p) { return p.put(boost::asio::buffer(pending_.data(), pending_.size()), ec); }, parser_->p);
  if (ec == http::error::need_more) {
    if (pending_.size() > 64 * 1024)
      return Error::input("WebSocket upgrade: HTTP header longer than 64 KiB without an end", consumed_);
    return bytes.size();
  }
  if (ec)
    return Error::input("WebSocket upgrade: bad HTTP " + std::string(side_ == Side::request ? "request" : "response") +
                            " header: " + ec.message(),
                        consumed_);
  done_ = true;
  if (side_ == Side::request) {
    auto& req = std::get<0>(parser_->p).get();
    upgrade_ = boost::beast::websocket::is_upgrade(req);
    target_ = std::string(req.target());
  } else {
    auto& res = std::get<1>(parser_->p).get();
    status_ = res.result_int();
    upgrade_ = status_ == 101;
    extensions_ = std::string(res[http::field::sec_websocket_extensions]);
  }
  consumed_ += used;
  pending_.clear();
  // Bytes of this call that belong to the HTTP message.
  return used > before ? used - before : size_t{0};
}

// ---------------------------------------------------------------------------
// Frames

WsDeframer::WsDeframer(bool from_client, uint64_t base_offset) : from_client_(from_client), offset_(base_offset) {}

Status WsDeframer::fail(std::string msg, uint64_t at) {
  error_ = Error::input("WebSocket frame at stream byte " + std::to_string(at) + ": " + msg, at);
  return error_;
}

// The header in hdr_ is complete: check it against RFC 6455 section 5.
Status WsDeframer::start_frame() {
  const uint8_t b0 = hdr_[0], b1 = hdr_[1];
  fin_ = b0 & 0x80;
  opcode_ = b0 & 0x0F;
  masked_ = b1 & 0x80;
  size_t n = 2;
  uint64_t len = b1 & 0x7F;
  if (len == 126) {
    len = uint64_t{hdr_[2]} << 8 | hdr_[3];
    n = 4;
  } else if (len == 127) {
    len = 0;
    for (int i = 0; i < 8; ++i) len = len << 8 | hdr_[2 + i];
    n = 10;
    if (len >> 63) return fail("64-bit payload length has its most significant bit set", frame_start_);
  }
  if (masked_) std::copy(hdr_ + n, hdr_ + n + 4, mask_);
  if (b0 & 0x40) return fail("RSV1 set: a compressed (permessage-deflate) frame, which the importer does not inflate",
                             frame_start_);
  if (b0 & 0x30) return fail("reserved bits RSV2/RSV3 set without a negotiated extension", frame_start_);
  const bool control = opcode_ & 0x08;
  if ((opcode_ >= 3 && opcode_ <= 7) || opcode_ >= 11)
    return fail("reserved opcode " + std::to_string(opcode_), frame_start_);
  if (from_client_ && !masked_) return fail("client frame is not masked", frame_start_);
  if (!from_client_ && masked_) return fail("server frame is masked", frame_start_);
  if (close_) return fail("frame after the Close frame", frame_start_);
  if (control) {
    if (!fin_) return fail("fragmented control frame (opcode " + std::to_string(opcode_) + ")", frame_start_);
    if (len > 125) return fail("control frame payload of " + std::to_string(len) + " bytes (max 125)", frame_start_);
  } else if (opcode_ == 0) {
    if (!in_message_) return fail("continuation frame without a message in progress", frame_start_);
  } else {
    if (in_message_) return fail("new data frame inside a fragmented message", frame_start_);
    in_message_ = true;
    if (opcode_ == 1) ++text_messages_;
  }
  ++frames_;
  remaining_ = len;
  payload_pos_ = 0;
  control_.clear();
  state_ = State::payload;
  return std::nullopt;
}

void WsDeframer::end_frame() {
  state_ = State::header;
  hdr_len_ = 0;
  switch (opcode_) {
    case 8: {
      Close c;
      c.offset = frame_start_;
      if (control_.size() >= 2) {
        c.code = static_cast<uint16_t>(static_cast<uint8_t>(control_[0]) << 8 | static_cast<uint8_t>(control_[1]));
        c.reason = control_.substr(2);
      }
      close_ = std::move(c);
      return;
    }
    case 9: ++pings_; return;
    case 10: ++pongs_; return;
    default:
      if (fin_) {
        in_message_ = false;
        ++messages_;
      }
  }
}

Status WsDeframer::feed(std::string_view in, std::string& out) {
  if (error_) return error_;
  size_t i = 0;
  while (i < in.size()) {
    if (state_ == State::header) {
      if (hdr_len_ == 0) frame_start_ = offset_;
      hdr_[hdr_len_++] = static_cast<uint8_t>(in[i++]);
      ++offset_;
      if (hdr_len_ < 2) continue;
      size_t need = 2 + ((hdr_[1] & 0x7F) == 126 ? 2 : (hdr_[1] & 0x7F) == 127 ? 8 : 0) + ((hdr_[1] & 0x80) ? 4 : 0);
      if (hdr_len_ < need) continue;
      if (auto err = start_frame()) return err;
      if (remaining_ == 0) end_frame();
      continue;
    }
    size_t n = static_cast<size_t>(std::min<uint64_t>(remaining_, in.size() - i));
    const bool control = opcode_ & 0x08;
    std::string& dst = control ? control_ : out;
    size_t at = dst.size();
    dst.append(in.data() + i, n);
    if (masked_)
      for (size_t k = 0; k < n; ++k) dst[at + k] = static_cast<char>(dst[at + k] ^ mask_[(payload_pos_ + k) & 3]);
    if (!control) payload_bytes_ += n;
    payload_pos_ += n;
    remaining_ -= n;
    offset_ += n;
    i += n;
    if (remaining_ == 0) end_frame();
  }
  return std::nullopt;
}

}  // namespace wkit::capture
