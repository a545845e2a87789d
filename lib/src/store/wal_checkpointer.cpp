#include "wal_checkpointer.hpp"

#include <sqlite3.h>

#include "sqlite_util.hpp"

namespace wkit::store {

Result<std::unique_ptr<WalCheckpointer>> WalCheckpointer::start(sqlite3* writer, const std::string& path,
                                                                bool durable, int frames) {
  std::unique_ptr<WalCheckpointer> c(new WalCheckpointer());
  c->writer_ = writer;
  c->frames_ = frames;
  int rc = sqlite3_open_v2(path.c_str(), &c->own_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK)
    return sqlite::env_error("store '" + path + "': cannot open a connection for checkpoints: " +
                             (c->own_ ? sqlite3_errmsg(c->own_) : "out of memory"));
  sqlite3_busy_timeout(c->own_, 5000);
  // FULL: the database file is fsynced before the WAL may be reused.
  if (auto e = sqlite::exec(c->own_, durable ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL")) return *e;
  sqlite3_wal_autocheckpoint(writer, 0);
  sqlite3_wal_hook(writer, &WalCheckpointer::on_commit, c.get());
  c->thread_ = std::thread([p = c.get()] { p->run(); });
  return c;
}

WalCheckpointer::~WalCheckpointer() {
  if (writer_) sqlite3_wal_hook(writer_, nullptr, nullptr);
  {
    std::lock_guard lk(mu_);
    stopping_ = true;
  }
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
  if (own_) sqlite3_close(own_);
}

int WalCheckpointer::on_commit(void* self, sqlite3* db, const char* schema, int frames) {
  auto* c = static_cast<WalCheckpointer*>(self);
  if (frames < c->frames_) return SQLITE_OK;
  if (frames >= 4 * c->frames_) {
    // The thread fell behind: keep the WAL bounded the old way.
    sqlite3_wal_checkpoint_v2(db, schema, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    return SQLITE_OK;
  }
  {
    std::lock_guard lk(c->mu_);
    c->wanted_ = true;
  }
  c->cv_.notify_one();
  return SQLITE_OK;
}

void WalCheckpointer::run() {
  std::unique_lock lk(mu_);
  for (;;) {
    cv_.wait(lk, [&] { return wanted_ || stopping_; });
    if (stopping_) return;
    wanted_ = false;
    lk.unlock();
    // Errors (busy, I/O) leave the frames in the WAL: the next wake-up or
    // the writer's own checkpoint copies them.
    sqlite3_wal_checkpoint_v2(own_, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    lk.lock();
  }
}

}  // namespace wkit::store
