#include "plugins/postgres/migrations.h"

#include <fstream>
#include <regex>
#include <sstream>

#include "plugins/postgres/conninfo.h"
#include "plugins/postgres/pg_tools.h"

namespace mi2::postgres {
namespace {

constexpr const char* kTables = R"(CREATE TABLE IF NOT EXISTS migration_logs (
  id bigserial PRIMARY KEY,
  version text NOT NULL,
  up boolean NOT NULL DEFAULT true,
  started_at timestamptz NOT NULL,
  finished_at timestamptz,
  success boolean,
  error_message text
);
CREATE TABLE IF NOT EXISTS versions (
  service text PRIMARY KEY,
  version text NOT NULL,
  first_version text NOT NULL,
  updated_at timestamptz NOT NULL
);
)";

constexpr const char* kLatest =
    "WITH latest AS (SELECT DISTINCT ON (version) id, version, success, error_message "
    "FROM migration_logs WHERE up ORDER BY version, id DESC) ";

// Read-only: the latest log row per migration and the schema version, as two JSON lines.
std::string status_script() {
  return std::string(
             "SELECT to_regclass('migration_logs') IS NOT NULL AS has_logs, "
             "to_regclass('versions') IS NOT NULL AS has_versions \\gset mi2_\n"
             "\\if :mi2_has_logs\n") +
         kLatest +
         "SELECT COALESCE(json_agg(json_build_object('version', version, 'success', success, "
         "'error', error_message) ORDER BY id), '[]') FROM latest;\n"
         "\\else\nSELECT '[]';\n\\endif\n"
         "\\if :mi2_has_versions\n"
         "SELECT COALESCE((SELECT json_build_object('version', version) FROM versions "
         "WHERE service = 'frontend'), '{}');\n"
         "\\else\nSELECT '{}';\n\\endif\n";
}

// Takes the lock (waiting at most lock_timeout), then the tables exist.
std::string locked_prelude(const PgContext& ctx) {
  return "SET client_min_messages = warning;\nSET LOCAL lock_timeout = '" +
         std::to_string(ctx.settings.lock_timeout_s * 1000) + "ms';\n" + kLockSql +
         " \\gset mi2_lock_\nSET LOCAL lock_timeout TO DEFAULT;\n" + kTables;
}

// One migration in one transaction: lock, re-read the logs, then apply and
// log it, or say why not (another mi2 applied it; the database is dirty).
std::string migration_script(const PgContext& ctx) {
  return locked_prelude(ctx) + kLatest +
         "SELECT EXISTS (SELECT 1 FROM latest WHERE version = :'mi2_version' AND success) AS done,"
         " EXISTS (SELECT 1 FROM latest WHERE success IS NOT TRUE AND version <> :'mi2_repair') "
         "AS dirty \\gset mi2_\n"
         "\\if :mi2_done\n\\echo mi2:already-applied\n"
         "\\elif :mi2_dirty\n\\echo mi2:dirty\n"
         "\\else\n\\i :mi2_file\n"
         "INSERT INTO migration_logs (version, up, started_at, finished_at, success) "
         "VALUES (:'mi2_version', true, now(), clock_timestamp(), true);\n"
         "\\echo mi2:applied\n\\endif\n";
}

std::string failure_script(const PgContext& ctx, const std::string& id, const std::string& started,
                           const std::string& error) {
  return locked_prelude(ctx) +
         "INSERT INTO migration_logs (version, up, started_at, finished_at, success, "
         "error_message) VALUES (" +
         sql_literal(id) + ", true, " + sql_literal(started) + "::timestamptz, now(), false, " +
         sql_literal(error) + ");\n";
}

std::string version_script(const PgContext& ctx, const std::string& target) {
  return locked_prelude(ctx) +
         "INSERT INTO versions (service, version, first_version, updated_at) VALUES "
         "('frontend', " +
         sql_literal(target) + ", " + sql_literal(target) +
         ", now()) ON CONFLICT (service) DO UPDATE SET version = EXCLUDED.version, "
         "updated_at = EXCLUDED.updated_at;\n";
}

