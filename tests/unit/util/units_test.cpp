// Duration, size and rate flag values (docs/cli.md conventions).
#include <gtest/gtest.h>

#include "wkit/util/units.hpp"

using namespace std::chrono_literals;
namespace wu = wkit::util;

TEST(ParseDuration, AcceptsDocumentedForms) {
  EXPECT_EQ(wu::parse_duration("250ms").value(), 250ms);
  EXPECT_EQ(wu::parse_duration("3s").value(), 3s);
  EXPECT_EQ(wu::parse_duration("2m").value(), 2min);
  EXPECT_EQ(wu::parse_duration("1h").value(), 1h);
  EXPECT_EQ(wu::parse_duration("1.5s").value(), 1500ms);
  EXPECT_EQ(wu::parse_duration("1m30s").value(), 90s);
  EXPECT_EQ(wu::parse_duration("10us").value(), 10us);
  EXPECT_EQ(wu::parse_duration("7ns").value(), 7ns);
  EXPECT_EQ(wu::parse_duration("0").value(), 0ns);
  EXPECT_EQ(wu::parse_duration("0.5ms").value(), 500us);
}

TEST(ParseDuration, ErrorsNameTheBadText) {
  for (const char* bad : {"", "5", "abc", "5x", "-1s", "1.2.3s", "s", "5 s", "1e3s"}) {
    auto r = wu::parse_duration(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().kind, wkit::ErrorKind::usage);
    EXPECT_NE(r.error().message.find(std::string("\"") + bad + "\""), std::string::npos) << r.error().message;
  }
  EXPECT_NE(wu::parse_duration("5").error().message.find("missing unit"), std::string::npos);
  EXPECT_NE(wu::parse_duration("5x").error().message.find("unknown unit \"x\""), std::string::npos);
  EXPECT_FALSE(wu::parse_duration("99999999999h").ok());
}

TEST(ParseSize, AcceptsDocumentedForms) {
  EXPECT_EQ(wu::parse_size("100").value(), 100u);
  EXPECT_EQ(wu::parse_size("100B").value(), 100u);
  EXPECT_EQ(wu::parse_size("64KiB").value(), 65536u);
  EXPECT_EQ(wu::parse_size("1GiB").value(), 1073741824u);
  EXPECT_EQ(wu::parse_size("10MB").value(), 10000000u);
  EXPECT_EQ(wu::parse_size("1.5KiB").value(), 1536u);
  EXPECT_EQ(wu::parse_size("2kib").value(), 2048u);
  EXPECT_EQ(wu::parse_size("1TB").value(), 1000000000000u);
}

TEST(ParseSize, BareKMGTSuffixesAreBinary) {
  EXPECT_EQ(wu::parse_size("64K").value(), 65536u);
  EXPECT_EQ(wu::parse_size("256M").value(), 268435456u);
  EXPECT_EQ(wu::parse_size("1G").value(), 1073741824u);
  EXPECT_EQ(wu::parse_size("2T").value(), uint64_t{2} << 40);
  EXPECT_EQ(wu::parse_size("1.5k").value(), 1536u);  // case-insensitive, fractions
  EXPECT_EQ(wu::parse_size("512m").value(), wu::parse_size("512MiB").value());
  EXPECT_NE(wu::parse_size("1G").value(), wu::parse_size("1GB").value());  // GB stays decimal
}

TEST(ParseSize, ErrorsNameTheBadText) {
  for (const char* bad : {"", "KiB", "10XB", "-5", "1.5", "10 KiB", "99999999EiB"}) {
    auto r = wu::parse_size(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.error().message.find(std::string("\"") + bad + "\""), std::string::npos) << r.error().message;
  }
  EXPECT_FALSE(wu::parse_size("20000000TB").ok());  // beyond 2^64
}

TEST(ParseRate, AcceptsDocumentedForms) {
  EXPECT_DOUBLE_EQ(wu::parse_rate("5000/s").value(), 5000);
  EXPECT_DOUBLE_EQ(wu::parse_rate("100/ms").value(), 100000);
  EXPECT_DOUBLE_EQ(wu::parse_rate("30000/m").value(), 500);
  EXPECT_DOUBLE_EQ(wu::parse_rate("50/10s").value(), 5);
  EXPECT_DOUBLE_EQ(wu::parse_rate("0.5/s").value(), 0.5);
}

TEST(ParseRate, ABareNumberNeedsAPeriod) {
  for (const char* bare : {"500", "0.5", "0"}) {
    auto r = wu::parse_rate(bare);
    ASSERT_FALSE(r.ok()) << bare;
    EXPECT_EQ(r.error().kind, wkit::ErrorKind::usage);
    EXPECT_NE(r.error().message.find(std::string("write ") + bare + "/s"), std::string::npos) << r.error().message;
  }
}

TEST(ParseRate, ErrorsNameTheBadText) {
  for (const char* bad : {"", "/s", "5000/", "5000/x", "5000s", "fast", "5/0s", "500"}) {
    auto r = wu::parse_rate(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.error().message.find(std::string("\"") + bad + "\""), std::string::npos) << r.error().message;
  }
}

TEST(FormatDuration, PicksAUnitWithThreeSignificantDigits) {
  EXPECT_EQ(wu::format_duration(0ns), "0s");
  EXPECT_EQ(wu::format_duration(999ns), "999ns");
  EXPECT_EQ(wu::format_duration(12300ns), "12.3us");
  EXPECT_EQ(wu::format_duration(250ms), "250ms");
  EXPECT_EQ(wu::format_duration(1250ms), "1.25s");
  EXPECT_EQ(wu::format_duration(999999ns), "1ms");  // rounds up into the next unit
  EXPECT_EQ(wu::format_duration(90s), "1m30s");
  EXPECT_EQ(wu::format_duration(3723s), "1h2m3s");
  EXPECT_EQ(wu::format_duration(-5ms), "-5ms");
}

TEST(FormatDuration, RoundTripsThroughParse) {
  for (std::chrono::nanoseconds d : {1ns, 12300ns, 250000000ns, 1250000000ns, 90000000000ns, 3723000000000ns}) EXPECT_EQ(wu::parse_duration(wu::format_duration(d)).value(), d);
}

TEST(FormatSize, BinaryUnits) {
  EXPECT_EQ(wu::format_size(0), "0 B");
  EXPECT_EQ(wu::format_size(1023), "1023 B");
  EXPECT_EQ(wu::format_size(1024), "1 KiB");
  EXPECT_EQ(wu::format_size(1572864), "1.5 MiB");
  EXPECT_EQ(wu::format_size(uint64_t{1} << 40), "1 TiB");
}

TEST(FormatRate, ScalesToKAndM) {
  EXPECT_EQ(wu::format_rate(5000), "5000/s");
  EXPECT_EQ(wu::format_rate(12500), "12.5k/s");
  EXPECT_EQ(wu::format_rate(2.5e7), "25M/s");
  EXPECT_EQ(wu::format_rate(0.5), "0.5/s");
}
