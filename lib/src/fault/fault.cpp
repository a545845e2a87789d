#include "wkit/fault/fault.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>

namespace wkit::fault {

std::string_view action_name(Action a) {
  switch (a) {
    case Action::pass: return "pass";
    case Action::drop: return "drop";
    case Action::delay: return "delay";
    case Action::dup: return "dup";
    case Action::reset: return "reset";
  }
  return "?";
}

namespace {

Error bad(std::string_view spec, std::string what) {
  return Error{ErrorKind::usage, "bad fault spec '" + std::string(spec) + "': " + what, std::nullopt};
}

bool parse_u32(std::string_view s, uint32_t& out) {
  if (s.empty()) return false;
  auto r = std::from_chars(s.data(), s.data() + s.size(), out);
  return r.ec == std::errc{} && r.ptr == s.data() + s.size();
}

// Splits "a=1,3,p=0.5" into key=value pairs where a bare value continues the
// previous key (so nth=1,3 lists two counts).
struct Param {
  std::string_view key;
  std::vector<std::string_view> values;
};

std::vector<Param> split_params(std::string_view text) {
  std::vector<Param> out;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t comma = text.find(',', pos);
    std::string_view item = text.substr(pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos);
    size_t eq = item.find('=');
    if (eq != std::string_view::npos) {
      out.push_back({item.substr(0, eq), {item.substr(eq + 1)}});
    } else if (!out.empty()) {
      out.back().values.push_back(item);
    } else {
      out.push_back({item, {}});
    }
    if (comma == std::string_view::npos) break;
    pos = comma + 1;
  }
  return out;
}

}  // namespace

Result<Rule> parse_rule(std::string_view spec) {
  Rule r;
  r.text = std::string(spec);
  size_t c1 = spec.find(':');
  if (c1 == std::string_view::npos) return bad(spec, "expected ACTION:FRAME[:PARAM]");
  std::string_view action = spec.substr(0, c1);
  std::string_view rest = spec.substr(c1 + 1);
  size_t c2 = rest.find(':');
  std::string_view frame = rest.substr(0, c2);
  std::string_view params = c2 == std::string_view::npos ? std::string_view{} : rest.substr(c2 + 1);

  if (action == "drop") r.action = Action::drop;
  else if (action == "delay") r.action = Action::delay;
  else if (action == "dup") r.action = Action::dup;
  else if (action == "reset") r.action = Action::reset;
  else return bad(spec, "unknown action '" + std::string(action) + "' (drop, delay, dup, reset)");

  static constexpr std::pair<std::string_view, proto::FrameType> kFrames[] = {
      {"connack", proto::FrameType::connack}, {"sendack", proto::FrameType::sendack},
      {"recv", proto::FrameType::recv},       {"recvack", proto::FrameType::recvack},
      {"pong", proto::FrameType::pong},       {"send", proto::FrameType::send},
      {"ping", proto::FrameType::ping},       {"disconnect", proto::FrameType::disconnect}};
  auto it = std::find_if(std::begin(kFrames), std::end(kFrames),
                         [&](auto& p) { return p.first == frame; });
  if (it == std::end(kFrames))
    return bad(spec, "unknown frame '" + std::string(frame) +
                         "' (connack, sendack, recv, recvack, pong, send, ping, disconnect)");
  r.frame = it->second;

  bool has_ms = false;
  if (c2 != std::string_view::npos) {
    if (params.empty()) return bad(spec, "empty parameter list after the frame");
    for (auto& p : split_params(params)) {
      if (p.key == "nth") {
        if (p.values.empty()) return bad(spec, "nth needs a count");
        for (auto v : p.values) {
          uint32_t n = 0;
          if (!parse_u32(v, n) || n == 0)
            return bad(spec, "nth value '" + std::string(v) + "' is not a count >= 1");
          r.nth.push_back(n);
        }
      } else if (p.key == "p") {
        if (p.values.size() != 1) return bad(spec, "p takes one value");
        std::string v(p.values[0]);
        char* end = nullptr;
        double d = std::strtod(v.c_str(), &end);
        if (v.empty() || *end != '\0' || !(d >= 0.0 && d <= 1.0))
          return bad(spec, "p value '" + v + "' is not a probability in [0,1]");
        r.p = d;
        r.has_p = true;
      } else if (p.key == "ms") {
        if (p.values.size() != 1 || !parse_u32(p.values[0], r.delay_ms))
          return bad(spec, "ms needs one whole number of milliseconds");
        has_ms = true;
      } else if (p.key == "dir") {
        if (p.values.size() != 1 || (p.values[0] != "in" && p.values[0] != "out"))
          return bad(spec, "dir must be in or out");
        r.any_direction = false;
        r.direction = p.values[0] == "in" ? Direction::in : Direction::out;
      } else {
        return bad(spec, "unknown parameter '" + std::string(p.key) + "' (nth, p, ms, dir)");
      }
    }
  }
  if (has_ms && r.action != Action::delay) return bad(spec, "ms applies to delay only");
  std::sort(r.nth.begin(), r.nth.end());
  return r;
}

Injector::Injector(std::span<const Rule> rules, uint64_t seed, uint64_t connection_id)
    : rules_(rules) {
  // splitmix64 of (seed, connection) so connections draw independent streams.
  uint64_t z = seed + 0x9e3779b97f4a7c15ULL * (connection_id + 1);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  rng_.seed(z ^ (z >> 31));
}

Decision Injector::decide(proto::FrameType type, Direction dir) {
  uint32_t& n = counts_[static_cast<size_t>(dir)][static_cast<size_t>(type) & 15];
  ++n;
  Decision d;
  d.count = n;
  for (const Rule& r : rules_) {
    if (r.frame != type) continue;
    if (!r.any_direction && r.direction != dir) continue;
    if (!r.nth.empty() && !std::binary_search(r.nth.begin(), r.nth.end(), n)) continue;
    if (r.has_p) {
      double u = std::uniform_real_distribution<double>(0.0, 1.0)(rng_);
      if (!(u < r.p)) continue;
    }
    d.action = r.action;
    d.delay_ms = r.action == Action::delay ? r.delay_ms : 0;
    d.rule = &r;
    return d;
  }
  return d;
}

}  // namespace wkit::fault
