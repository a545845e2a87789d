#pragma once
// Fault injection shared by `wkit serve` and `wkit proxy` (docs/cli.md "Fault specs").
//
// A spec is `ACTION:FRAME[:PARAM[,PARAM...]]`:
//   ACTION  drop | delay | dup | reset
//   FRAME   connack | sendack | recv | recvack | pong | send   (also ping, disconnect)
//   PARAM   nth=1,3   1-based count of that frame type on the connection
//           p=0.3     probability (seeded RNG: --seed)
//           ms=200    delay in milliseconds (delay only; default 100)
//           dir=in|out only frames travelling that way (default: either)
// Without nth or p a rule fires on every matching frame.
//
// An Injector is per connection: it counts frames per (type, direction) and
// draws from its own RNG seeded from (seed, connection id), so a run with the
// same --seed and the same traffic makes the same decisions.
#include <array>
#include <cstdint>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "wkit/proto/frame.hpp"
#include "wkit/util/error.hpp"

namespace wkit::fault {

enum class Action : uint8_t { pass, drop, delay, dup, reset };
enum class Direction : uint8_t { in, out };  // as seen by the side injecting

std::string_view action_name(Action a);

struct Rule {
  Action action = Action::drop;
  proto::FrameType frame = proto::FrameType::sendack;
  std::vector<uint32_t> nth;  // empty: not restricted by count
  double p = 1.0;             // applied after nth matched
  bool has_p = false;
  uint32_t delay_ms = 100;
  bool any_direction = true;
  Direction direction = Direction::out;
  std::string text;  // the spec as given, for events and logs
};

// Parses one spec. Errors name the spec and the offending part.
Result<Rule> parse_rule(std::string_view spec);

struct Decision {
  Action action = Action::pass;
  uint32_t delay_ms = 0;
  uint32_t count = 0;         // this frame's 1-based count for its type and direction
  const Rule* rule = nullptr;  // the rule that fired (nullptr for pass)
};

class Injector {
 public:
  Injector() = default;
  // `rules` must outlive the injector (the server keeps them for its lifetime).
  Injector(std::span<const Rule> rules, uint64_t seed, uint64_t connection_id);

  // Counts the frame and decides its fate. The first rule that fires wins.
  Decision decide(proto::FrameType type, Direction dir);

  bool empty() const { return rules_.empty(); }
  uint32_t count(proto::FrameType type, Direction dir) const {
    return counts_[static_cast<size_t>(dir)][static_cast<size_t>(type) & 15];
  }

 private:
  std::span<const Rule> rules_;
  std::mt19937_64 rng_;
  std::array<std::array<uint32_t, 16>, 2> counts_{};
};

}  // namespace wkit::fault
