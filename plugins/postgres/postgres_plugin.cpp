#include "plugins/postgres/postgres_plugin.h"

#include "plugins/postgres/backups.h"
#include "plugins/postgres/migrations.h"
#include "plugins/postgres/pg_tools.h"

namespace mi2::postgres {

sdk::About PostgresPlugin::about() {
  return {"postgres",
          "1.0.0",
          "PostgreSQL provider: the release catalog's SQL migrations with migration_logs, an "
          "advisory lock and the dirty-database repair path; pg_dump checkpoints verified with "
          "pg_restore and restored in one transaction; the db-health check.",
          {"db-health"},
          Settings::schema()};
}

const std::vector<PostgresPlugin::Route>& PostgresPlugin::routes() {
  static const std::vector<Route> table = {
      {"migrate", "up", &PostgresPlugin::up},
      {"migrate", "status", &PostgresPlugin::status},
      {"backup", "create", &PostgresPlugin::create},
      {"backup", "list", &PostgresPlugin::list},
      {"backup", "restore", &PostgresPlugin::restore},
      {"healthcheck", "check", &PostgresPlugin::check},
      // Under each role, so it is asked whichever of them mi2.yaml binds.
      {"migrate", "preflight", &PostgresPlugin::preflight},
      {"backup", "preflight", &PostgresPlugin::preflight},
      {"healthcheck", "preflight", &PostgresPlugin::preflight},
  };
  return table;
}

PostgresPlugin::PostgresPlugin(sdk::Host host, const std::string& config_json)
    : host_(host), settings_(Settings::parse(config_json)) {}

PgContext PostgresPlugin::context(const sdk::StepInput& in) const {
  return PgContext::resolve(host_, settings_, in);
}

Json PostgresPlugin::up(const sdk::StepInput& in) {
  return migrate_up(context(in));
}
Json PostgresPlugin::status(const sdk::StepInput& in) {
  return migrate_status(context(in));
}
Json PostgresPlugin::create(const sdk::StepInput& in) {
  return backup_create(context(in));
}
Json PostgresPlugin::list(const sdk::StepInput& in) {
  return backup_list(context(in));
}
Json PostgresPlugin::restore(const sdk::StepInput& in) {
  return backup_restore(context(in));
}

Json PostgresPlugin::preflight(const sdk::StepInput& in) {
  return postgres::preflight(context(in));
}

Json PostgresPlugin::check(const sdk::StepInput& in) {
  for (const auto& name : in.params.value("checks", Json::array()))
    if (name != "db-health")
      throw sdk::invalid_input("the postgres plugin provides the check db-health, not " +
                               name.dump() + ".");
  Json health = db_health(context(in));
  return {{"ok", health["ok"]}, {"checks", Json::array({health})}};
}

namespace {

// One database's line of the check: "" when healthy, else what is wrong.
std::string database_problem(const PgContext& ctx, const Database& db, const std::string& version,
                             Json& detail) {
  DbState state;
  try {
    state = read_state(ctx, db);
  } catch (const sdk::Error& e) {
    return e.what();
  }
  detail["schema_version"] = state.schema_version;
  if (!state.exists) return "the " + ctx.where(db) + " (" + db.conninfo + ") does not exist";
  auto dirty = state.dirty();
  if (!dirty.empty())
    return "the " + ctx.where(db) + " is dirty at migration " +
           ctx.shown_id(db, dirty.front().version) + " (see `mi2 instance db status`)";
  if (state.schema_version != version)
    return "the schema of " + ctx.where(db) + " is at " +
           (state.schema_version.empty() ? std::string("no version") : state.schema_version) +
           ", not at the instance's version " + version + " (run the migrations)";
  return "";
}

}  // namespace

Json db_health(const PgContext& ctx) {
  std::string version = ctx.in.version();
  Json details = Json::array();
  std::string problems;
  for (const Database& db : ctx.databases) {
    Json detail = {{"database", db.name}, {"connection", db.conninfo}};
    std::string problem = database_problem(ctx, db, version, detail);
    detail["ok"] = problem.empty();
    detail["summary"] = problem.empty() ? db.name + " reachable, clean, at " + version : problem;
    if (!problem.empty()) problems += (problems.empty() ? "" : "; ") + problem;
    details.push_back(detail);
  }
  std::string summary = problems.empty()
                            ? std::to_string(ctx.databases.size()) +
                                  " database(s) reachable, not dirty, schema at " + version
                            : problems;
  if (!summary.empty() && summary.back() == '.') summary.pop_back();
  return {
      {"name", "db-health"}, {"ok", problems.empty()}, {"summary", summary}, {"details", details}};
}

}  // namespace mi2::postgres
