#pragma once
// WuKongIM's JSON-RPC 2.0 dialect (the EasySDK protocol, docs/protocol.md
// "JSON-RPC dialect"), sans I/O: one JSON text message <-> the frame model of
// frame.hpp, plus what JSON-RPC adds (request id, kind, method, error object).
//
// Decoding never allocates once warm: strings without escapes are views into
// the message; unescaped strings and base64-decoded payloads go into a
// caller-owned scratch string that is reused (its capacity is kept). The
// frame's views are valid until the next decode with the same scratch, and
// as long as the message text lives.
// Encoding appends one JSON object to a caller-owned std::string.
#include <cstdint>
#include <string>
#include <string_view>

#include "wkit/proto/frame.hpp"
#include "wkit/util/error.hpp"

namespace wkit::proto::jsonrpc {

// The wire generations (docs/protocol.md "JSON-RPC dialect"):
//   v2_1   WuKongIM 2.1.4-2.1.5: recvack is a request (with an id); payload an embedded JSON value
//   v2_2   2.2.0-2.2.2: recvack is a notification; payload an embedded JSON value
//   v2_2_3 2.2.3 and later, and 3.x: recvack a notification; payload a base64 string;
//          message_seq may be 64-bit
enum class Compat : uint8_t { v2_1, v2_2, v2_2_3 };
std::string_view compat_name(Compat c);  // "2.1", "2.2", "2.2.3"
// Accepts "2.1", "2.2", "2.2.3" and "3" (= 2.2.3).
bool compat_from_name(std::string_view name, Compat& out);

enum class Kind : uint8_t { request, notification, response };
std::string_view kind_name(Kind k);  // "request", "notification", "response"

enum class Method : uint8_t {
  none,  // a response (responses carry no method)
  connect, send, recv, recvack, ping, pong, disconnect, event, subscribe, unsubscribe,
};
std::string_view method_name(Method m);  // "connect", ...; "" for none
bool method_from_name(std::string_view name, Method& out);

// How a SEND/RECV payload was written.
enum class PayloadForm : uint8_t {
  absent,     // no payload member (empty payload)
  null,       // "payload": null (empty payload)
  base64,     // a base64 string (2.2.3+)
  json,       // an embedded JSON value, taken as its exact text (2.1-2.2; later 3.x objects)
  json_text,  // a string whose content is JSON text (later 3.x leniency)
};
std::string_view payload_form_name(PayloadForm f);

struct ErrorObject {
  int64_t code = 0;
  std::string_view message;
  std::string_view data;  // the exact JSON text of "data"; empty when absent
};

// Why a message could not be decoded; picks the JSON-RPC error code.
enum class Problem : uint8_t {
  none,
  parse_error,       // not JSON, or not one JSON object (-32700)
  invalid_request,   // JSON, but not a valid JSON-RPC message (-32600)
  method_not_found,  // unknown method (-32601)
  invalid_params,    // a member of params has the wrong type or range (-32602)
};
std::string_view problem_name(Problem p);

struct Message {
  Kind kind = Kind::notification;
  Method method = Method::none;  // for responses: none (what the frame answers is `frame`'s type)
  std::string_view id;           // "" for notifications (and when no id could be read)
  bool has_jsonrpc = false;      // "jsonrpc":"2.0" was present (optional on input)
  bool has_frame = false;        // false for error responses
  Frame frame{std::in_place_type<Ping>};
  bool has_error = false;        // an error response
  ErrorObject error;
  PayloadForm payload_form = PayloadForm::absent;
  bool header_end = false;       // header.end (stream end flag; no place in the binary Header)
  size_t consumed = 0;           // bytes through the object and the whitespace after it
  Problem problem = Problem::none;  // set when decoding failed
};

struct DecodeOptions {
  Compat compat = Compat::v2_2_3;
  // What the later 3.x gateway (and a stand-in server) accepts beyond the
  // generation: payload as a base64 string, an embedded object, a string of
  // JSON text, or null; recvack as a request or a notification.
  bool lenient = false;
  // Several objects may follow each other in one message (2.x reads them in
  // sequence): with false, decoding stops after the first object and
  // `consumed` says where the next one starts.
  bool single_object = true;
  // For a response: the method of the request it answers, when the caller
  // knows it (connect -> CONNACK, send -> SENDACK, ping -> PONG,
  // subscribe/unsubscribe -> SUBACK). With none, it is inferred from the
  // result: absent or null -> PONG, "messageId" -> SENDACK, "subNo" -> SUBACK,
  // else CONNACK.
  Method answers = Method::none;
  size_t max_depth = 64;  // nesting limit (payload objects included)
};

// Decodes one JSON-RPC message. On error: the Error names the member
// ("params.channelType: ...") and its byte offset in `text`; `out.problem`
// says which JSON-RPC error applies and `out.id` holds the id if it could be
// read (answer errors with it). `scratch` is reused: cleared, not shrunk.
Status decode(std::string_view text, Message& out, std::string& scratch,
              const DecodeOptions& opts = {});

struct EncodeOptions {
  Compat compat = Compat::v2_2_3;
  // The PONG response: {"jsonrpc":"2.0","id":..,"result":null} (valid JSON-RPC,
  // accepted by every SDK), or false for the bare {"jsonrpc":"2.0","id":..}
  // every 2.x server sends.
  bool pong_result_null = true;
  // Optional stream end flag written as header.end.
  bool header_end = false;
};

// Appends one JSON-RPC object for `f` to `out`. Which kind is decided by the
// frame type: CONNECT, SEND, PING, SUB -> request (needs a non-empty id);
// RECVACK -> request at 2.1 (needs an id), notification after (no id);
// DISCONNECT -> notification without id, request with one; RECV, EVENT ->
// notification (no id); CONNACK, SENDACK, PONG, SUBACK -> response (needs the
// request's id). Strict: a string that is not UTF-8, a payload that is not
// JSON text at 2.1/2.2, a message_seq above u32 before 2.2.3, EVENT data
// that is not UTF-8 or a wrong id are errors, and nothing is appended.
Status encode(const Frame& f, std::string_view id, std::string& out, const EncodeOptions& opts = {});

// An error response {"jsonrpc":"2.0","id":..,"error":{...}}; `id` empty -> no id member.
// `err.data`, if not empty, must be JSON text and is written as is.
Status encode_error(std::string_view id, const ErrorObject& err, std::string& out);

// --- splitting a byte stream ------------------------------------------------

// JSON-RPC messages arrive as a stream (several objects in one WebSocket
// message, one object over several, back to back on TCP). For `text`
// starting with '{' or '[': the length of that one JSON value (brackets
// matched outside strings, escapes honoured), or npos while it is incomplete;
// 0 when `text` does not start with either.
// Only the nesting is checked; decode() validates the content.
size_t value_length(std::string_view text);

// --- mapping for a server ----------------------------------------------------

// How a server reports a message it could not decode.
enum class ErrorStyle : uint8_t {
  standard,      // JSON-RPC codes -32700/-32600/-32601/-32602, our message
  wukongim_2x,   // what 2.x sends: code 0, "jsonrpc: <message>"
};
// The error object for a failed decode (`failed` as decode() left it).
// `message_buf` holds the message text the returned object points into.
ErrorObject error_for(const Message& failed, const Error& err, ErrorStyle style,
                      std::string& message_buf);

// JSON-RPC error code of a Problem (0 for none).
int64_t problem_code(Problem p);

inline constexpr uint8_t kReasonSuccess = 1;  // success is 1, not 0

// Splitting a text stream into messages: the whitespace allowed between
// objects, and how far one incomplete object may grow (the binary frame limit).
inline constexpr std::string_view kBlank = " \t\r\n";
inline constexpr size_t kMaxMessageBytes = size_t(1) << 20;
// A business failure (a CONNACK/SENDACK reason code other than 1) as an
// error object, for a server that reports them as errors (the later 3.x
// gateway does; 2.x puts them in the result): code = the reason code,
// message = its name (reason_code_name), e.g. {25, "send_ban"}.
ErrorObject reason_error(uint8_t reason_code);

}  // namespace wkit::proto::jsonrpc
