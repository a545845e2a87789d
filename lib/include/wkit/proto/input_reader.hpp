#pragma once
// Frames from an input as `wkit decode` reads it: hex, base64 or raw bytes
// (guessed when auto), decoded as one stream with byte offsets and, for text
// input, the line each frame started on. Feed any chunking of the input.
#include <functional>
#include <optional>
#include <string>

#include "wkit/proto/input_text.hpp"
#include "wkit/proto/stream_decoder.hpp"

namespace wkit::proto {

struct InputFrame {
  const DecodeResult& result;  // status ok; views valid during the callback only
  uint64_t offset;             // byte offset in the decoded stream
  uint64_t line;               // text line the frame starts on; 0 for raw input
  int version;                 // protocol version it was read at
};

struct InputError {
  std::string message;              // the reason
  std::optional<uint64_t> offset;   // byte offset in the decoded stream
  uint64_t line = 0;                // text line; 0 when not text input
  // "SOURCE:LINE: byte N: reason", "SOURCE: byte N: reason" or "SOURCE:LINE: reason".
  std::string describe(std::string_view source) const;
};

class InputFrameReader {
 public:
  struct Options {
    InputFormat format = InputFormat::auto_detect;
    int version = kMaxProtoVersion;
    // A CONNACK with has_server_version switches the version for the frames
    // after it (the server's answer decides, docs/protocol.md section 2).
    bool adopt_connack_version = true;
    Limits limits{};
  };
  using Sink = std::function<void(const InputFrame&)>;

  explicit InputFrameReader(Options opts);

  // Errors are sticky: after one, feed()/finish() return it again.
  std::optional<InputError> feed(std::string_view chunk, const Sink& sink);
  std::optional<InputError> finish(const Sink& sink);

  // The format in use; auto_detect until enough input was seen to guess.
  InputFormat format() const { return format_; }
  bool guessed() const { return guessed_; }
  uint64_t frames() const { return frames_; }
  uint64_t bytes() const { return stream_.stream_offset() + stream_.buffered(); }

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
  StreamDecoder stream_;
  uint64_t frames_ = 0;
  std::optional<InputError> error_;
};

}  // namespace wkit::proto
