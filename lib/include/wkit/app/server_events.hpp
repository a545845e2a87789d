#pragma once
// `--events FILE|-`: one JSON object per line per server event (docs/serve.md
// "Events"). Every line has "event", "ts" (UTC, ms) and "ts_ms"; the rest
// depends on the event. Used from the I/O thread only.
#include <cstdio>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "wkit/util/error.hpp"

namespace wkit::app {

class EventLog {
 public:
  // "-" = stdout. Errors: the file cannot be opened for writing.
  static Result<std::unique_ptr<EventLog>> open(const std::string& path);
  ~EventLog();
  // Adds event/ts/ts_ms and writes one line.
  void write(std::string_view event, nlohmann::json fields, int64_t wall_ms);
  void flush();

 private:
  EventLog() = default;
  std::FILE* f_ = nullptr;
  bool owned_ = false;
};

std::string iso8601_ms(int64_t unix_ms);

}  // namespace wkit::app
