#pragma once
// Running the built `wkit` from e2e tests: one-shot commands (run_wkit) and a
// `wkit proxy` kept running on port 0 (ProxyProcess). Header-only, like the
// other support files.
#include <chrono>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "process.hpp"

namespace wkit::testing {

struct Done {
  int code = -1;  // -1: did not exit within the timeout
  std::string out, err;
};

// Runs `wkit ARGS...` to completion; stdout lines joined with "\n".
inline Done run_wkit(std::vector<std::string> args, std::chrono::seconds timeout = std::chrono::seconds(60)) {
  args.insert(args.begin(), WKIT_BINARY);
  Process p(args);
  Done d;
  d.code = p.wait_exit(timeout).value_or(-1);
  for (auto& l : p.stdout_lines()) d.out += l + "\n";
  d.err = p.stderr_text();
  return d;
}

// `wkit proxy --listen LISTEN --upstream UPSTREAM EXTRA...`, its listening
// URL read back from stdout; killed on scope exit, stop() for a clean SIGTERM.
class ProxyProcess {
 public:
  ProxyProcess(const std::string& listen, const std::string& upstream, std::vector<std::string> extra = {}) {
    std::vector<std::string> argv = {WKIT_BINARY, "proxy", "--listen", listen, "--upstream", upstream};
    argv.insert(argv.end(), extra.begin(), extra.end());
    proc_ = std::make_unique<Process>(argv);
    auto line = proc_->wait_stdout([](const std::string& l) { return l.rfind("listening ", 0) == 0; });
    if (!line) throw std::runtime_error("wkit proxy did not report listening: " + proc_->stderr_text());
    url_ = line->substr(10);
  }
  const std::string& url() const { return url_; }
  std::optional<int> stop() { return proc_->signal_and_wait(SIGTERM); }
  Process& process() { return *proc_; }

 private:
  std::unique_ptr<Process> proc_;
  std::string url_;
};

}  // namespace wkit::testing
