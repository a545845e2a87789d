// .wkcap writer and reader: round trip, crash tolerance (a file cut at every
// byte), corruption with byte offsets, atomic creation.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "wkit/capture/reader.hpp"
#include "wkit/capture/writer.hpp"
#include "../../support/temp_dir.hpp"

namespace fs = std::filesystem;
using namespace wkit::capture;

namespace {

using wkit::testing::TempDir;

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

pb::Record frame_record(uint64_t conn, int i) {
  pb::Record r;
  r.set_timestamp_ns(1'700'000'000'000'000'000 + i);
  r.set_connection_id(conn);
  r.set_direction(i % 2 ? pb::SERVER_TO_CLIENT : pb::CLIENT_TO_SERVER);
  auto* f = r.mutable_frame();
  f->set_wire(std::string("\x30\x05", 2) + std::string(5, char('a' + i % 26)));
  f->set_stream_offset(i * 7);
  f->set_payload_state(pb::PAYLOAD_PLAINTEXT);
  f->set_plaintext("hello " + std::to_string(i));
  return r;
}

pb::Header test_header() {
  pb::Header h;
  h.set_creator("wkit test");
  h.set_start_time_ns(1'700'000'000'000'000'000);
  h.set_protocol_version(6);
  return h;
}

// Writes `n` records and returns the file bytes and each record's end offset.
std::string write_file(const fs::path& p, int n, std::vector<uint64_t>* ends = nullptr) {
  auto w = CaptureWriter::create(p.string(), test_header());
  EXPECT_TRUE(w.ok());
  if (ends) ends->push_back(w.value()->bytes_written());
  for (int i = 0; i < n; ++i) {
    EXPECT_FALSE(w.value()->write(frame_record(1 + i % 3, i)));
    if (ends) ends->push_back(w.value()->bytes_written());
  }
  EXPECT_FALSE(w.value()->commit());
  return slurp(p);
}

}  // namespace

TEST(CaptureFile, RoundTrip) {
  TempDir dir;
  auto p = dir.path / "a.wkcap";
  write_file(p, 50);
  auto r = CaptureReader::open(p.string());
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_EQ(r.value()->header().format_version(), kFormatVersion);
  EXPECT_EQ(r.value()->header().creator(), "wkit test");
  EXPECT_EQ(r.value()->header().protocol_version(), 6u);
  pb::Record rec;
  for (int i = 0; i < 50; ++i) {
    auto got = r.value()->next(rec);
    ASSERT_TRUE(got.ok()) << got.error().describe();
    ASSERT_TRUE(got.value());
    auto want = frame_record(1 + i % 3, i);
    EXPECT_EQ(rec.SerializeAsString(), want.SerializeAsString()) << "record " << i;
  }
  auto end = r.value()->next(rec);
  ASSERT_TRUE(end.ok());
  EXPECT_FALSE(end.value());
  EXPECT_FALSE(r.value()->truncation());
  EXPECT_EQ(r.value()->records_read(), 50u);
}

TEST(CaptureFile, FileStartsWithMagic) {
  TempDir dir;
  auto bytes = write_file(dir.path / "a.wkcap", 1);
  EXPECT_EQ(bytes.substr(0, 8), std::string("\x89WKCAP\r\n", 8));
  EXPECT_TRUE(looks_like_wkcap(bytes));
}

// Every possible cut (a writer killed at any byte) reads the whole records
// before the cut, then reports a truncation at the right offset.
TEST(CaptureFile, CutAtEveryByteReadsWholeRecords) {
  TempDir dir;
  std::vector<uint64_t> ends;  // ends[0] = end of header, ends[k] = end of record k
  std::string full = write_file(dir.path / "a.wkcap", 6, &ends);
  for (size_t cut = 0; cut < full.size(); ++cut) {
    std::string_view part(full.data(), cut);
    auto r = CaptureReader::from_memory(part);
    if (cut < ends[0]) {
      ASSERT_FALSE(r.ok()) << "cut " << cut;
      EXPECT_EQ(r.error().kind, wkit::ErrorKind::bad_input);
      continue;
    }
    ASSERT_TRUE(r.ok()) << "cut " << cut << ": " << r.error().describe();
    pb::Record rec;
    size_t whole = 0;
    while (true) {
      auto got = r.value()->next(rec);
      ASSERT_TRUE(got.ok()) << "cut " << cut << ": " << got.error().describe();
      if (!got.value()) break;
      ++whole;
    }
    size_t expect_whole = std::upper_bound(ends.begin(), ends.end(), cut) - ends.begin() - 1;
    EXPECT_EQ(whole, expect_whole) << "cut " << cut;
    bool at_boundary = std::find(ends.begin(), ends.end(), cut) != ends.end();
    ASSERT_EQ(r.value()->truncation().has_value(), !at_boundary) << "cut " << cut;
    if (!at_boundary) {
      EXPECT_EQ(r.value()->truncation()->offset, ends[expect_whole]) << "cut " << cut;
      EXPECT_EQ(r.value()->truncation()->bytes_present, cut - ends[expect_whole]);
      EXPECT_NE(r.value()->truncation()->describe().find("byte " + std::to_string(ends[expect_whole])),
                std::string::npos);
    }
  }
}

