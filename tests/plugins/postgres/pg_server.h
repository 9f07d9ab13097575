// One real PostgreSQL 15 server per test binary (started by the first test
// that needs it, stopped by a gtest Environment): initdb (once, as a template
// copied per server) and pg_ctl run as the `postgres` user (when the tests run
// as root) into a temp folder, a unix socket in that folder and a free 127.0.0.1 port,
// scram-sha-256 on TCP (peer on the socket, for the superuser), a login role `mi2` with a password
// so a wrong password really fails. Each test makes its own database. When the server binaries are
// missing, tests skip with the reason (MI2_REQUIRE_POSTGRES).
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "tests/plugins/postgres/run_command.h"

namespace mi2::postgres::test {

class PgServer {
 public:
  static PgServer& get();

  void stop();
  // Starts the server on first use; false (with skip_reason()) when it cannot.
  bool running() {
    if (!started_) start();
    return running_;
  }
  const std::string& skip_reason() const { return skip_reason_; }
  // True when the server binaries (or the postgres user) are missing.
  bool missing() const { return missing_; }

  int port() const { return port_; }
  std::filesystem::path socket_dir() const { return dir_; }
  static constexpr const char* kRole = "mi2";
  const std::string& password() const { return password_; }
  // "host=127.0.0.1 port=P user=mi2 dbname=DB" (no password).
  std::string conninfo(const std::string& db) const;
  // A fresh database owned by mi2, named prefix_<n>; returns its name.
  std::string create_database(const std::string& prefix);
  // psql as mi2 on `db`: rows of the last statement, columns joined by '|'.
  std::vector<std::string> query(const std::string& db, const std::string& sql);
  // psql as mi2 on `db`, the raw result (for statements expected to fail).
  CommandResult psql(const std::string& db, const std::string& sql);
  // The "PGPASSWORD=..." entry for processes that should connect as mi2.
  std::string password_env() const { return "PGPASSWORD=" + password_; }

 private:
  void start();
  std::string template_dir();
  void own(const std::filesystem::path& path);
  CommandResult as_postgres(const std::vector<std::string>& argv);
  CommandResult superuser_sql(const std::string& sql);
  bool try_start(int port);

  bool started_ = false, running_ = false, missing_ = false;
  std::string skip_reason_;
  std::filesystem::path dir_, data_;
  int port_ = 0;
  std::string password_, superuser_;
  int databases_ = 0;
};

}  // namespace mi2::postgres::test

// Skips the test, visibly, when the server binaries are missing; fails it
// when they are there but the server could not be started.
#define MI2_REQUIRE_POSTGRES()                                                 \
  do {                                                                         \
    auto& mi2_pg = ::mi2::postgres::test::PgServer::get();                     \
    if (!mi2_pg.running() && mi2_pg.missing())                                 \
      GTEST_SKIP() << "PostgreSQL 15 not available: " << mi2_pg.skip_reason(); \
    if (!mi2_pg.running())                                                     \
      GTEST_FAIL() << "PostgreSQL 15 did not start: " << mi2_pg.skip_reason(); \
  } while (0)