std::string target_version(const PgContext& ctx) {
  std::string target = ctx.in.param("target_version", ctx.in.target_version);
  if (target.empty())
    throw sdk::invalid_input("instance " + ctx.in.instance_id +
                             " has no spec.sourcegraphVersion and no target version was given.");
  if (!is_version(target))
    throw sdk::invalid_input("the target version '" + target + "' of instance " +
                             ctx.in.instance_id + " is not a version like 4.2.0 or 4.2.0-rc.1.");
  return target;
}

// A migration file must leave transaction control to psql --single-transaction.
void refuse_transaction_control(const PgContext& ctx, const Database& db, const Migration& m) {
  static const std::regex control(R"((^|\n)\s*(BEGIN|COMMIT|ROLLBACK|START\s+TRANSACTION)\s*;)",
                                  std::regex::icase);
  std::ifstream in(m.file);
  std::string text((std::istreambuf_iterator<char>(in)), {});
  if (!in.good() && !in.eof())
    throw sdk::failed("cannot read the migration " + m.file.string() + " of " + ctx.where(db) +
                      ".");
  if (std::regex_search(text, control))
    throw sdk::failed("the migration " + m.file.string() +
                      " controls its own transaction (BEGIN/COMMIT); remove those lines, mi2 "
                      "runs each migration in one transaction.");
}

struct Catalog {
  ReleaseCatalog releases;
  std::string target;
};

std::string repair_sentence(const PgContext& ctx, const Database& db, const Catalog& catalog,
                            const std::string& id) {
  const Migration* m = catalog.releases.find_migration(id);
  std::string file = m ? m->file.string() : catalog.releases.dir().string() + "/" + id;
  std::string resume = ctx.in.run_id.empty()
                           ? std::string(
                                 ", then resume the failed upgrade with `mi2 instance "
                                 "upgrade --resume RUN_ID` (see `mi2 run list`)")
                           : ", then `mi2 instance upgrade --resume " + ctx.in.run_id + "`";
  return "read " + file + ", fix the data by hand (psql -d \"" + db.conninfo +
         "\"), then run `mi2 instance db repair` to re-apply only " + ctx.shown_id(db, id) + resume;
}

struct UpResult {
  Json applied = Json::array();
  Json would_apply = Json::array();
  Json repaired = Json::array();
  Json by_another = Json::array();  // found applied under the lock: another mi2 did it
};

[[noreturn]] void fail_dirty(const PgContext& ctx, const Database& db, const Catalog& catalog,
                             const UpResult& done, const std::string& id, const std::string& error,
                             const std::string& lead) {
  std::string repair = repair_sentence(ctx, db, catalog, id);
  throw sdk::Failure(lead + "; " + repair, {{"dirty", true},
                                            {"database", db.name},
                                            {"failed_version", ctx.shown_id(db, id)},
                                            {"error", error},
                                            {"applied", done.applied},
                                            {"repair", repair}});
}

void create_database(const PgContext& ctx, const Database& db) {
  if (db.dbname.empty())
    throw sdk::failed("the connection of " + ctx.where(db) +
                      " names no dbname, so mi2 cannot create it; add dbname=... to it.");
  Conninfo maintenance = Conninfo::parse(db.conninfo);
  maintenance.set("dbname", ctx.settings.maintenance_database);
  ctx.host.info("creating the database " + db.dbname + " for " + ctx.where(db));
  auto r = run_psql(ctx, maintenance.str(), {"-v", "mi2_db=" + db.dbname, "-f", "-"},
                    "CREATE DATABASE :\"mi2_db\";\n", false, true);
  throw_if_unreachable(ctx, db, r);
  if (!r.ok() && r.err.find("already exists") != std::string::npos) return;  // another mi2 did
  if (!r.ok())
    throw sdk::failed("cannot create the database " + db.dbname + " for " + ctx.where(db) + ": " +
                      error_text(r.err) + ".");
}

