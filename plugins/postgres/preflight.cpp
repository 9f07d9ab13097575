// preflight: before the bump, read-only, what the roles mi2.yaml binds the
// plugin to will need: psql (every role), pg_dump and pg_restore (backup),
// the target version's migrations in the release catalog (migrate), and a
// connection to every database (`SELECT 1`, in a read-only session). A
// database that does not exist yet passes when migrate.up will create it.
#include <algorithm>

#include "plugins/postgres/migrations.h"
#include "plugins/postgres/pg_tools.h"
#include "plugins/postgres/postgres_plugin.h"

namespace mi2::postgres {
namespace {

bool bound_to(const PgContext& ctx, const char* role) {
  auto roles = ctx.in.params.find("roles");
  if (roles == ctx.in.params.end() || !roles->is_array()) return true;  // not said: every role
  return std::find(roles->begin(), roles->end(), role) != roles->end();
}

// `program --version`: the first line it prints ("psql (PostgreSQL) 15.8").
std::string tool_version(const PgContext& ctx, const std::string& program, const char* key) {
  std::string why;
  try {
    sdk::ExecResult r = run_tool(ctx, program, {"--version"}, false);
    if (r.ok()) return r.out.substr(0, r.out.find('\n'));
    std::string said = error_text(r.err);
    why = "exit " + std::to_string(r.exit_code) + (said.empty() ? "" : ": " + said);
  } catch (const sdk::Error& e) {
    if (e.status() != MI2_FAILED) throw;
    why = e.what();
  }
  if (!why.empty() && why.back() == '.') why.pop_back();
  throw sdk::failed("the postgres plugin cannot run " + program + " for instance " +
                    ctx.in.instance_id + " (" + why +
                    "); install the PostgreSQL client tools or set plugins.postgres." + key +
                    " in mi2.yaml.");
}

// The target's migrations of `db` are in the catalog (a version without SQL
// for this database is in it too: its folder is all a release needs).
void catalogued(const PgContext& ctx, const Database& db, const std::string& target) {
  try {
    database_catalog(ctx.releases_dir(), db.name).get(target);
  } catch (const sdk::Error& e) {
    std::string what = e.what();
    if (!what.empty() && what.back() == '.') what.pop_back();
    throw sdk::failed("the postgres plugin cannot migrate " + ctx.where(db) + " to " + target +
                      ": " + what + "; choose a version it has, or add " +
                      (ctx.releases_dir() / target / "migrations/postgres" / db.name).string() +
                      "/.");
  }
}

// SELECT 1 in a read-only transaction; "" when it answered, else the
// sentence. A missing database is fine when migrate.up creates it.
void reachable(const PgContext& ctx, const Database& db, bool will_create) {
  sdk::ExecResult r =
      run_psql(ctx, db.conninfo, {"-A", "-t", "-f", "-"},
               "SET default_transaction_read_only = on;\nSELECT 1;\n", false, false);
  if (r.ok()) return;
  std::string reason = connection_failure(r);
  bool missing = reason.find("database") != std::string::npos &&
                 reason.find("does not exist") != std::string::npos;
  if (missing && will_create) return;  // the server answered: the credentials work
  throw_if_unreachable(ctx, db, r);
  throw sdk::failed("the postgres plugin could not run SELECT 1 on " + ctx.where(db) + " (" +
                    db.conninfo + "): " + error_text(r.err) +
                    "; check the connection in mi2.yaml (plugins.postgres).");
}

}  // namespace

Json preflight(const PgContext& ctx) {
  Json out = {{"psql", tool_version(ctx, ctx.settings.psql, "psql_binary")}};
  if (bound_to(ctx, "backup")) {
    out["pg_dump"] = tool_version(ctx, ctx.settings.pg_dump, "pg_dump_binary");
    out["pg_restore"] = tool_version(ctx, ctx.settings.pg_restore, "pg_restore_binary");
  }
  bool migrate = bound_to(ctx, "migrate");
  const std::string& target = ctx.in.target_version;
  if (migrate && !target.empty())
    for (const Database& db : ctx.databases) catalogued(ctx, db, target);
  Json databases = Json::array();
  for (const Database& db : ctx.databases) {
    reachable(ctx, db, migrate && ctx.settings.create_database);
    databases.push_back(db.name);
  }
  out["databases"] = databases;
  return out;
}

}  // namespace mi2::postgres
