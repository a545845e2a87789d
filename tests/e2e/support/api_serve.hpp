#pragma once
// A real `wkit serve` with a tcp:// and an http:// listener on 127.0.0.1
// port 0 (the HTTP API, docs/serve.md), their URLs read back from the
// listening lines. In memory, or a SQLite store in `data_dir`. Killed on
// scope exit; stop() is the clean SIGTERM.
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "process.hpp"

namespace wkit::testing {

class ApiServe {
 public:
  explicit ApiServe(std::vector<std::string> extra = {}, const std::string& data_dir = "") {
    std::vector<std::string> argv = {WKIT_BINARY, "serve", "--listen", "tcp://127.0.0.1:0",
                                     "--listen", "http://127.0.0.1:0"};
    if (data_dir.empty()) argv.push_back("--in-memory");
    else argv.insert(argv.end(), {"--data", data_dir});
    argv.insert(argv.end(), extra.begin(), extra.end());
    proc_ = std::make_unique<Process>(argv);
    for (int i = 0; i < 2; ++i) {
      auto line = proc_->wait_stdout([&](const std::string& l) {
        return l.rfind("listening ", 0) == 0 && l.substr(10) != tcp_ && l.substr(10) != http_;
      });
      if (!line) throw std::runtime_error("wkit serve did not report listening: " + proc_->stderr_text());
      const std::string url = line->substr(10);
      (url.rfind("http://", 0) == 0 ? http_ : tcp_) = url;
    }
  }
  const std::string& tcp() const { return tcp_; }
  const std::string& http() const { return http_; }
  Process& process() { return *proc_; }
  std::optional<int> stop() { return proc_->signal_and_wait(SIGTERM); }

 private:
  std::unique_ptr<Process> proc_;
  std::string tcp_, http_;
};

}  // namespace wkit::testing
