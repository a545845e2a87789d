// Output files: an existing one is refused unless forced, an input is never
// an output (however it is spelled), and nothing half written is left.
#include "wkit/util/output_file.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "../../support/temp_dir.hpp"

namespace fs = std::filesystem;
using namespace wkit;
using namespace wkit::util;
using wkit::testing::TempDir;

namespace {

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void spit(const fs::path& p, const std::string& s) { std::ofstream(p, std::ios::binary) << s; }

OutputPolicy policy(bool force, std::vector<std::string> inputs = {}, bool keep_if_not_renamed = false) {
  OutputPolicy p;
  p.force = force;
  p.inputs = std::move(inputs);
  p.keep_if_not_renamed = keep_if_not_renamed;
  return p;
}

size_t entries(const fs::path& dir) {
  size_t n = 0;
  for ([[maybe_unused]] auto& e : fs::directory_iterator(dir)) ++n;
  return n;
}

TEST(OutputFile, NewFileIsWrittenWithNothingElseLeft) {
  TempDir dir;
  auto out = dir.path / "h.json";
  ASSERT_FALSE(write_output_file(out.string(), "new", {}));
  EXPECT_EQ(slurp(out), "new");
  EXPECT_EQ(entries(dir.path), 1u);
  // The usual mode of a new file, not mkstemp's 0600.
  mode_t mask = ::umask(0);
  ::umask(mask);
  EXPECT_EQ(fs::status(out).permissions(), fs::perms(0666 & ~mask));
}

TEST(OutputFile, ExistingFileIsRefusedWithoutForce) {
  TempDir dir;
  auto out = dir.path / "h.json";
  spit(out, "old");
  auto err = write_output_file(out.string(), "new", {});
  ASSERT_TRUE(err);
  EXPECT_EQ(err->kind, ErrorKind::usage);
  EXPECT_EQ(err->message, out.string() + " exists (use --force to replace it)");
  EXPECT_EQ(slurp(out), "old");
  EXPECT_EQ(entries(dir.path), 1u);
}

TEST(OutputFile, ForceReplacesAnExistingFile) {
  TempDir dir;
  auto out = dir.path / "h.json";
  spit(out, "old");
  ASSERT_FALSE(write_output_file(out.string(), "new", policy(true)));
  EXPECT_EQ(slurp(out), "new");
  EXPECT_EQ(entries(dir.path), 1u);
}

TEST(OutputFile, AnInputIsNeverTheOutputEvenWithForce) {
  TempDir dir;
  auto in = dir.path / "in.pcap";
  spit(in, "input bytes");
  fs::create_directory(dir.path / "sub");
  fs::create_symlink(in, dir.path / "link.pcap");
  fs::create_directory_symlink(dir.path, dir.path / "sub" / "up");
  fs::create_hard_link(in, dir.path / "hard.pcap");
  const std::vector<fs::path> spellings = {
      in,
      dir.path / "." / "in.pcap",
      dir.path / "sub" / ".." / "in.pcap",
      dir.path / "link.pcap",        // a symlink to the input
      dir.path / "sub" / "up" / "in.pcap",  // through a symlinked directory
      dir.path / "hard.pcap",        // another name of the same inode
  };
  for (const auto& out : spellings) {
    for (bool force : {false, true}) {
      auto err = write_output_file(out.string(), "output", policy(force, {in.string()}));
      ASSERT_TRUE(err) << out;
      EXPECT_EQ(err->kind, ErrorKind::usage);
      EXPECT_EQ(err->message.find(out.string() + " is also an input (" + in.string() + ")"), 0u) << err->message;
    }
  }
  EXPECT_EQ(slurp(in), "input bytes");
  EXPECT_EQ(entries(dir.path), 4u);  // in, sub, link, hard: nothing added
}

TEST(OutputFile, RelativeDotSpellingOfTheInputIsRefused) {
  TempDir dir;
  auto cwd = fs::current_path();
  fs::current_path(dir.path);
  spit("in.pcap", "x");
  auto err = check_output("./in.pcap", policy(false, {"in.pcap"}));
  fs::current_path(cwd);
  ASSERT_TRUE(err);
  EXPECT_EQ(err->kind, ErrorKind::usage);
}

TEST(OutputFile, SameFileComparesPathsWhenNeitherExists) {
  TempDir dir;
  auto a = (dir.path / "x" / ".." / "out").string(), b = (dir.path / "out").string();
  EXPECT_TRUE(same_file(a, b));
  EXPECT_FALSE(same_file(b, (dir.path / "other").string()));
  spit(dir.path / "out", "");
  EXPECT_FALSE(same_file(b, (dir.path / "other").string()));  // one exists, one does not
}

TEST(OutputFile, ADirectoryIsRefused) {
  TempDir dir;
  auto err = check_output(dir.path.string(), policy(true));
  ASSERT_TRUE(err);
  EXPECT_EQ(err->kind, ErrorKind::usage);
  EXPECT_EQ(err->message, dir.path.string() + " is a directory");
}

TEST(OutputFile, WithoutCommitTheTemporaryFileIsRemoved) {
  TempDir dir;
  auto out = dir.path / "cap.wkcap";
  {
    auto f = OutputFile::create(out.string(), {});
    ASSERT_TRUE(f.ok()) << f.error().describe();
    EXPECT_EQ(f.value()->temp_path().rfind(out.string() + ".tmp-", 0), 0u);
    std::fputs("half", f.value()->stream());
    std::fflush(f.value()->stream());
    EXPECT_TRUE(fs::exists(f.value()->temp_path()));
    EXPECT_FALSE(fs::exists(out));
  }
  EXPECT_EQ(entries(dir.path), 0u);
}

TEST(OutputFile, AnOutputThatAppearedMeanwhileIsNotReplaced) {
  TempDir dir;
  auto out = dir.path / "cap.wkcap";
  auto f = OutputFile::create(out.string(), {});
  ASSERT_TRUE(f.ok());
  std::fputs("mine", f.value()->stream());
  spit(out, "someone else's");
  auto err = f.value()->commit(true);
  ASSERT_TRUE(err);
  EXPECT_EQ(err->kind, ErrorKind::usage);
  EXPECT_EQ(slurp(out), "someone else's");
  EXPECT_EQ(entries(dir.path), 1u);  // the temporary file is gone
}

TEST(OutputFile, ALongRecordingKeepsItsDataWhenTheRenameFails) {
  TempDir dir;
  auto out = dir.path / "cap.wkcap";
  auto f = OutputFile::create(out.string(), policy(false, {}, true));
  ASSERT_TRUE(f.ok());
  std::string temp = f.value()->temp_path();
  std::fputs("hours of frames", f.value()->stream());
  spit(out, "someone else's");
  auto err = f.value()->commit(true);
  ASSERT_TRUE(err);
  EXPECT_NE(err->message.find("the data is kept in " + temp), std::string::npos) << err->message;
  f.value().reset();
  EXPECT_EQ(slurp(temp), "hours of frames");
  EXPECT_EQ(slurp(out), "someone else's");
}

TEST(OutputFile, AMissingDirectoryIsAClearError) {
  auto err = write_output_file("/nonexistent-wkit-dir/h.json", "x", {});
  ASSERT_TRUE(err);
  EXPECT_NE(err->message.find("/nonexistent-wkit-dir/h.json"), std::string::npos) << err->message;
}

}  // namespace
