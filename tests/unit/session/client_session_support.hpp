#pragma once
// Shared by the ClientSession tests (both dialects): alice's config and
// taking the next event of an expected type.
#include <gtest/gtest.h>

#include <variant>

#include "wkit/session/client_session.hpp"

namespace wkit::testing {

// alice / tok / dev1, device flag 1 (app); callers set the protocol.
inline session::ClientConfig alice_config() {
  session::ClientConfig c;
  c.uid = "alice";
  c.token = "tok";
  c.device_id = "dev1";
  c.device_flag = 1;
  return c;
}

// The next event, which must be a T (a failed expectation otherwise, and T{}).
template <class T>
T expect_event(session::ClientSession& s) {
  auto ev = s.poll();
  EXPECT_TRUE(ev.has_value());
  if (!ev) return T{};
  EXPECT_TRUE(std::holds_alternative<T>(*ev)) << "event index " << ev->index();
  if (!std::holds_alternative<T>(*ev)) return T{};
  return std::get<T>(*ev);
}

}  // namespace wkit::testing
