// Names of the JSON-RPC dialect's enums, and the error mapping a server uses.
#include <array>

#include "wkit/proto/jsonrpc.hpp"

namespace wkit::proto::jsonrpc {
namespace {

constexpr std::array<std::pair<Method, std::string_view>, 10> kMethods = {{
    {Method::connect, "connect"}, {Method::send, "send"}, {Method::recv, "recv"},
    {Method::recvack, "recvack"}, {Method::ping, "ping"}, {Method::pong, "pong"},
    {Method::disconnect, "disconnect"}, {Method::event, "event"},
    {Method::subscribe, "subscribe"}, {Method::unsubscribe, "unsubscribe"},
}};

}  // namespace

std::string_view compat_name(Compat c) {
  switch (c) {
    case Compat::v2_1: return "2.1";
    case Compat::v2_2: return "2.2";
    case Compat::v2_2_3: return "2.2.3";
  }
  return "?";
}

bool compat_from_name(std::string_view name, Compat& out) {
  if (name == "2.1") out = Compat::v2_1;
  else if (name == "2.2") out = Compat::v2_2;
  else if (name == "2.2.3" || name == "3") out = Compat::v2_2_3;
  else return false;
  return true;
}

std::string_view kind_name(Kind k) {
  switch (k) {
    case Kind::request: return "request";
    case Kind::notification: return "notification";
    case Kind::response: return "response";
  }
  return "?";
}

std::string_view method_name(Method m) {
  for (const auto& [method, name] : kMethods)
    if (method == m) return name;
  return "";
}

bool method_from_name(std::string_view name, Method& out) {
  for (const auto& [method, n] : kMethods)  // exact: the servers switch on the string
    if (n == name) {
      out = method;
      return true;
    }
  return false;
}

std::string_view payload_form_name(PayloadForm f) {
  switch (f) {
    case PayloadForm::absent: return "absent";
    case PayloadForm::null: return "null";
    case PayloadForm::base64: return "base64";
    case PayloadForm::json: return "json";
    case PayloadForm::json_text: return "json_text";
  }
  return "?";
}

std::string_view problem_name(Problem p) {
  switch (p) {
    case Problem::none: return "none";
    case Problem::parse_error: return "parse_error";
    case Problem::invalid_request: return "invalid_request";
    case Problem::method_not_found: return "method_not_found";
    case Problem::invalid_params: return "invalid_params";
  }
  return "?";
}

int64_t problem_code(Problem p) {
  switch (p) {
    case Problem::none: return 0;
    case Problem::parse_error: return -32700;
    case Problem::invalid_request: return -32600;
    case Problem::method_not_found: return -32601;
    case Problem::invalid_params: return -32602;
  }
  return 0;
}

ErrorObject error_for(const Message& failed, const Error& err, ErrorStyle style, std::string& message_buf) {
  message_buf.clear();
  ErrorObject e;
  if (style == ErrorStyle::wukongim_2x) {
    message_buf = "jsonrpc: ";
    e.code = 0;  // 2.x always sends code 0
  } else {
    e.code = problem_code(failed.problem == Problem::none ? Problem::invalid_request : failed.problem);
  }
  message_buf += err.describe();
  e.message = message_buf;
  return e;
}

ErrorObject reason_error(uint8_t reason_code) {
  return ErrorObject{reason_code, reason_code_name(reason_code), {}};
}

}  // namespace wkit::proto::jsonrpc
