#pragma once
// Pieces shared by `wkit send` and `wkit recv` flag handling (no CLI11 here):
// identity defaults, device flags, atomic file output.
#include <string>
#include <string_view>

#include "wkit/session/client_session.hpp"
#include "wkit/util/error.hpp"

namespace wkit::app {

// "app", "web", "pc", "system" or a number 0..255.
Result<uint8_t> parse_device_flag(std::string_view text);
// Writes `content` to `path` through a temporary file and rename (never half-written).
Status write_file_atomic(const std::string& path, std::string_view content);
// Exit code for an error kind (CLI.md).
int exit_code_of(ErrorKind k);

}  // namespace wkit::app
