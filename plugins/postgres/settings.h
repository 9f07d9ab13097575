// The postgres plugin's configuration (mi2.yaml `plugins: postgres: {...}`)
// and what one invoke works on: the instance's databases with their
// connection strings expanded and checked, the password, the state folder.
#pragma once

#include <mi2/sdk/host.hpp>
#include <mi2/sdk/step.hpp>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace mi2::postgres {

using sdk::Json;
namespace fs = std::filesystem;

struct Settings {
  // Logical database name -> libpq connection string (placeholders allowed).
  // `connection: X` is `databases: {pgsql: X}`.
  std::map<std::string, std::string> databases;
  bool single = true;  // configured with `connection`: migration ids carry no database prefix
  std::string password_env = "PGPASSWORD";
  bool create_database = false;
  std::string maintenance_database = "postgres";
  std::string releases_dir = "releases";
  std::string psql = "psql", pg_dump = "pg_dump", pg_restore = "pg_restore";
  long long lock_timeout_s = 300;
  long long connect_timeout_s = 10;

  // Throws MI2_INVALID_INPUT with a sentence naming the key at fault.
  static Settings parse(const std::string& config_json);
  static Json schema();
};

struct Database {
  std::string name;      // logical: pgsql, codeintel-db, ...
  std::string conninfo;  // normalized keyword string, never a password
  std::string dbname;    // the server's name for it ("" : libpq's default)
};

// One invoke's view: the step input resolved against the settings.
struct PgContext {
  sdk::Host host;
  const Settings& settings;
  const sdk::StepInput& in;
  std::string password;  // "" when the variable is unset; registered with redact
  std::vector<Database> databases;
  fs::path state;  // state_dir/postgres
  bool dry_run = false;

  // Throws a sentence naming the instance when the input or a connection
  // string does not do.
  static PgContext resolve(sdk::Host host, const Settings& settings, const sdk::StepInput& in);

  fs::path releases_dir() const;
  // "database pgsql of instance src-1a2b3c"
  std::string where(const Database& db) const;
  // The id shown for a migration of `db` ("pgsql:4.1.0/001_x.sql" with several databases).
  std::string shown_id(const Database& db, const std::string& id) const;
};

// A name safe for a folder or file: letters, digits, . _ -, not starting with '.'.
bool is_safe_name(const std::string& name);

}  // namespace mi2::postgres
