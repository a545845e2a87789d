#pragma once
// SIGINT/SIGTERM for the commands that read their input in plain loops
// (`audit`, `decode`; the asio-based commands use asio::signal_set): the
// first signal stores its number in the flag their reading loops check and
// says so on stderr in one line; a second one ends the process at once with
// 128 + its number (130, 143). The handler is installed without SA_RESTART,
// so a read waiting on a pipe returns (EINTR) and sees the flag.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <string>

namespace wkit::cli {

namespace stop_detail {
inline std::atomic<int> signal_seen{0};
// The lines the handler writes, prepared before it can run: [SIGINT, SIGTERM].
inline char first_signal_line[2][200], again_signal_line[2][200];
inline size_t first_len[2], again_len[2];

inline void on_signal(int sig) {
  const int saved_errno = errno;
  const int i = sig == SIGTERM ? 1 : 0;
  int none = 0;
  if (!signal_seen.compare_exchange_strong(none, sig)) {
    (void)!::write(2, again_signal_line[i], again_len[i]);
    ::_exit(128 + sig);
  }
  (void)!::write(2, first_signal_line[i], first_len[i]);
  errno = saved_errno;
}

inline void prepare(char* buf, size_t& len, const std::string& text) {
  len = std::min(text.size(), size_t(199));
  std::memcpy(buf, text.data(), len);
}
}  // namespace stop_detail

// Installs the handlers for `wkit COMMAND`; `doing` is what the first signal
// makes it do ("stopping, reporting what was read"). Returns the flag: 0, or
// the number of the first signal.
inline const std::atomic<int>& catch_stop_signals(const std::string& command, const std::string& doing) {
  using namespace stop_detail;
  const char* names[2] = {"SIGINT", "SIGTERM"};
  for (int i = 0; i < 2; ++i) {
    prepare(first_signal_line[i], first_len[i], "wkit " + command + ": " + names[i] + ": " + doing + "\n");
    prepare(again_signal_line[i], again_len[i], "wkit " + command + ": " + names[i] + " again: ending now\n");
  }
  struct sigaction sa{};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);
  return signal_seen;
}

// "SIGINT", "SIGTERM" for a flag value.
inline std::string stop_signal_name(int sig) {
  return sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" : "signal " + std::to_string(sig);
}

}  // namespace wkit::cli
