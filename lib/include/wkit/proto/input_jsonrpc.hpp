#pragma once
// JSON-RPC messages as `wkit decode` reads them: JSON objects one after the
// other (JSON lines, pretty-printed or back to back), each decoded into the
// frame model with its byte offset and the line it starts on. A response is
// read as the answer to the request with the same id seen earlier in the
// input (else its type is inferred from the result).
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <unordered_map>

#include "wkit/proto/input_frame.hpp"
#include "wkit/proto/json.hpp"
#include "wkit/proto/jsonrpc.hpp"

namespace wkit::proto {

class JsonRpcInput {
 public:
  using Sink = std::function<void(const InputFrame&)>;
  explicit JsonRpcInput(jsonrpc::DecodeOptions opts);

  // Errors are sticky, as in InputFrameReader.
  std::optional<InputError> feed(std::string_view chunk, const Sink& sink);
  std::optional<InputError> finish(const Sink& sink);
  uint64_t messages() const { return messages_; }
  uint64_t bytes() const { return base_ + buf_.size(); }

 private:
  std::optional<InputError> drain(bool at_end, const Sink& sink);

  jsonrpc::DecodeOptions opts_;
  std::string buf_;      // input not yet decoded (starts at absolute offset base_)
  uint64_t base_ = 0;
  uint64_t line_ = 1;    // line of buf_[0]
  std::string scratch_;
  jsonrpc::Message msg_;
  std::unordered_map<std::string, jsonrpc::Method> asked_;  // request id -> method
  uint64_t messages_ = 0;
  std::optional<InputError> error_;
};

// What JSON-RPC adds to a frame, as the "jsonrpc" object of `wkit decode -o json`:
// kind, method, id, payload_form, error {code, message, data}, header_end, and the
// stream fields the frame model hides at version 6 (stream_no, stream_flag, stream_id).
Json jsonrpc_json(const jsonrpc::Message& m);
// One line for the table: "request send id=s-1", "response id=s-3 error 0: ...".
std::string jsonrpc_summary(const jsonrpc::Message& m);

}  // namespace wkit::proto
