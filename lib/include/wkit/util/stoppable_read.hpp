#pragma once
// Reading input that may never end (a pipe, a FIFO, a terminal) in a command
// that must stop on SIGINT/SIGTERM: `wkit audit -` and `wkit decode` read
// through this, and their signal handler only sets `stop`.
#include <sys/types.h>

#include <atomic>
#include <cstddef>

namespace wkit::util {

// Whether a read of `fd` can wait indefinitely (anything but a regular file
// or a block device).
bool may_block(int fd);

// read(2) of up to `n` bytes that gives up when `*stop` (when given) becomes
// non-zero: it then returns 0, as at the end of the input. Reads interrupted
// by a signal (EINTR) are retried after checking `stop`. When `blocking`,
// the wait happens in poll(2) with a 100 ms timeout, so a stop is seen even
// when the signal was delivered to another thread (or just before the wait
// began). Returns -1 with errno on a read error.
ssize_t read_or_stop(int fd, char* buf, size_t n, const std::atomic<int>* stop, bool blocking);

}  // namespace wkit::util