TEST(CaptureFile, TruncatedFileOnDiskReadsUpToLastRecord) {
  TempDir dir;
  std::vector<uint64_t> ends;
  std::string full = write_file(dir.path / "a.wkcap", 10, &ends);
  auto cut = dir.path / "cut.wkcap";
  std::ofstream(cut, std::ios::binary).write(full.data(), ends[7] + 3);
  auto r = CaptureReader::open(cut.string());
  ASSERT_TRUE(r.ok());
  pb::Record rec;
  int n = 0;
  while (r.value()->next(rec).value()) ++n;
  EXPECT_EQ(n, 7);
  ASSERT_TRUE(r.value()->truncation());
  EXPECT_EQ(r.value()->truncation()->offset, ends[7]);
  ASSERT_TRUE(r.value()->truncation()->bytes_needed);
  EXPECT_EQ(*r.value()->truncation()->bytes_needed, ends[8] - ends[7]);
}

TEST(CaptureFile, BadMagicIsAnErrorAtByteZero) {
  auto r = CaptureReader::from_memory("GIF89a....");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().offset, 0u);
  EXPECT_NE(r.error().message.find("bad magic"), std::string::npos);
  EXPECT_FALSE(CaptureReader::from_memory("").ok());
}

TEST(CaptureFile, OversizedLengthIsCorruptionWithOffset) {
  TempDir dir;
  std::vector<uint64_t> ends;
  std::string full = write_file(dir.path / "a.wkcap", 3, &ends);
  // Replace record 1's length prefix with a 4-byte varint of 0x0FFFFFFF.
  std::string bad = full.substr(0, ends[1]) + std::string("\xFF\xFF\xFF\x7F", 4) + full.substr(ends[1] + 1);
  auto r = CaptureReader::from_memory(bad);
  ASSERT_TRUE(r.ok());
  pb::Record rec;
  ASSERT_TRUE(r.value()->next(rec).value());
  auto got = r.value()->next(rec);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().offset, ends[1]);
  EXPECT_NE(got.error().message.find("exceeds"), std::string::npos);
  // The reader stays failed.
  EXPECT_FALSE(r.value()->next(rec).ok());
}

TEST(CaptureFile, OverlongVarintIsCorruption) {
  TempDir dir;
  std::vector<uint64_t> ends;
  std::string full = write_file(dir.path / "a.wkcap", 1, &ends);
  std::string bad = full.substr(0, ends[0]) + std::string("\x80\x80\x80\x80\x80\x01", 6);
  auto r = CaptureReader::from_memory(bad);
  ASSERT_TRUE(r.ok());
  pb::Record rec;
  auto got = r.value()->next(rec);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().offset, ends[0]);
}

TEST(CaptureFile, GarbageRecordBodyIsCorruptionWithOffset) {
  TempDir dir;
  std::vector<uint64_t> ends;
  std::string full = write_file(dir.path / "a.wkcap", 2, &ends);
  // A 4-byte body holding field 1 with wire type 7 (invalid).
  std::string bad = full.substr(0, ends[1]) + std::string("\x04\x0F\x0F\x0F\x0F", 5);
  auto r = CaptureReader::from_memory(bad);
  ASSERT_TRUE(r.ok());
  pb::Record rec;
  ASSERT_TRUE(r.value()->next(rec).value());
  auto got = r.value()->next(rec);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().offset, ends[1]);
  EXPECT_NE(got.error().describe().find("byte " + std::to_string(ends[1])), std::string::npos);
}