// What one migration's psql run ended in.
enum class Outcome { kApplied, kAlreadyApplied, kDirty, kSkippedDryRun };

Outcome apply_one(const PgContext& ctx, const Database& db, const Catalog& catalog,
                  const UpResult& done, const Migration& m, const std::string& repair) {
  refuse_transaction_control(ctx, db, m);
  std::string started = now_utc();
  ctx.host.info((ctx.dry_run ? "would apply migration " : "applying migration ") +
                ctx.shown_id(db, m.id) + " to " + ctx.where(db));
  auto r = run_psql(ctx, db.conninfo,
                    {"-v", "mi2_version=" + m.id, "-v", "mi2_file=" + m.file.string(), "-v",
                     "mi2_repair=" + repair, "-f", "-"},
                    migration_script(ctx), true, true);
  if (r.skipped_dry_run) return Outcome::kSkippedDryRun;
  if (r.ok()) {
    if (r.out.find("mi2:applied") != std::string::npos) return Outcome::kApplied;
    if (r.out.find("mi2:already-applied") != std::string::npos) return Outcome::kAlreadyApplied;
    if (r.out.find("mi2:dirty") != std::string::npos) return Outcome::kDirty;
    throw sdk::failed("psql said neither applied nor skipped for migration " + m.id + " of " +
                      ctx.where(db) + "; see the journal.");
  }
  throw_if_unreachable(ctx, db, r);
  std::string error = error_text(r.err);
  if (error.find("lock timeout") != std::string::npos)
    throw sdk::retryable(
        "another mi2 has been migrating " + ctx.where(db) + " for more than " +
        std::to_string(ctx.settings.lock_timeout_s) +
        " s (advisory lock held); nothing was applied, try again once it is done.");
  // Only an error inside the migration file makes the database dirty.
  bool in_file = r.err.find("psql:" + m.file.string() + ":") != std::string::npos;
  if (r.exit_code != 3 || !in_file)
    throw sdk::failed("migration " + m.id + " of " + ctx.where(db) + " was not applied: " + error +
                      " (the transaction was rolled back).");
  auto logged = run_psql(ctx, db.conninfo, {"-f", "-"}, failure_script(ctx, m.id, started, error),
                         true, true);
  std::string unlogged =
      logged.ok() ? "" : " (and recording the failure failed: " + error_text(logged.err) + ")";
  fail_dirty(ctx, db, catalog, done, m.id, error,
             "migration " + ctx.shown_id(db, m.id) + " of " + ctx.where(db) + " failed (" + error +
                 ") and the database is now dirty" + unlogged + "; the old workload keeps serving");
}

// A dirty database: refuse, or (ignore_single_dirty_log, one dirty migration)
// re-apply only that one.
void repair_or_refuse(const PgContext& ctx, const Database& db, const Catalog& catalog,
                      const DbState& state, bool ignore_dirty, UpResult& done) {
  auto dirty = state.dirty();
  const LogRow& first = dirty.front();
  std::string what = first.state == "failed" ? " failed (" + first.error + ")" : " never finished";
  std::string more = dirty.size() > 1 ? " and " + std::to_string(dirty.size() - 1) +
                                            " more migration(s) are dirty too"
                                      : "";
  if (!ignore_dirty || dirty.size() > 1)
    fail_dirty(ctx, db, catalog, done, first.version, first.error,
               "the " + ctx.where(db) + " is dirty: migration " + ctx.shown_id(db, first.version) +
                   what + more);
  const Migration* m = catalog.releases.find_migration(first.version);
  if (!m)
    throw sdk::failed("the dirty migration " + first.version + " of " + ctx.where(db) +
                      " is not in the release catalog " + ctx.releases_dir().string() + ".");
  Outcome o = apply_one(ctx, db, catalog, done, *m, m->id);
  if (o == Outcome::kDirty)
    fail_dirty(ctx, db, catalog, done, m->id, first.error,
               "the " + ctx.where(db) + " has another dirty migration besides " + m->id);
  std::string id = ctx.shown_id(db, m->id);
  if (o == Outcome::kSkippedDryRun) {
    done.would_apply.push_back(id);
    return;
  }
  if (o == Outcome::kApplied) done.applied.push_back(id);
  if (o == Outcome::kAlreadyApplied) done.by_another.push_back(id);
  done.repaired.push_back(id);
}

