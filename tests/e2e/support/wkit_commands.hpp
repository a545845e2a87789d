#pragma once
// Running the built `wkit` from e2e tests: one-shot commands (run_wkit), a
// `wkit proxy` kept running on port 0 (ProxyProcess), and reading what wkit
// prints (jsonl, send_frames). Header-only, like the other support files.
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <sstream>
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

// Runs `wkit ARGS...` to completion, with `stdin_text` as its standard input
// when given; stdout lines joined with "\n".
inline Done run_wkit(std::vector<std::string> args, std::chrono::seconds timeout = std::chrono::seconds(60),
                     const std::optional<std::string>& stdin_text = std::nullopt) {
  args.insert(args.begin(), WKIT_BINARY);
  std::string stdin_path;
  if (stdin_text) {
    char tmpl[] = "/tmp/wkit-e2e-stdin-XXXXXX";
    int fd = ::mkstemp(tmpl);
    if (fd < 0) throw std::runtime_error("mkstemp failed");
    ::close(fd);
    stdin_path = tmpl;
    std::ofstream(stdin_path, std::ios::binary) << *stdin_text;
  }
  Done d;
  {
    Process p(args, stdin_path);
    d.code = p.wait_exit(timeout).value_or(-1);
    for (auto& l : p.stdout_lines()) d.out += l + "\n";
    d.err = p.stderr_text();
  }
  if (!stdin_path.empty()) ::unlink(stdin_path.c_str());
  return d;
}

// A finished `wkit` run with its stdout kept as lines, for commands that print
// JSON records (`-o json`, `-o jsonl`): last() is the summary, records(type)
// the lines whose "type" is `type`.
struct LineRun {
  int code = -1;  // -1: did not exit within the limit
  std::vector<std::string> out;
  std::string err;
  nlohmann::json last() const { return out.empty() ? nlohmann::json() : nlohmann::json::parse(out.back()); }
  std::vector<nlohmann::json> records(const std::string& type) const {
    std::vector<nlohmann::json> r;
    for (auto& l : out) {
      auto j = nlohmann::json::parse(l, nullptr, false);
      if (j.is_object() && j.value("type", "") == type) r.push_back(j);
    }
    return r;
  }
};

inline LineRun run_wkit_lines(std::vector<std::string> args, std::chrono::seconds limit = std::chrono::seconds(120)) {
  args.insert(args.begin(), WKIT_BINARY);
  Process p(args);
  LineRun r;
  auto code = p.wait_exit(limit);
  if (!code) p.kill_now();
  r.code = code.value_or(-1);
  r.out = p.stdout_lines();
  r.err = p.stderr_text();
  return r;
}

// `wkit recv -s URL EXTRA...` kept running, returned once it says it is
// receiving (so a sender started next cannot race it).
inline std::unique_ptr<Process> start_recv(const std::string& url, std::vector<std::string> extra) {
  std::vector<std::string> argv = {WKIT_BINARY, "recv", "-s", url};
  argv.insert(argv.end(), extra.begin(), extra.end());
  auto p = std::make_unique<Process>(argv);
  auto ready = p->wait_stderr([](const std::string& l) { return l.find("receiving as") != std::string::npos; },
                              std::chrono::seconds(20));
  if (!ready) throw std::runtime_error("recv did not connect: " + p->stderr_text());
  return p;
}

// The stdout lines of a (finished) process whose "type" is `type`.
inline std::vector<nlohmann::json> lines_of_type(Process& p, const std::string& type) {
  std::vector<nlohmann::json> out;
  for (auto& l : p.stdout_lines()) {
    auto j = nlohmann::json::parse(l, nullptr, false);
    if (j.is_object() && j.value("type", "") == type) out.push_back(j);
  }
  return out;
}

// One JSON value per non-empty line (`-o jsonl` output, event logs).
inline std::vector<nlohmann::json> jsonl(const std::string& text) {
  std::vector<nlohmann::json> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);)
    if (!l.empty()) out.push_back(nlohmann::json::parse(l));
  return out;
}

// SEND/SENDACK identities from `wkit decode -o jsonl`: "SEND client_seq
// client_msg_no" and "SENDACK client_seq message_id", to compare two views
// of the same traffic.
inline std::multiset<std::string> send_frames(const std::string& decoded) {
  std::multiset<std::string> out;
  for (auto& j : jsonl(decoded)) {
    std::string t = j["frame_type"];
    if (t == "SEND")
      out.insert("SEND " + std::to_string(j["client_seq"].get<int>()) + " " + j["client_msg_no"].get<std::string>());
    if (t == "SENDACK")
      out.insert("SENDACK " + std::to_string(j["client_seq"].get<int>()) + " " + j["message_idstr"].get<std::string>());
  }
  return out;
}

// "tcp://127.0.0.1:5100" or "ws://h:5200/path" -> "5100" / "5200".
inline std::string port_of(const std::string& url) {
  auto colon = url.rfind(':');
  auto slash = url.find('/', colon);
  return url.substr(colon + 1, slash == std::string::npos ? std::string::npos : slash - colon - 1);
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

// How many lines `text` holds ('\n' count).
inline size_t count_lines(const std::string& text) {
  size_t n = 0;
  for (char c : text) n += c == '\n';
  return n;
}

}  // namespace wkit::testing
