#pragma once
// One frame (or JSON-RPC message) read by `wkit decode`'s input readers, and
// an input error with its offset and line.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "wkit/proto/codec.hpp"
#include "wkit/proto/jsonrpc.hpp"

namespace wkit::proto {

struct InputFrame {
  const DecodeResult& result;  // status ok; views valid during the callback only
  uint64_t offset;             // byte offset in the decoded stream
  uint64_t line;               // text line the frame starts on; 0 for raw input
  int version;                 // protocol version it was read at (JSON-RPC: rendered at 6)
  // JSON-RPC input: the message (id, kind, method, error); when it has no
  // frame (an error response), `result.frame` is a placeholder.
  const jsonrpc::Message* rpc = nullptr;
};

struct InputError {
  std::string message;              // the reason
  std::optional<uint64_t> offset;   // byte offset in the decoded stream
  uint64_t line = 0;                // text line; 0 when not text input
  // "SOURCE:LINE: byte N: reason", "SOURCE: byte N: reason" or "SOURCE:LINE: reason".
  std::string describe(std::string_view source) const;
};

}  // namespace wkit::proto
