// pcap/pcapng files that are cut off (tcpdump killed: the packets before the
// cut are imported, with a warning naming the byte) versus corrupt (a record
// no writer produces: an error naming the packet and byte, or with skip_bad a
// resynchronisation at the next believable record, counted).
#include <gtest/gtest.h>

#include <cstring>

#include "pcap_builder.hpp"
#include "wkit/capture/pcap_import.hpp"

using namespace wkit;
using namespace wkit::capture;
using wkit::testing::PcapBuilder;

namespace {

constexpr uint64_t kT0 = 1'700'000'000'000'000;  // microseconds
constexpr size_t kFileHeader = 24, kArpRecord = 16 + 42;

// `n` ARP packets (42 bytes each): record i starts at 24 + 58 * i.
std::string arp_pcap(int n) {
  PcapBuilder b;
  for (int i = 0; i < n; ++i) b.arp(kT0 + uint64_t(i) * 1000);
  return b.bytes();
}

size_t record_offset(int i) { return kFileHeader + kArpRecord * size_t(i); }

void put32(std::string& s, size_t at, uint32_t v) { std::memcpy(s.data() + at, &v, 4); }

// The same packets as pcapng: SHB, IDB (Ethernet, microseconds), one EPB each.
std::string to_pcapng(const std::string& pcap) {
  std::string out;
  auto u32 = [&](uint32_t v) { out.append(reinterpret_cast<const char*>(&v), 4); };
  auto u16 = [&](uint16_t v) { out.append(reinterpret_cast<const char*>(&v), 2); };
  u32(0x0A0D0D0A); u32(28); u32(0x1A2B3C4D); u16(1); u16(0); u32(0xFFFFFFFF); u32(0xFFFFFFFF); u32(28);
  u32(1); u32(20); u16(1); u16(0); u32(262144); u32(20);
  for (size_t at = kFileHeader; at + 16 <= pcap.size();) {
    uint32_t h[4];
    std::memcpy(h, pcap.data() + at, 16);
    uint64_t ts = uint64_t(h[0]) * 1'000'000 + h[1];
    uint32_t padded = (h[2] + 3) & ~3u;
    u32(6); u32(32 + padded); u32(0); u32(uint32_t(ts >> 32)); u32(uint32_t(ts)); u32(h[2]); u32(h[3]);
    out.append(pcap, at + 16, h[2]);
    out.append(padded - h[2], '\0');
    u32(32 + padded);
    at += 16 + h[2];
  }
  return out;
}
constexpr size_t kNgHeaders = 28 + 20, kArpBlock = 32 + 44;
size_t block_offset(int i) { return kNgHeaders + kArpBlock * size_t(i); }

Result<ImportStats> run(const std::string& bytes, bool skip_bad = false) {
  ImportOptions o;
  o.skip_bad = skip_bad;
  return import_pcap_memory(bytes, o, [](const pb::Record&) -> Status { return std::nullopt; });
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

TEST(PcapCorrupt, ImpossibleCaptureLengthNamesThePacketAndByte) {
  std::string f = arp_pcap(5);
  put32(f, record_offset(2) + 8, 0xFFFFFF00);  // caplen of the third packet
  auto r = run(f);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::bad_input);
  EXPECT_TRUE(contains(r.error().message, "packet 3 at byte " + std::to_string(record_offset(2))))
      << r.error().message;
  EXPECT_TRUE(contains(r.error().message, "corrupt record")) << r.error().message;
  EXPECT_TRUE(contains(r.error().message, "4294967040")) << r.error().message;
}

TEST(PcapCorrupt, SkipBadResynchronisesAtTheNextRecordAndCounts) {
  std::string f = arp_pcap(5);
  put32(f, record_offset(2) + 8, 0xFFFFFF00);
  auto r = run(f, true);
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_EQ(r->packets, 4u);  // the corrupt one is lost, the two after it are read
  EXPECT_EQ(r->bad_records, 1u);
  EXPECT_EQ(r->bad_bytes, kArpRecord);
  ASSERT_EQ(r->bad_record_notes.size(), 1u);
  EXPECT_TRUE(contains(r->bad_record_notes[0], "packet 3 at byte " + std::to_string(record_offset(2))));
  EXPECT_TRUE(contains(r->bad_record_notes[0], "next believable record at byte " + std::to_string(record_offset(3))))
      << r->bad_record_notes[0];
  EXPECT_FALSE(r->file_truncated);
}

TEST(PcapCorrupt, CapturedLengthAbovePacketLengthIsCorrupt) {
  std::string f = arp_pcap(3);
  put32(f, record_offset(1) + 12, 10);  // len 10 < caplen 42
  auto r = run(f);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(contains(r.error().message, "packet 2 at byte " + std::to_string(record_offset(1))))
      << r.error().message;
  EXPECT_TRUE(contains(r.error().message, "above the packet length 10")) << r.error().message;
  auto skipped = run(f, true);
  ASSERT_TRUE(skipped.ok()) << skipped.error().describe();
  EXPECT_EQ(skipped->packets, 2u);
  EXPECT_EQ(skipped->bad_records, 1u);
}

TEST(PcapCorrupt, NoBelievableRecordAfterTheCorruptOneStops) {
  std::string f = arp_pcap(4);
  put32(f, record_offset(3) + 8, 0xFFFFFF00);  // the last record
  auto r = run(f, true);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(contains(r.error().message, "packet 4 at byte " + std::to_string(record_offset(3))))
      << r.error().message;
  EXPECT_TRUE(contains(r.error().message, "no believable record after it")) << r.error().message;
}

TEST(PcapCorrupt, CutOffTailIsAWarningWithTheOffsetNotAnError) {
  std::string full = arp_pcap(5);
  for (size_t cut : {record_offset(4) + 10, record_offset(4) + 30}) {  // inside the header, inside the data
    auto r = run(full.substr(0, cut));
    ASSERT_TRUE(r.ok()) << r.error().describe();
    EXPECT_EQ(r->packets, 4u);
    ASSERT_TRUE(r->file_truncated);
    EXPECT_EQ(r->file_truncated_offset, record_offset(4));
    EXPECT_TRUE(contains(*r->file_truncated, "at byte " + std::to_string(record_offset(4)) + ", inside packet 5"))
        << *r->file_truncated;
    EXPECT_EQ(r->bad_records, 0u);
  }
}

TEST(PcapCorrupt, PcapngBadBlockLengthIsCorruptAndSkippable) {
  std::string f = to_pcapng(arp_pcap(5));
  ASSERT_EQ(f.size(), block_offset(5));
  put32(f, block_offset(2) + 4, 6);  // an impossible block length
  auto r = run(f);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(contains(r.error().message, "packet 3 at byte " + std::to_string(block_offset(2))))
      << r.error().message;
  EXPECT_TRUE(contains(r.error().message, "block length 6")) << r.error().message;
  auto skipped = run(f, true);
  ASSERT_TRUE(skipped.ok()) << skipped.error().describe();
  EXPECT_EQ(skipped->packets, 4u);
  EXPECT_EQ(skipped->bad_records, 1u);
  EXPECT_EQ(skipped->bad_bytes, kArpBlock);
}

TEST(PcapCorrupt, PcapngLengthsThatDisagreeAreCorrupt) {
  std::string f = to_pcapng(arp_pcap(4));
  put32(f, block_offset(1) + kArpBlock - 4, 80);  // the trailing copy of the length
  auto r = run(f);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(contains(r.error().message, "packet 2 at byte " + std::to_string(block_offset(1))))
      << r.error().message;
}

TEST(PcapCorrupt, PcapngCutOffTailIsAWarning) {
  std::string f = to_pcapng(arp_pcap(3));
  auto r = run(f.substr(0, block_offset(2) + 40));
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_EQ(r->packets, 2u);
  ASSERT_TRUE(r->file_truncated);
  EXPECT_EQ(r->file_truncated_offset, block_offset(2));
}

TEST(PcapCorrupt, EachSkipNamesItsOwnPacketAndByte) {
  std::string f = arp_pcap(6);
  put32(f, record_offset(1) + 8, 0xFFFFFF00);
  put32(f, record_offset(4) + 8, 0xFFFFFF00);
  auto r = run(f, true);
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_EQ(r->packets, 4u);
  EXPECT_EQ(r->bad_records, 2u);
  ASSERT_EQ(r->bad_record_notes.size(), 2u);
  EXPECT_TRUE(contains(r->bad_record_notes[0], "packet 2 at byte " + std::to_string(record_offset(1))))
      << r->bad_record_notes[0];
  // Packets 2 and 3 of the file were read as the 2nd and 3rd: the next failure is the 4th.
  EXPECT_TRUE(contains(r->bad_record_notes[1], "packet 4 at byte " + std::to_string(record_offset(4))))
      << r->bad_record_notes[1];
}

TEST(PcapCorrupt, PcapngBlocksBetweenPacketsAreWalkedOver) {
  // An interface statistics block between packets 1 and 2: a failure in
  // packet 2 is placed at packet 2's block, not at the statistics block.
  std::string f = to_pcapng(arp_pcap(3));
  std::string isb;
  auto u32 = [&](uint32_t v) { isb.append(reinterpret_cast<const char*>(&v), 4); };
  u32(5); u32(24); u32(0); u32(0); u32(0); u32(24);
  f.insert(block_offset(1), isb);
  const size_t second = block_offset(1) + isb.size();
  auto cut = run(f.substr(0, second + 40));
  ASSERT_TRUE(cut.ok()) << cut.error().describe();
  EXPECT_EQ(cut->packets, 1u);
  EXPECT_EQ(cut->file_truncated_offset, second);
  put32(f, second + 4, 6);
  auto bad = run(f);
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(contains(bad.error().message, "packet 2 at byte " + std::to_string(second))) << bad.error().message;
}

}  // namespace
