#pragma once
// `wkit send --via http` (docs/send.md "Sending through the HTTP API"): the
// request body of POST /message/send and what its answer says, for both API
// generations. The engine (client_send.cpp) sends and counts; verdict.cpp
// decides.
#include <cstdint>
#include <string>
#include <string_view>

namespace wkit::app {

enum class ApiGeneration { v3, v2 };

// {"from_uid","channel_id","channel_type","client_msg_no","payload"}
// (payload base64) into `out`, replacing what it held (its capacity reused).
void message_send_body(std::string& out, std::string_view from_uid, std::string_view channel_id, uint8_t channel_type,
                       std::string_view client_msg_no, std::string_view payload);

struct MessageSendAnswer {
  // accepted: stored under message_id. refused: the server said no (a
  // reason other than success, or a 4xx): nothing stored. unknown: no
  // verdict in it (5xx, 408, not an answer of this route): the server may
  // hold a copy, like a lost SENDACK.
  enum class Kind { accepted, refused, unknown };
  Kind kind = Kind::unknown;
  uint8_t reason = 0;       // WKProto reason code (1 success); 0 for an HTTP error
  int64_t message_id = 0;
  uint64_t message_seq = 0; // 0 from 2.x (it has none)
  std::string why;          // refused or unknown: one line ("HTTP 400: invalid channel id")
};

// 3.x: 200 {"message_id","message_idstr"?,"message_seq","reason"}; errors
// {"error"}. 2.x: 200 {"status":200,"data":{"message_id",...}}, a refusal
// 200 {"status":REASON,"msg"}; errors {"msg","status"}.
MessageSendAnswer read_message_send_answer(int http_status, std::string_view body, ApiGeneration generation);

}  // namespace wkit::app