// Every pending migration up to the target, then the schema version.
void apply_pending(const PgContext& ctx, const Database& db, const Catalog& catalog,
                   const DbState& state, UpResult& done) {
  for (const Migration& m : catalog.releases.migrations_up_to(catalog.target)) {
    if (state.succeeded(m.id)) continue;
    if (ctx.host.cancelled())
      throw sdk::Error(MI2_CANCELLED, "migrations of " + ctx.where(db) + " were cancelled before " +
                                          m.id + "; nothing half-applied is left.");
    Outcome o = apply_one(ctx, db, catalog, done, m, "");
    if (o == Outcome::kDirty) {
      auto d = read_state(ctx, db).dirty();
      std::string id = d.empty() ? m.id : d.front().version;
      fail_dirty(ctx, db, catalog, done, id, d.empty() ? "" : d.front().error,
                 "another mi2 left the " + ctx.where(db) + " dirty at " + ctx.shown_id(db, id) +
                     " while this one waited for the migration lock");
    }
    if (o == Outcome::kApplied) done.applied.push_back(ctx.shown_id(db, m.id));
    if (o == Outcome::kAlreadyApplied) done.by_another.push_back(ctx.shown_id(db, m.id));
    if (o == Outcome::kSkippedDryRun) done.would_apply.push_back(ctx.shown_id(db, m.id));
  }
  auto r = run_psql(ctx, db.conninfo, {"-f", "-"}, version_script(ctx, catalog.target), true, true);
  throw_if_unreachable(ctx, db, r);
  if (!r.ok())
    throw sdk::failed("the migrations of " + ctx.where(db) +
                      " are applied but recording the schema version " + catalog.target +
                      " failed: " + error_text(r.err) + ".");
}

void migrate_database(const PgContext& ctx, const Database& db, const std::string& target,
                      bool ignore_dirty, UpResult& done) {
  Catalog catalog{database_catalog(ctx.releases_dir(), db.name), target};
  catalog.releases.get(target);
  DbState state = read_state(ctx, db);
  if (!state.exists) {
    if (!ctx.settings.create_database)
      throw sdk::failed("the " + ctx.where(db) + " (" + db.conninfo +
                        ") does not exist; create it, or set plugins.postgres.create_database: "
                        "true in mi2.yaml.");
    create_database(ctx, db);
  }
  // A repair re-applies only the dirty migration; the resumed upgrade applies the rest.
  if (!state.dirty().empty()) return repair_or_refuse(ctx, db, catalog, state, ignore_dirty, done);
  apply_pending(ctx, db, catalog, state, done);
}

}  // namespace

ReleaseCatalog database_catalog(const std::filesystem::path& releases_dir,
                                const std::string& database) {
  return ReleaseCatalog::load(
      releases_dir,
      {"postgres", std::filesystem::path("migrations") / "postgres" / database, false});
}

bool DbState::succeeded(const std::string& id) const {
  for (const auto& row : logs)
    if (row.version == id) return row.state == "succeeded";
  return false;
}

std::vector<LogRow> DbState::dirty() const {
  std::vector<LogRow> out;
  for (const auto& row : logs)
    if (row.state != "succeeded") out.push_back(row);
  return out;
}

