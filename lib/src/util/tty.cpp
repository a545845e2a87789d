// TTY detection and colour decisions.
#include "wkit/util/tty.hpp"

#include <unistd.h>

#include <cstdlib>

namespace wkit::util {

bool is_tty(int fd) { return ::isatty(fd) == 1; }

std::optional<ColorMode> parse_color_mode(std::string_view text) {
  if (text == "auto") return ColorMode::automatic;
  if (text == "always" || text == "on") return ColorMode::always;
  if (text == "never" || text == "off") return ColorMode::never;
  return std::nullopt;
}

bool use_color(int fd, ColorMode mode) {
  if (mode != ColorMode::automatic) return mode == ColorMode::always;
  const char* no_color = std::getenv("NO_COLOR");  // https://no-color.org
  if (no_color && *no_color) return false;
  const char* term = std::getenv("TERM");
  if (term && std::string_view(term) == "dumb") return false;
  return is_tty(fd);
}

std::string Palette::paint(std::string_view text, std::string_view style) const {
  if (!on_) return std::string(text);
  std::string out;
  out.reserve(style.size() + text.size() + ansi::reset.size());
  out.append(style).append(text).append(ansi::reset);
  return out;
}

}  // namespace wkit::util
