// A wkit.db that is not a wkit store is refused before anything is written
// to it: the file keeps every byte, its mtime, and gets no -wal/-shm files.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "wkit/store/message_store.hpp"
#include "wkit/store/schema.hpp"
#include "../../support/temp_dir.hpp"

using namespace wkit;
using namespace wkit::store;
namespace fs = std::filesystem;
using wkit::testing::TempDir;

namespace {

std::string bytes_of(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void sql_file(const fs::path& p, const char* sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(p.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, sql, nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
  sqlite3_close(db);
}

// Opens the store in `dir` expecting a refusal; checks the file did not change.
Error expect_refused_untouched(const TempDir& t) {
  fs::path db = t.path / kDbFileName;
  std::string before = bytes_of(db);
  auto mtime = fs::last_write_time(db);
  Options o;
  o.dir = t.path.string();
  auto s = MessageStore::open(o);
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(bytes_of(db), before);
  EXPECT_EQ(fs::last_write_time(db), mtime);
  size_t files = std::distance(fs::directory_iterator(t.path), fs::directory_iterator());
  EXPECT_EQ(files, 1u) << "no -wal/-shm/-journal left behind";
  return s.ok() ? Error::input("opened") : s.error();
}

}  // namespace

TEST(StoreFileCheck, ForeignSqliteWithAMessageTableIsRefusedUntouched) {
  TempDir t;
  sql_file(t.path / kDbFileName,
           "CREATE TABLE message(id INTEGER PRIMARY KEY, body TEXT);"
           "CREATE TABLE users(name TEXT);"
           "INSERT INTO message(body) VALUES ('someone else''s data');");
  Error e = expect_refused_untouched(t);
  EXPECT_EQ(e.kind, ErrorKind::bad_input);
  EXPECT_NE(e.message.find("not a wkit store"), std::string::npos) << e.message;
  EXPECT_NE(e.message.find("message, users"), std::string::npos) << e.message;
}

TEST(StoreFileCheck, EmptyForeignMessageTableIsRefusedToo) {
  TempDir t;
  sql_file(t.path / kDbFileName, "CREATE TABLE message(id INTEGER PRIMARY KEY, body TEXT);");
  Error e = expect_refused_untouched(t);
  EXPECT_EQ(e.kind, ErrorKind::bad_input);
}

TEST(StoreFileCheck, NonSqliteFileIsRefusedUntouched) {
  TempDir t;
  std::ofstream(t.path / kDbFileName) << "PK\x03\x04 this is a zip, not a database" << std::string(5000, 'x');
  Error e = expect_refused_untouched(t);
  EXPECT_EQ(e.kind, ErrorKind::bad_input);
  EXPECT_NE(e.message.find("not an SQLite database"), std::string::npos) << e.message;
  EXPECT_NE(e.message.find("PK\\x03\\x04"), std::string::npos) << e.message;
}

TEST(StoreFileCheck, EmptyFileAndTablelessDatabaseBecomeStores) {
  for (bool sqlite_header : {false, true}) {
    TempDir t;
    if (sqlite_header) sql_file(t.path / kDbFileName, "PRAGMA user_version=1;");
    else std::ofstream(t.path / kDbFileName).flush();
    Options o;
    o.dir = t.path.string();
    auto s = MessageStore::open(o);
    ASSERT_TRUE(s.ok()) << s.error().message;
  }
}

TEST(StoreFileCheck, OwnEmptyTablesWithoutStampAreAdopted) {
  // What an interrupted first start of an older wkit could leave behind.
  TempDir t;
  sql_file(t.path / kDbFileName, (std::string(kSchemaSql) + kPendingSql).c_str());
  Options o;
  o.dir = t.path.string();
  auto s = MessageStore::open(o);
  ASSERT_TRUE(s.ok()) << s.error().message;
}

TEST(StoreFileCheck, WkitStoreReopens) {
  TempDir t;
  Options o;
  o.dir = t.path.string();
  ASSERT_TRUE(MessageStore::open(o).ok());
  auto again = MessageStore::open(o);
  ASSERT_TRUE(again.ok()) << again.error().message;
}
