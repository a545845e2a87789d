// ImportOptions::progress: the counters a progress line reads while a pcap
// is imported (file bytes read of the size, packets) end at the whole file.
#include <gtest/gtest.h>

#include "pcap_builder.hpp"
#include "wkit/capture/pcap_import.hpp"

using wkit::testing::PcapBuilder;

TEST(PcapImportProgress, CountersReachTheWholeFile) {
  PcapBuilder b;
  for (int i = 0; i < 50; ++i) b.arp(1'000'000 + uint64_t(i) * 100);
  const std::string data = b.bytes();
  wkit::capture::ImportProgress progress;
  wkit::capture::ImportOptions opts;
  opts.progress = &progress;
  auto stats = wkit::capture::import_pcap_memory(data, opts, [](const auto&) -> wkit::Status { return std::nullopt; });
  ASSERT_TRUE(stats) << stats.error().describe();
  EXPECT_EQ(stats.value().packets, 50u);
  EXPECT_EQ(progress.packets.load(), 50u);
  EXPECT_EQ(progress.bytes_read.load(), data.size());
}

TEST(PcapImportProgress, NoCountersWithoutAProgress) {
  PcapBuilder b;
  b.arp(1'000'000);
  wkit::capture::ImportOptions opts;  // progress null: nothing is written anywhere
  auto stats = wkit::capture::import_pcap_memory(b.bytes(), opts, [](const auto&) -> wkit::Status { return std::nullopt; });
  ASSERT_TRUE(stats);
  EXPECT_EQ(stats.value().packets, 1u);
}
