#include "wkit/app/client_payload.hpp"
#include "wkit/util/json_text.hpp"

#include <charconv>
#include <chrono>
#include <nlohmann/json.hpp>

namespace wkit::app {

void make_timed_payload(int64_t unix_ns, size_t size, std::string& out) {
  char num[24];
  auto [end, ec] = std::to_chars(num, num + sizeof num, unix_ns);
  out.assign(kPayloadPrefix);
  out.append(num, end);
  out.push_back(';');
  if (out.size() < size) out.append(size - out.size(), 'x');
}

std::optional<int64_t> timed_payload_ns(std::string_view payload) {
  if (!payload.starts_with(kPayloadPrefix)) return std::nullopt;
  payload.remove_prefix(kPayloadPrefix.size());
  int64_t v = 0;
  auto [p, ec] = std::from_chars(payload.data(), payload.data() + payload.size(), v);
  if (ec != std::errc{} || p == payload.data() || p == payload.data() + payload.size() || *p != ';')
    return std::nullopt;
  return v;
}

std::string text_content(std::string_view text) {
  nlohmann::json j = {{"type", 1}, {"content", std::string(text)}};
  return wkit::util::json_text(j);
}

int64_t unix_now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace wkit::app
