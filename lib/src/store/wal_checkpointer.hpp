#pragma once
// Copies the store's WAL back into the database file on a thread of its own,
// so a group commit never waits for a checkpoint. With SQLite's automatic
// checkpoint the commit that crosses the threshold copies up to 256 MiB and
// fsyncs the file itself: SENDACKs stalled for 400-500 ms every few seconds
// under load (docs/benchmarks.md "wkit serve: store size").
//
// After each commit the writer's WAL hook wakes the thread once the WAL holds
// `frames` frames; the thread runs a PASSIVE checkpoint on its own connection
// (it never blocks the writer), and the writer restarts the WAL at its next
// commit once everything is copied. Should the thread fall behind (WAL at
// 4 x `frames`), the writer checkpoints itself, as SQLite's automatic
// checkpoint would, so the WAL stays bounded.
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "wkit/util/error.hpp"

struct sqlite3;

namespace wkit::store {

class WalCheckpointer {
 public:
  // Turns off `writer`'s automatic checkpoint and installs its WAL hook.
  static Result<std::unique_ptr<WalCheckpointer>> start(sqlite3* writer, const std::string& path, bool durable,
                                                        int frames);
  ~WalCheckpointer();  // stops the thread; the writer checkpoints at close
  WalCheckpointer(const WalCheckpointer&) = delete;
  WalCheckpointer& operator=(const WalCheckpointer&) = delete;

 private:
  WalCheckpointer() = default;
  static int on_commit(void* self, sqlite3* db, const char* schema, int frames);
  void run();

  sqlite3* writer_ = nullptr;
  sqlite3* own_ = nullptr;
  int frames_ = 0;
  std::mutex mu_;
  std::condition_variable cv_;
  bool wanted_ = false, stopping_ = false;
  std::thread thread_;
};

}  // namespace wkit::store
