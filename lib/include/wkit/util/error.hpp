#pragma once
// Errors are values: what failed, and where (byte offset, file:line, row).
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace wkit {

enum class ErrorKind {
  usage = 2,          // bad flag or argument
  connection = 3,     // connection, handshake or auth failure
  bad_input = 4,      // input data that cannot be parsed
  internal = 5,       // a bug or an environment failure
};

struct Error {
  ErrorKind kind = ErrorKind::bad_input;
  std::string message;                 // one clear line, no trailing newline
  std::optional<uint64_t> offset;      // byte offset in the input, when known

  static Error input(std::string msg, std::optional<uint64_t> off = std::nullopt) {
    return Error{ErrorKind::bad_input, std::move(msg), off};
  }
  static Error internal_error(std::string msg) { return Error{ErrorKind::internal, std::move(msg), std::nullopt}; }
  // "byte 17: string length 0x8000 exceeds 32767" style text.
  std::string describe() const {
    return offset ? "byte " + std::to_string(*offset) + ": " + message : message;
  }
};

// A value or an Error. C++20 has no std::expected; this is the small subset we use.
template <class T>
class Result {
 public:
  Result(T value) : v_(std::move(value)) {}
  Result(Error err) : v_(std::move(err)) {}
  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T* operator->() { return &std::get<0>(v_); }
  const T* operator->() const { return &std::get<0>(v_); }
  T& operator*() & { return std::get<0>(v_); }
  const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

// Result<void>: ok or an Error.
using Status = std::optional<Error>;  // nullopt = ok

}  // namespace wkit
