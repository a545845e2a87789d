#pragma once
// tcpdump on lo for one TCP port, writing a pcap; when tcpdump is missing or
// cannot capture here, running() is false and skip_reason() says why.
// stop() flushes the file. Header-only.
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "process.hpp"

namespace wkit::testing {

class Tcpdump {
 public:
  Tcpdump(const std::string& file, const std::string& port) {
    if (::access("/usr/bin/tcpdump", X_OK) != 0) {
      skip_reason_ = "tcpdump is not installed";
      return;
    }
    proc_ = std::make_unique<Process>(std::vector<std::string>{"/usr/bin/tcpdump", "-i", "lo", "--immediate-mode", "-U",
                                                               "-n", "-w", file, "tcp", "port", port});
    if (!proc_->wait_stderr([](const std::string& l) { return l.find("listening on") != std::string::npos; },
                            std::chrono::seconds(5))) {
      skip_reason_ = "tcpdump could not capture on lo: " + proc_->stderr_text();
      proc_.reset();
    }
  }
  bool running() const { return proc_ != nullptr; }
  const std::string& skip_reason() const { return skip_reason_; }
  void stop() {
    if (!proc_) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(300));  // the last packets reach the file
    proc_->signal_and_wait(SIGINT);
  }

 private:
  std::unique_ptr<Process> proc_;
  std::string skip_reason_;
};

}  // namespace wkit::testing