TEST(CaptureFile, NewerFormatVersionIsRefused) {
  TempDir dir;
  auto p = dir.path / "new.wkcap";
  pb::Header h = test_header();
  h.set_format_version(kFormatVersion + 1);
  auto w = CaptureWriter::create(p.string(), h);
  ASSERT_TRUE(w.ok());
  ASSERT_FALSE(w.value()->commit());
  auto r = CaptureReader::open(p.string());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("newer"), std::string::npos);
}

TEST(CaptureFile, UnknownFieldsAreIgnored) {
  // A future writer's extra field (number 99, varint) in a record must not
  // stop an old reader.
  TempDir dir;
  std::vector<uint64_t> ends;
  std::string full = write_file(dir.path / "a.wkcap", 1, &ends);
  std::string rec_body = frame_record(1, 0).SerializeAsString() + std::string("\x98\x06\x2A", 3);
  std::string file = full.substr(0, ends[0]) + char(rec_body.size()) + rec_body;
  auto r = CaptureReader::from_memory(file);
  ASSERT_TRUE(r.ok());
  pb::Record rec;
  auto got = r.value()->next(rec);
  ASSERT_TRUE(got.ok()) << got.error().describe();
  EXPECT_TRUE(got.value());
  EXPECT_EQ(rec.frame().plaintext(), "hello 0");
}

TEST(CaptureFile, AtomicWriterTouchesNothingUntilCommit) {
  TempDir dir;
  auto p = dir.path / "out.wkcap";
  {
    WriterOptions o;
    o.atomic = true;
    auto w = CaptureWriter::create(p.string(), test_header(), o);
    ASSERT_TRUE(w.ok());
    ASSERT_FALSE(w.value()->write(frame_record(1, 0)));
    EXPECT_FALSE(fs::exists(p));
    // Destroyed without commit: no output, no temporary left behind.
  }
  EXPECT_FALSE(fs::exists(p));
  EXPECT_TRUE(fs::is_empty(dir.path));
  {
    WriterOptions o;
    o.atomic = true;
    auto w = CaptureWriter::create(p.string(), test_header(), o);
    ASSERT_TRUE(w.ok());
    ASSERT_FALSE(w.value()->write(frame_record(1, 0)));
    ASSERT_FALSE(w.value()->commit());
  }
  EXPECT_TRUE(fs::exists(p));
  auto r = CaptureReader::open(p.string());
  ASSERT_TRUE(r.ok());
  pb::Record rec;
  EXPECT_TRUE(r.value()->next(rec).value());
}

TEST(CaptureFile, StreamingWriterFlushesEachRecord) {
  // Another process (a reader of a live proxy capture) sees each record as
  // soon as write() returns.
  TempDir dir;
  auto p = dir.path / "live.wkcap";
  auto w = CaptureWriter::create(p.string(), test_header());
  ASSERT_TRUE(w.ok());
  for (int i = 0; i < 3; ++i) {
    ASSERT_FALSE(w.value()->write(frame_record(1, i)));
    auto r = CaptureReader::open(p.string());
    ASSERT_TRUE(r.ok());
    pb::Record rec;
    int n = 0;
    while (r.value()->next(rec).value()) ++n;
    EXPECT_EQ(n, i + 1);
    EXPECT_FALSE(r.value()->truncation());
  }
}

TEST(CaptureFile, MissingFileIsAClearError) {
  auto r = CaptureReader::open("/nonexistent/dir/x.wkcap");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("/nonexistent/dir/x.wkcap"), std::string::npos);
}

TEST(CaptureFile, NonUtf8IdentityRoundTrips) {
  // WKProto strings are bytes: a uid that is not UTF-8 must not make the
  // capture unreadable (proto3 `string` fields would refuse it on parse).
  TempDir dir;
  auto p = dir.path / "bin.wkcap";
  auto w = CaptureWriter::create(p.string(), test_header());
  ASSERT_TRUE(w.ok());
  pb::Record r;
  r.set_connection_id(1);
  std::string uid("\xff\xfe\x80user", 7);
  r.mutable_connection()->set_uid(uid);
  r.mutable_connection()->set_device_id(std::string("\xc3\x28", 2));
  ASSERT_FALSE(w.value()->write(r));
  ASSERT_FALSE(w.value()->commit());
  auto rd = CaptureReader::open(p.string());
  ASSERT_TRUE(rd.ok());
  pb::Record got;
  auto n = rd.value()->next(got);
  ASSERT_TRUE(n.ok()) << n.error().describe();
  ASSERT_TRUE(n.value());
  EXPECT_EQ(got.connection().uid(), uid);
}
