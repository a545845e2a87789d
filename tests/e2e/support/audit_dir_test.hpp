#pragma once
// The fixture of the `wkit audit` e2e tests: a fresh temporary directory per
// test, and the real binary run through sh (for redirects), bounded by
// timeout(1).
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace wkit::testing {

struct CliRun {
  int code = -1;
  std::string out, err;
};

class AuditDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string t = (std::filesystem::temp_directory_path() / "wkit-audit-e2e-XXXXXX").string();
    ASSERT_NE(::mkdtemp(t.data()), nullptr);
    dir_ = t;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string file(const std::string& n) const { return (dir_ / n).string(); }

  // Runs `wkit ARGS` (shell words) with stdin from `stdin_file` (else
  // /dev/null) and collects its exit code, stdout and stderr.
  CliRun wkit(const std::string& args, const std::string& stdin_file = "") const {
    const std::string out = file("stdout"), err = file("stderr");
    std::string cmd = std::string("timeout 120 '") + WKIT_BINARY + "' " + args + " >'" + out + "' 2>'" + err + "'";
    cmd += stdin_file.empty() ? " </dev/null" : " <'" + stdin_file + "'";
    const int st = std::system(cmd.c_str());
    return {WIFEXITED(st) ? WEXITSTATUS(st) : -1, slurp(out), slurp(err)};
  }
  static std::string slurp(const std::string& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

  std::filesystem::path dir_;
};

}  // namespace wkit::testing
