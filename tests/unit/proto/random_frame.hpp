#pragma once
// Random frames for property tests: every field that is on the wire at the
// chosen version gets a random value; fields that are not stay at their
// defaults, so that decode(encode(f)) == f must hold exactly.
#include <deque>
#include <random>
#include <string>

#include "wkit/proto/codec.hpp"

namespace wkit::proto::testing {

struct RandomFrames {
  std::mt19937_64 rng;
  std::deque<std::string> arena;  // keeps the bytes frames point to

  explicit RandomFrames(uint64_t seed) : rng(seed) {}

  uint64_t u(uint64_t n) { return n ? rng() % n : 0; }

  std::string_view bytes(size_t max_len) {
    // Mostly short, sometimes empty, now and then long.
    size_t n = u(8) == 0 ? 0 : u(4) == 0 ? u(max_len + 1) : u(40);
    std::string s(n, '\0');
    for (auto& c : s) c = static_cast<char>(u(256));
    return arena.emplace_back(std::move(s));
  }

  Frame make(FrameType t, int version) {
    Frame f = make_frame(t);
    std::visit(
        [&](auto& x) {
          using F = std::remove_cvref_t<decltype(x)>;
          if constexpr (!std::is_same_v<F, Ping> && !std::is_same_v<F, Pong> &&
                        !std::is_same_v<F, Connack>)
            x.header = Header{u(2) == 1, u(2) == 1, u(2) == 1, u(2) == 1};
          if constexpr (std::is_same_v<F, Connack>) x.has_server_version = u(2);
          // Settings first: other fields' presence depends on them.
          each_field_mut(x, [&](std::string_view, auto& v) {
            if constexpr (std::is_same_v<std::remove_cvref_t<decltype(v)>, Setting>)
              v.bits = static_cast<uint8_t>(u(256));
          });
          const Frame probe = x;
          each_field_mut(x, [&](std::string_view name, auto& v) {
            using T = std::remove_cvref_t<decltype(v)>;
            if (!field_on_wire(probe, name, version) &&
                !(std::is_same_v<F, Sendack> && name == "client_msg_no"))
              return;
            if constexpr (std::is_same_v<T, std::string_view>) {
              v = bytes(300);
            } else if constexpr (std::is_same_v<T, Bytes>) {
              v.data = bytes(2000);
            } else if constexpr (std::is_same_v<T, Setting>) {
            } else if constexpr (std::is_same_v<T, bool>) {
            } else {
              v = static_cast<T>(rng());
              if (name == "message_seq" && effective_version(version) < 6) v &= 0xFFFFFFFFu;
            }
          });
          if constexpr (std::is_same_v<F, Connack>) x.header.no_persist = x.has_server_version;
        },
        f);
    return f;
  }
};

// Field-by-field equality (through each_field) with the first difference.
inline std::string first_difference(const Frame& a, const Frame& b) {
  if (a.index() != b.index()) return "type";
  std::string diff;
  std::visit(
      [&](const auto& x) {
        using F = std::remove_cvref_t<decltype(x)>;
        const F& y = std::get<F>(b);
        if (!(x.header == y.header)) diff = "header";
        std::vector<std::string> names;
        // Collect x's values as strings by position, then compare with y's.
        std::vector<std::string> xs, ys;
        auto str = [](const auto& v) -> std::string {
          using T = std::remove_cvref_t<decltype(v)>;
          if constexpr (std::is_same_v<T, std::string_view>) return "s:" + std::string(v);
          else if constexpr (std::is_same_v<T, Bytes>) return "b:" + std::string(v.data);
          else if constexpr (std::is_same_v<T, Setting>) return std::to_string(v.bits);
          else return std::to_string(v);
        };
        x.each_field([&](std::string_view n, const auto& v) {
          names.emplace_back(n);
          xs.push_back(str(v));
        });
        y.each_field([&](std::string_view, const auto& v) { ys.push_back(str(v)); });
        for (size_t i = 0; i < xs.size() && diff.empty(); ++i)
          if (xs[i] != ys[i]) diff = names[i];
      },
      a);
  return diff;
}

}  // namespace wkit::proto::testing
