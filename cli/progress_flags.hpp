#pragma once
// `--progress auto|always|never` and `--progress-interval D`, spelled and
// explained the same way by every long-running command (docs/cli.md
// "Progress"): send, recv, replay, capture import, audit.
#include <CLI/CLI.hpp>
#include <string>

#include "wkit/util/error.hpp"
#include "wkit/util/progress.hpp"
#include "wkit/util/units.hpp"

namespace wkit::cli {

struct ProgressFlags {
  std::string mode = "auto";
  std::string interval;  // empty: the style's default
};

inline void add_progress_flags(CLI::App* sub, ProgressFlags& f) {
  sub->add_option("--progress", f.mode,
                  "Progress on stderr: auto (a redrawn line when stderr is a terminal), always (also plain lines "
                  "when it is not, one per --progress-interval), never")
      ->check(CLI::IsMember({"auto", "always", "never"}))
      ->capture_default_str();
  sub->add_option("--progress-interval", f.interval,
                  "Time between progress lines, at least 100ms (default 1s on a terminal, 10s as plain lines)")
      ->type_name("DURATION");
}

inline Result<util::ProgressSettings> progress_settings(const ProgressFlags& f) {
  util::ProgressSettings s;
  auto mode = util::parse_progress_mode(f.mode);
  if (!mode) return Error{ErrorKind::usage, "--progress: '" + f.mode + "' is not one of auto, always, never", std::nullopt};
  s.mode = *mode;
  if (!f.interval.empty()) {
    auto d = util::parse_duration(f.interval);
    if (!d) return Error{ErrorKind::usage, "bad --progress-interval '" + f.interval + "': " + d.error().message, std::nullopt};
    if (*d < util::ProgressSettings::kMinInterval)
      return Error{ErrorKind::usage, "--progress-interval must be at least 100ms, not '" + f.interval + "'", std::nullopt};
    s.interval = std::chrono::duration_cast<std::chrono::milliseconds>(*d);
  }
  return s;
}

}  // namespace wkit::cli
