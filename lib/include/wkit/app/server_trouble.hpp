#pragma once
// Trouble an operator must see without --events (a refused CONNECT, a failed
// WebSocket upgrade, a handshake timeout, a store error, accept() failing):
// one stderr line per kind at most once per interval, each with the count of
// that kind so far and how many were held back since the last line, so that
// a flood of one kind cannot flood stderr. Used from one thread.
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <unordered_map>

namespace wkit::app {

class TroubleLog {
 public:
  // `out` nullptr: count only.
  explicit TroubleLog(std::string prefix, std::FILE* out, int64_t interval_ms = 5000);
  ~TroubleLog();
  // `kind` groups lines for rate limiting; `text` is what happened.
  void report(std::string_view kind, std::string_view text, int64_t mono_ms);
  // One line per kind whose last reports were held back.
  void flush_held();
  uint64_t count(std::string_view kind) const;

 private:
  struct Kind {
    int64_t last_line_ms = 0;
    uint64_t total = 0, held = 0;
  };
  std::string prefix_;
  std::FILE* out_;
  int64_t interval_ms_;
  std::unordered_map<std::string, Kind> kinds_;
};

// `s` quoted for a log line: at most `max` bytes, control bytes and
// non-ASCII as \xNN (a uid is hostile input).
std::string quote_for_log(std::string_view s, size_t max = 64);

}  // namespace wkit::app
