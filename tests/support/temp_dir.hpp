#pragma once
// A fresh directory under /tmp for one test, removed with everything in it
// when the test ends (also when it fails). Shared by unit and e2e tests.
#include <stdlib.h>

#include <filesystem>
#include <stdexcept>
#include <system_error>

namespace wkit::testing {

struct TempDir {
  std::filesystem::path path;
  TempDir() {
    char tmpl[] = "/tmp/wkit-test-XXXXXX";
    if (!mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
    path = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
};

}  // namespace wkit::testing
