#pragma once
// Frames from an input as `wkit decode` reads it: hex, base64 or raw bytes
// (guessed when auto), decoded as one stream with byte offsets and, for text
// input, the line each frame started on; or JSON-RPC text messages, each
// decoded into a frame (input_jsonrpc.hpp). Feed any chunking of the input.
#include <functional>
#include <optional>
#include <string>

#include "wkit/proto/input_frame.hpp"
#include "wkit/proto/input_jsonrpc.hpp"
#include "wkit/proto/input_text.hpp"
#include "wkit/proto/stream_decoder.hpp"

namespace wkit::proto {

class InputFrameReader {
 public:
  struct Options {
    InputFormat format = InputFormat::auto_detect;
    int version = kMaxProtoVersion;
    // A CONNACK with has_server_version switches the version for the frames
    // after it (the server's answer decides, docs/protocol.md section 2).
    bool adopt_connack_version = true;
    Limits limits{};
    // How JSON-RPC input is read: by default the 2.2.3 generation with the
    // later-3.x leniency (every payload form and both recvack forms).
    jsonrpc::DecodeOptions jsonrpc = lenient_jsonrpc();
  };
  static jsonrpc::DecodeOptions lenient_jsonrpc() {
    jsonrpc::DecodeOptions o;
    o.lenient = true;
    return o;
  }
  using Sink = std::function<void(const InputFrame&)>;

  explicit InputFrameReader(Options opts);

  // Errors are sticky: after one, feed()/finish() return it again.
  std::optional<InputError> feed(std::string_view chunk, const Sink& sink);
  std::optional<InputError> finish(const Sink& sink);

  // The format in use; auto_detect until enough input was seen to guess.
  InputFormat format() const { return format_; }
  bool guessed() const { return guessed_; }
  uint64_t frames() const { return rpc_ ? rpc_->messages() : frames_; }
  uint64_t bytes() const { return rpc_ ? rpc_->bytes() : stream_.stream_offset() + stream_.buffered(); }

 private:
  std::optional<InputError> process(std::string_view chunk, const Sink& sink);
  std::optional<InputError> drain(const Sink& sink);
  void decide(std::string_view head);
  uint64_t line_of(uint64_t off) const;

  Options opts_;
  InputFormat format_;
  bool guessed_ = false;
  std::string head_;     // input held back until the format is guessed
  std::string scratch_;  // decoded text bytes on their way to the stream decoder
  std::optional<TextInputDecoder> text_;
  std::optional<JsonRpcInput> rpc_;
  StreamDecoder stream_;
  uint64_t frames_ = 0;
  std::optional<InputError> error_;
};

}  // namespace wkit::proto
