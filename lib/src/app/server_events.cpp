#include "wkit/app/server_events.hpp"
#include "wkit/util/json_text.hpp"

#include <cerrno>
#include <cstring>
#include <ctime>

namespace wkit::app {

std::string iso8601_ms(int64_t unix_ms) {
  std::time_t secs = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[40];
  size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(buf + n, sizeof buf - n, ".%03dZ", static_cast<int>(unix_ms % 1000));
  return buf;
}

Result<std::unique_ptr<EventLog>> EventLog::open(const std::string& path) {
  std::unique_ptr<EventLog> log(new EventLog());
  if (path == "-") {
    log->f_ = stdout;
  } else {
    log->f_ = std::fopen(path.c_str(), "a");
    if (!log->f_)
      return Error::internal_error("cannot open events file '" + path + "': " + std::strerror(errno));
    log->owned_ = true;
  }
  return log;
}

EventLog::~EventLog() {
  flush();
  if (owned_ && f_) std::fclose(f_);
}

void EventLog::write(std::string_view event, nlohmann::json fields, int64_t wall_ms) {
  nlohmann::json j = nlohmann::json::object();
  j["event"] = event;
  j["ts"] = iso8601_ms(wall_ms);
  j["ts_ms"] = wall_ms;
  for (auto& [k, v] : fields.items()) j[k] = std::move(v);
  // jq and JavaScript round integers above 2^53: every message id also as a string.
  if (auto it = j.find("message_id"); it != j.end() && it->is_number_integer())
    j["message_idstr"] = std::to_string(it->get<int64_t>());
  std::string line = wkit::util::json_text(j);
  line.push_back('\n');
  std::fwrite(line.data(), 1, line.size(), f_);
  // Line at a time so that `tail -f | grep` during an incident sees it now.
  std::fflush(f_);
}

void EventLog::flush() {
  if (f_) std::fflush(f_);
}

}  // namespace wkit::app
