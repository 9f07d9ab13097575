#include "plugins/postgres/settings.h"

#include <mi2/sdk/config.hpp>

#include <cstdlib>
#include <regex>
#include <stdexcept>

#include "plugins/postgres/conninfo.h"

namespace mi2::postgres {
namespace {

const char* kPasswordHint =
    " contains a password; remove it and put the password in the variable named by "
    "plugins.postgres.password_env (default PGPASSWORD), so it stays out of argv, the journal "
    "and git.";

// Parses a connection string from mi2.yaml (before or after placeholders),
// refusing a password. `what` names it in sentences.
Conninfo checked_conninfo(const std::string& text, const std::string& what) {
  Conninfo c;
  try {
    c = Conninfo::parse(text);
  } catch (const std::invalid_argument& e) {
    throw sdk::invalid_input(what + " is not a libpq connection string: " + e.what() + ".");
  }
  if (c.has("password")) throw sdk::invalid_input(what + kPasswordHint);
  return c;
}

void read_binaries(sdk::ConfigReader& cfg, Settings& s) {
  s.psql = cfg.string("psql_binary", "psql", "psql program (default psql on PATH)");
  s.pg_dump = cfg.string("pg_dump_binary", "pg_dump", "pg_dump program (default pg_dump on PATH)");
  s.pg_restore =
      cfg.string("pg_restore_binary", "pg_restore", "pg_restore program (default on PATH)");
  for (const auto& [key, value] : {std::pair<const char*, std::string&>{"psql_binary", s.psql},
                                   {"pg_dump_binary", s.pg_dump},
                                   {"pg_restore_binary", s.pg_restore}})
    if (value.empty()) throw cfg.bad(key, "a program name or path", value);
}

void read_databases(sdk::ConfigReader& cfg, Settings& s) {
  std::string connection = cfg.string(
      "connection", "",
      "libpq connection string or URI of the instance's database, placeholders allowed, e.g. "
      "dbname=app_{instance_id} host=/run/postgresql user=mi2 (never a password)");
  auto databases = cfg.string_map(
      "databases", "logical database name -> connection string (pgsql, codeintel-db, ...)");
  if (!connection.empty() && !databases.empty())
    throw sdk::invalid_input(
        "plugins.postgres in mi2.yaml sets both connection and databases; keep one.");
  if (connection.empty() && databases.empty())
    throw sdk::invalid_input(
        "plugins.postgres in mi2.yaml needs connection (e.g. \"dbname=app_{instance_id} "
        "host=127.0.0.1 user=mi2\") or databases (name -> connection).");
  s.single = databases.empty();
  if (s.single) databases["pgsql"] = connection;
  static const std::regex name("[a-z0-9][a-z0-9_-]{0,62}");
  for (const auto& [db, text] : databases) {
    if (!std::regex_match(db, name))
      throw sdk::invalid_input("plugins.postgres.databases." + db +
                               " in mi2.yaml: a database name is lower-case letters, digits, _ "
                               "and -, like pgsql or codeintel-db.");
    checked_conninfo(text, "plugins.postgres." +
                               (s.single ? std::string("connection") : "databases." + db) +
                               " in mi2.yaml");
  }
  s.databases = databases;
}

}  // namespace

Settings Settings::parse(const std::string& config_json) {
  sdk::ConfigReader cfg("postgres", config_json);
  Settings s;
  read_databases(cfg, s);
  s.password_env = cfg.string("password_env", "PGPASSWORD",
                              "environment variable holding the password (default PGPASSWORD)");
  static const std::regex env_name("[A-Za-z_][A-Za-z0-9_]*");
  if (!std::regex_match(s.password_env, env_name))
    throw cfg.bad("password_env", "an environment variable name", s.password_env);
  s.create_database = cfg.boolean("create_database", false,
                                  "create a missing database on migrate.up (default false)");
  s.maintenance_database =
      cfg.string("maintenance_database", "postgres",
                 "database to connect to for CREATE DATABASE (default postgres)");
  s.releases_dir = cfg.string("releases_dir", "releases",
                              "release catalog, relative to the fleet root (default releases)");
  read_binaries(cfg, s);
  s.lock_timeout_s = cfg.integer("lock_timeout_s", 300,
                                 "how long to wait for another mi2's migration lock (default 300)");
  s.connect_timeout_s =
      cfg.integer("connect_timeout_s", 10, "libpq connect_timeout, seconds (default 10)", 1);
  cfg.finish();
  return s;
}

Json Settings::schema() {
  sdk::ConfigReader cfg("postgres", R"({"connection": "x"})");
  Settings s;
  read_databases(cfg, s);
  cfg.string("password_env", "", "environment variable holding the password (default PGPASSWORD)",
             true);
  cfg.boolean("create_database", false, "create a missing database on migrate.up (default false)");
  cfg.string("maintenance_database", "", "database for CREATE DATABASE (default postgres)");
  cfg.string("releases_dir", "", "release catalog, relative to the fleet root (default releases)");
  read_binaries(cfg, s);
  cfg.integer("lock_timeout_s", 0, "seconds to wait for another mi2's migration lock (300)");
  cfg.integer("connect_timeout_s", 0, "libpq connect_timeout, seconds (default 10)");
  return cfg.schema();
}

PgContext PgContext::resolve(sdk::Host host, const Settings& settings, const sdk::StepInput& in) {
  PgContext ctx{host, settings, in};
  in.require(in.instance_id, "instance_id");
  ctx.dry_run = in.dry_run || host.dry_run();
  if (const char* value = std::getenv(settings.password_env.c_str())) ctx.password = value;
  host.redact(ctx.password);
  // libpq also reads an inherited PGPASSWORD when password_env names another variable.
  if (const char* inherited = std::getenv("PGPASSWORD")) host.redact(inherited);
  if (!in.state_dir.empty()) ctx.state = fs::path(in.plugin_state_dir("postgres"));
  for (const auto& [name, text] : settings.databases) {
    std::string what = "the connection of database " + name + " of instance " + in.instance_id;
    Conninfo c = checked_conninfo(sdk::expand(text, in), what);
    if (c.get("dbname").find('{') != std::string::npos)
      throw sdk::invalid_input(what +
                               " names an unknown placeholder in dbname; the known ones are "
                               "{instance_id} {slug} {environment} {version} ...");
    ctx.databases.push_back({name, c.str(), c.get("dbname")});
  }
  return ctx;
}

fs::path PgContext::releases_dir() const {
  fs::path dir(settings.releases_dir);
  if (dir.is_relative()) dir = fs::path(in.require(in.fleet_root, "fleet_root")) / dir;
  return dir;
}

std::string PgContext::where(const Database& db) const {
  return "database " + db.name + " of instance " + in.instance_id;
}

std::string PgContext::shown_id(const Database& db, const std::string& id) const {
  return settings.single ? id : db.name + ":" + id;
}

bool is_safe_name(const std::string& name) {
  static const std::regex safe("[A-Za-z0-9_][A-Za-z0-9._-]{0,127}");
  return std::regex_match(name, safe);
}

}  // namespace mi2::postgres
