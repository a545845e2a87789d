// Adaptive latency units and RFC 3339 time stamps.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "wkit/util/latency_text.hpp"

using namespace wkit::util;

TEST(LatencyText, PicksTheUnitThatFits) {
  EXPECT_EQ(format_latency(0), "0ns");
  EXPECT_EQ(format_latency(420), "420ns");
  EXPECT_EQ(format_latency(999), "999ns");
  EXPECT_EQ(format_latency(1000), "1us");
  EXPECT_EQ(format_latency(12345), "12.3us");
  EXPECT_EQ(format_latency(420000), "420us");
  EXPECT_EQ(format_latency(1250000), "1.25ms");
  EXPECT_EQ(format_latency(999600), "1ms");
  EXPECT_EQ(format_latency(2500000000ULL), "2.5s");
}

TEST(LatencyText, FromJsonMillisecondsNullIsNotMeasured) {
  EXPECT_EQ(format_latency_ms(nlohmann::json()), "-");
  EXPECT_EQ(format_latency_ms(nlohmann::json(0.00042)), "420ns");
  EXPECT_EQ(format_latency_ms(nlohmann::json(0.42)), "420us");
  EXPECT_EQ(format_latency_ms(nlohmann::json(12.5)), "12.5ms");
  EXPECT_EQ(format_latency_ms(nlohmann::json(0)), "0ns");
  EXPECT_EQ(format_latency_ms(nlohmann::json("x")), "-");
}

TEST(LatencyText, Rfc3339WithMicrosecondsInUtc) {
  EXPECT_EQ(rfc3339_us(0), "1970-01-01T00:00:00.000000Z");
  EXPECT_EQ(rfc3339_us(1796596253123456789LL), "2026-12-06T22:30:53.123456Z");
  EXPECT_EQ(rfc3339_us(-1000), "1969-12-31T23:59:59.999999Z");
}
