// A small RAII view of one SQLite connection, enough for migrations and
// backups. Errors throw sdk::Error naming the database file.
#pragma once

#include <sqlite3.h>

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace mi2::local {

class SqliteDb {
 public:
  // Opens (and with create, creates) `path`, waiting up to 5 s on a lock.
  SqliteDb(const std::filesystem::path& path, bool create);
  ~SqliteDb();
  SqliteDb(const SqliteDb&) = delete;
  SqliteDb& operator=(const SqliteDb&) = delete;

  // Runs SQL text (one or more statements); returns "" or SQLite's message.
  std::string exec(const std::string& sql);
  void exec_or_throw(const std::string& sql);
  // One statement with text parameters (NULL for std::nullopt is not needed here).
  void run(const std::string& sql, const std::vector<std::string>& params);
  // Rows of a query, every column as text ("" for NULL; `nulls` marks them).
  using Row = std::vector<std::string>;
  std::vector<Row> query(const std::string& sql, const std::vector<std::string>& params = {});
  long long last_insert_id() const;
  // Copies the whole database into `to` with the online backup API.
  void backup_to(SqliteDb& to);

  sqlite3* handle() const { return db_; }
  const std::filesystem::path& path() const { return path_; }

 private:
  sqlite3* db_ = nullptr;
  std::filesystem::path path_;
};

}  // namespace mi2::local
