#include "wkit/util/stoppable_read.hpp"

#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

namespace wkit::util {

bool may_block(int fd) {
  struct stat st{};
  if (::fstat(fd, &st) != 0) return true;
  return !S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode);
}

ssize_t read_or_stop(int fd, char* buf, size_t n, const std::atomic<int>* stop, bool blocking) {
  auto stopped = [stop] { return stop && stop->load(std::memory_order_relaxed) != 0; };
  for (;;) {
    if (stopped()) return 0;
    if (blocking && stop) {
      pollfd p{fd, POLLIN, 0};
      const int ready = ::poll(&p, 1, 100);
      if (ready == 0 || (ready < 0 && errno == EINTR)) continue;
      if (ready < 0) return -1;
    }
    const ssize_t got = ::read(fd, buf, n);
    if (got < 0 && errno == EINTR) continue;
    return got;
  }
}

}  // namespace wkit::util
