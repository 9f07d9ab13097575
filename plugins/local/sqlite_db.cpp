#include "sqlite_db.h"

#include <mi2/sdk/host.hpp>

namespace mi2::local {

SqliteDb::SqliteDb(const std::filesystem::path& path, bool create) : path_(path) {
  int flags = SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0);
  if (sqlite3_open_v2(path.c_str(), &db_, flags, nullptr) != SQLITE_OK) {
    std::string why = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    db_ = nullptr;
    throw sdk::failed("cannot open the database " + path.string() + ": " + why);
  }
  sqlite3_busy_timeout(db_, 5000);
}

SqliteDb::~SqliteDb() {
  sqlite3_close(db_);
}

std::string SqliteDb::exec(const std::string& sql) {
  char* error = nullptr;
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error) == SQLITE_OK) return "";
  std::string message = error ? error : sqlite3_errmsg(db_);
  sqlite3_free(error);
  return message.empty() ? "unknown SQLite error" : message;
}

void SqliteDb::exec_or_throw(const std::string& sql) {
  std::string error = exec(sql);
  if (!error.empty()) throw sdk::failed("database " + path_.string() + ": " + error);
}

namespace {

sqlite3_stmt* prepare(sqlite3* db, const std::filesystem::path& path, const std::string& sql,
                      const std::vector<std::string>& params) {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK)
    throw sdk::failed("database " + path.string() + ": " + sqlite3_errmsg(db));
  for (size_t i = 0; i < params.size(); ++i)
    sqlite3_bind_text(stmt, static_cast<int>(i + 1), params[i].c_str(), -1, SQLITE_TRANSIENT);
  return stmt;
}

}  // namespace

void SqliteDb::run(const std::string& sql, const std::vector<std::string>& params) {
  sqlite3_stmt* stmt = prepare(db_, path_, sql, params);
  int rc = sqlite3_step(stmt);
  sqlite3_finalize(stmt);
  if (rc != SQLITE_DONE && rc != SQLITE_ROW)
    throw sdk::failed("database " + path_.string() + ": " + sqlite3_errmsg(db_));
}

std::vector<SqliteDb::Row> SqliteDb::query(const std::string& sql,
                                           const std::vector<std::string>& params) {
  sqlite3_stmt* stmt = prepare(db_, path_, sql, params);
  std::vector<Row> rows;
  int rc;
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    Row row;
    for (int c = 0; c < sqlite3_column_count(stmt); ++c) {
      const unsigned char* text = sqlite3_column_text(stmt, c);
      row.emplace_back(text ? reinterpret_cast<const char*>(text) : "");
    }
    rows.push_back(std::move(row));
  }
  sqlite3_finalize(stmt);
  if (rc != SQLITE_DONE)
    throw sdk::failed("database " + path_.string() + ": " + sqlite3_errmsg(db_));
  return rows;
}

long long SqliteDb::last_insert_id() const {
  return sqlite3_last_insert_rowid(db_);
}

void SqliteDb::backup_to(SqliteDb& to) {
  sqlite3_backup* backup = sqlite3_backup_init(to.db_, "main", db_, "main");
  if (!backup)
    throw sdk::failed("cannot copy " + path_.string() + " to " + to.path_.string() + ": " +
                      sqlite3_errmsg(to.db_));
  int rc;
  do {
    rc = sqlite3_backup_step(backup, 256);
    if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) sqlite3_sleep(50);
  } while (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED);
  sqlite3_backup_finish(backup);
  if (rc != SQLITE_DONE)
    throw sdk::failed("cannot copy " + path_.string() + " to " + to.path_.string() + ": " +
                      sqlite3_errstr(rc));
}

}  // namespace mi2::local
