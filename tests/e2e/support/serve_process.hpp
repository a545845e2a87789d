#pragma once
// A real `wkit serve` on 127.0.0.1 port 0 (TCP and WebSocket), its chosen
// addresses read back from the `listening URL` lines, its own data directory
// and events file. Stopped (SIGKILL) on scope exit; stop() is the clean way.
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "../../support/temp_dir.hpp"
#include "process.hpp"

#ifndef WKIT_BINARY
#error "WKIT_BINARY must name the built wkit"
#endif

namespace wkit::testing {

class ServeProcess {
 public:
  // `data_dir` empty: a fresh directory inside `dir`.
  explicit ServeProcess(std::vector<std::string> extra = {}, std::string data_dir = "") {
    data_dir_ = data_dir.empty() ? (tmp_.path / "data").string() : data_dir;
    events_ = (tmp_.path / "events.jsonl").string();
    std::vector<std::string> argv = {WKIT_BINARY, "serve", "--listen", "tcp://127.0.0.1:0",
                                     "--listen", "ws://127.0.0.1:0", "--events", events_};
    bool has_store_flag = false;
    for (auto& e : extra) has_store_flag |= e == "--in-memory" || e == "--data";
    if (!has_store_flag) {
      argv.push_back("--data");
      argv.push_back(data_dir_);
    }
    argv.insert(argv.end(), extra.begin(), extra.end());
    proc_ = std::make_unique<Process>(argv);
    for (int i = 0; i < 2; ++i) {
      auto line = proc_->wait_stdout([&](const std::string& l) {
        if (l.rfind("listening ", 0) != 0) return false;
        std::string url = l.substr(10);
        return url != tcp_ && url != ws_;
      });
      if (!line) throw std::runtime_error("wkit serve did not report listening: " + proc_->stderr_text());
      std::string url = line->substr(10);
      (url.rfind("ws://", 0) == 0 ? ws_ : tcp_) = url;
    }
  }

  const std::string& tcp() const { return tcp_; }
  const std::string& ws() const { return ws_; }
  const std::string& data_dir() const { return data_dir_; }
  const std::string& events_path() const { return events_; }
  Process& process() { return *proc_; }

  // SIGTERM and wait: the exit code (nullopt if it hung).
  std::optional<int> stop() { return proc_->signal_and_wait(SIGTERM); }

  // The events written so far, parsed.
  std::vector<nlohmann::json> events() const {
    std::vector<nlohmann::json> out;
    std::ifstream in(events_);
    std::string line;
    while (std::getline(in, line))
      if (!line.empty()) out.push_back(nlohmann::json::parse(line));
    return out;
  }
  std::vector<nlohmann::json> events(const std::string& type) const {
    std::vector<nlohmann::json> out;
    for (auto& e : events())
      if (e["event"] == type) out.push_back(e);
    return out;
  }

 private:
  TempDir tmp_;
  std::string data_dir_, events_, tcp_, ws_;
  std::unique_ptr<Process> proc_;
};

}  // namespace wkit::testing
