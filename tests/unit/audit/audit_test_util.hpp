#pragma once
// Helpers shared by the audit unit tests: temp dirs and report comparison.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "../../tools/audit_store_gen.hpp"
#include "wkit/audit/audit.hpp"
#include "wkit/audit/report.hpp"

namespace wkit::audit::test {

class TempDir {
 public:
  TempDir() {
    std::string t = (std::filesystem::temp_directory_path() / "wkit-audit-test-XXXXXX").string();
    if (!::mkdtemp(t.data())) throw std::runtime_error("mkdtemp");
    path_ = t;
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string file(const std::string& name) const { return (std::filesystem::path(path_) / name).string(); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

inline void write_file(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

inline nlohmann::json audit_ok(AuditOptions o) {
  o.progress = false;
  auto r = run_audit(o);
  if (!r) ADD_FAILURE() << "audit failed: " << r.error().describe();
  return r ? r.value() : nlohmann::json::object();
}

inline nlohmann::json without_run(nlohmann::json r) {
  r.erase("run");
  return r;
}

inline uint64_t count(const nlohmann::json& r, const char* name) { return r["summary"][name].get<uint64_t>(); }

}  // namespace wkit::audit::test