DbState read_state(const PgContext& ctx, const Database& db) {
  DbState state;
  auto r = run_psql(ctx, db.conninfo, {"-A", "-t", "-f", "-"}, status_script(), false, false);
  if (!r.ok()) {
    std::string reason = connection_failure(r);
    if (reason.find("database") != std::string::npos &&
        reason.find("does not exist") != std::string::npos) {
      state.exists = false;
      return state;
    }
    throw_if_unreachable(ctx, db, r);
    throw sdk::failed("cannot read the migration state of " + ctx.where(db) + ": " +
                      error_text(r.err) + ".");
  }
  std::istringstream lines(r.out);
  std::string logs_line, version_line;
  std::getline(lines, logs_line);
  std::getline(lines, version_line);
  Json logs = Json::parse(logs_line, nullptr, false);
  Json version = Json::parse(version_line, nullptr, false);
  if (!logs.is_array() || !version.is_object())
    throw sdk::failed("psql answered the migration state query of " + ctx.where(db) +
                      " with something that is not JSON; see the journal.");
  for (const Json& row : logs) {
    LogRow log{row.value("version", ""), "unfinished",
               row["error"].is_string() ? row["error"].get<std::string>() : ""};
    if (row["success"].is_boolean())
      log.state = row["success"].get<bool>() ? "succeeded" : "failed";
    state.logs.push_back(log);
  }
  state.schema_version = version.value("version", "");
  return state;
}

Json migrate_up(const PgContext& ctx) {
  std::string target = target_version(ctx);
  bool ignore_dirty = ctx.in.params.value("ignore_single_dirty_log", false);
  UpResult done;
  for (const Database& db : ctx.databases) migrate_database(ctx, db, target, ignore_dirty, done);
  Json out = {{"applied", done.applied}, {"dirty", false}};
  if (!done.by_another.empty()) out["applied_by_another"] = done.by_another;
  if (ctx.dry_run) {
    out["would_apply"] = done.would_apply;
    out["dry_run"] = true;
    return out;
  }
  if (!done.repaired.empty()) {
    out["repaired"] = done.repaired;
  } else {
    out["schema_version"] = target;
  }
  return out;
}

Json migrate_status(const PgContext& ctx) {
  std::string target = target_version(ctx);
  Json out = {{"target_version", target},
              {"dirty", false},
              {"applied", Json::array()},
              {"pending", Json::array()},
              {"databases", Json::object()}};
  std::string schema;
  for (const Database& db : ctx.databases) {
    Catalog catalog{database_catalog(ctx.releases_dir(), db.name), target};
    DbState state = read_state(ctx, db);
    Json one = {{"exists", state.exists},   {"schema_version", state.schema_version},
                {"applied", Json::array()}, {"pending", Json::array()},
                {"dirty", false},           {"dirty_logs", Json::array()}};
    for (const LogRow& row : state.logs) {
      if (row.state == "succeeded") {
        one["applied"].push_back(ctx.shown_id(db, row.version));
        continue;
      }
      one["dirty_logs"].push_back(
          {{"version", ctx.shown_id(db, row.version)}, {"state", row.state}, {"error", row.error}});
    }
    for (const Migration& m : catalog.releases.migrations_up_to(target)) {
      bool logged = false;
      for (const LogRow& row : state.logs) logged = logged || row.version == m.id;
      if (!logged) one["pending"].push_back(ctx.shown_id(db, m.id));
    }
    for (const auto& key : {"applied", "pending"})
      for (const auto& id : one[key]) out[key].push_back(id);
    if (!one["dirty_logs"].empty()) {
      std::string id = state.dirty().front().version;
      one["dirty"] = true;
      one["failed_version"] = ctx.shown_id(db, id);
      one["error"] = state.dirty().front().error;
      one["repair"] = repair_sentence(ctx, db, catalog, id);
      if (!out["dirty"].get<bool>()) {
        for (const auto& key : {"failed_version", "error", "repair"}) out[key] = one[key];
        out["dirty"] = true;
      }
    }
    if (&db == &ctx.databases.front()) schema = state.schema_version;
    if (state.schema_version != schema) schema.clear();
    out["databases"][db.name] = one;
  }
  out["schema_version"] = schema;
  return out;
}

}  // namespace mi2::postgres
