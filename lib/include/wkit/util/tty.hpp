#pragma once
// Terminal detection and ANSI colour (docs/cli.md: colour only on a TTY).
#include <optional>
#include <string>
#include <string_view>

namespace wkit::util {

bool is_tty(int fd);

enum class ColorMode { automatic, always, never };
// "auto", "always", "never" (also "on"/"off"); nullopt otherwise.
std::optional<ColorMode> parse_color_mode(std::string_view text);
// automatic: `fd` is a TTY, NO_COLOR is unset or empty, and TERM is not "dumb".
bool use_color(int fd, ColorMode mode = ColorMode::automatic);

namespace ansi {
inline constexpr std::string_view reset = "\x1b[0m", bold = "\x1b[1m", dim = "\x1b[2m", red = "\x1b[31m",
                                  green = "\x1b[32m", yellow = "\x1b[33m", blue = "\x1b[34m", cyan = "\x1b[36m";
}

// Colour switch for one output stream: wraps text in a style only when on.
class Palette {
 public:
  explicit Palette(bool on) : on_(on) {}
  bool on() const { return on_; }
  std::string paint(std::string_view text, std::string_view style) const;
  std::string red(std::string_view t) const { return paint(t, ansi::red); }
  std::string green(std::string_view t) const { return paint(t, ansi::green); }
  std::string yellow(std::string_view t) const { return paint(t, ansi::yellow); }
  std::string bold(std::string_view t) const { return paint(t, ansi::bold); }
  std::string dim(std::string_view t) const { return paint(t, ansi::dim); }

 private:
  bool on_;
};

}  // namespace wkit::util
