#pragma once
// Generated payloads (`--payload-size N`) carry the sender's clock so that a
// receiver can compute end-to-end latency:
//   "wkit:ts=<unix nanoseconds>;" then 'x' padding up to N bytes.
// The same timestamp regenerates the same bytes, so a resend carries an
// identical payload (servers that de-duplicate compare payload hashes).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace wkit::app {

inline constexpr std::string_view kPayloadPrefix = "wkit:ts=";

// Replaces `out` with the payload (at least the header, even if size is smaller).
void make_timed_payload(int64_t unix_ns, size_t size, std::string& out);
// The timestamp of a generated payload, or nullopt for any other payload.
std::optional<int64_t> timed_payload_ns(std::string_view payload);

// WuKongIM JSON text content: {"type":1,"content":"..."} (JSON-escaped).
std::string text_content(std::string_view text);

int64_t unix_now_ns();

}  // namespace wkit::app
