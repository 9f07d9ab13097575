#include "migrations.h"

#include <map>
#include <set>

#include "sqlite_db.h"

namespace mi2::local {
namespace {

constexpr const char* kSchema = R"(
CREATE TABLE IF NOT EXISTS migration_logs (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  version TEXT NOT NULL,
  release TEXT NOT NULL,
  up INTEGER NOT NULL DEFAULT 1,
  started_at TEXT NOT NULL,
  finished_at TEXT,
  success INTEGER,
  error_message TEXT
);
CREATE TABLE IF NOT EXISTS versions (
  service TEXT PRIMARY KEY,
  version TEXT NOT NULL,
  first_version TEXT NOT NULL,
  updated_at TEXT NOT NULL
);)";

// The latest log row of each migration.
struct LogState {
  std::string success;  // "1", "0" or "" (never finished)
  std::string error;
};

std::map<std::string, LogState> latest_logs(SqliteDb& db) {
  std::map<std::string, LogState> logs;
  for (const auto& row : db.query(
           "SELECT version, IFNULL(success, ''), IFNULL(error_message, '') FROM migration_logs "
           "WHERE id IN (SELECT MAX(id) FROM migration_logs WHERE up = 1 GROUP BY version)"))
    logs[row[0]] = {row[1], row[2]};
  return logs;
}

std::string target_version(const LocalContext& ctx) {
  std::string target = ctx.in.params.value("target_version", "");
  if (target.empty()) target = ctx.in.target_version;
  if (target.empty()) target = ctx.configured_version();
  if (target.empty())
    throw sdk::invalid_input("instance " + ctx.instance_id +
                             " has no spec.sourcegraphVersion and no target version was given");
  require_version(target, "the target version");
  return target;
}

std::string repair_sentence(const LocalContext& ctx, const std::string& failed) {
  std::string run = ctx.in.run_id;
  fs::path file = ctx.releases_dir() / failed.substr(0, failed.find('/')) / "migrations" /
                  failed.substr(failed.find('/') + 1);
  return "read " + file.string() + ", fix the data by hand (sqlite3 " + ctx.db_path().string() +
         "), then run `mi2 instance db repair` to re-apply only " + failed +
         (run.empty() ? std::string(", then re-run the upgrade")
                      : ", then `mi2 instance upgrade --resume " + run + "`");
}

// Applies one migration in its own transaction, logging start and outcome.
// Returns "" or the error.
std::string apply_one(SqliteDb& db, const Migration& m) {
  db.run("INSERT INTO migration_logs (version, release, up, started_at) VALUES (?, ?, 1, ?)",
         {m.id, m.release, now_utc()});
  std::string log_id = std::to_string(db.last_insert_id());
  std::string sql = read_text(m.file);
  std::string error = db.exec("BEGIN;\n" + sql + "\n;COMMIT;");
  if (!error.empty()) db.exec("ROLLBACK;");
  if (error.empty()) {
    db.run("UPDATE migration_logs SET finished_at = ?, success = 1 WHERE id = ?",
           {now_utc(), log_id});
  } else {
    db.run("UPDATE migration_logs SET finished_at = ?, success = 0, error_message = ? WHERE id = ?",
           {now_utc(), error, log_id});
  }
  return error;
}

}  // namespace

json migrate_status(LocalContext& ctx) {
  std::string target = target_version(ctx);
  ReleaseCatalog catalog = ctx.catalog();
  json out = {{"database", ctx.db_path().string()}, {"target_version", target}};
  std::map<std::string, LogState> logs;
  std::string version;
  std::error_code ec;
  if (fs::exists(ctx.db_path(), ec)) {
    SqliteDb db(ctx.db_path(), false);  // read only: status changes nothing
    auto tables =
        db.query("SELECT COUNT(*) FROM sqlite_master WHERE name IN ('migration_logs', 'versions')");
    if (tables[0][0] == "2") logs = latest_logs(db);
    auto rows = tables[0][0] == "2"
                    ? db.query("SELECT version FROM versions WHERE service = 'frontend'")
                    : std::vector<SqliteDb::Row>{};
    if (!rows.empty()) version = rows[0][0];
  }
  json applied = json::array(), pending = json::array(), dirty = json::array();
  for (const auto& [id, log] : logs) {
    if (log.success == "1")
      applied.push_back(id);
    else
      dirty.push_back({{"version", id},
                       {"error", log.error},
                       {"state", log.success == "0" ? "failed" : "unfinished"}});
  }
  for (const auto& m : catalog.migrations_up_to(target))
    if (!logs.count(m.id)) pending.push_back(m.id);
  out["schema_version"] = version;
  out["applied"] = applied;
  out["pending"] = pending;
  out["dirty"] = !dirty.empty();
  out["dirty_logs"] = dirty;
  if (!dirty.empty()) {
    std::string failed = dirty[0]["version"];
    out["failed_version"] = failed;
    out["error"] = dirty[0]["error"];
    out["repair"] = repair_sentence(ctx, failed);
  }
  return out;
}

json migrate_up(LocalContext& ctx) {
  std::string target = target_version(ctx);
  ReleaseCatalog catalog = ctx.catalog();
  catalog.get(target);
  bool ignore_dirty = ctx.in.params.value("ignore_single_dirty_log", false);

  if (ctx.dry_run()) {
    json status = migrate_status(ctx);
    return {{"applied", json::array()}, {"would_apply", status["pending"]}, {"dry_run", true}};
  }

  fs::create_directories(ctx.state);
  SqliteDb db(ctx.db_path(), true);
  db.exec_or_throw(kSchema);
  auto logs = latest_logs(db);
  std::vector<std::string> dirty;
  for (const auto& [id, log] : logs)
    if (log.success != "1") dirty.push_back(id);

  json applied = json::array();
  auto fail = [&](const std::string& id, const std::string& error, const std::string& lead) {
    std::string repair = repair_sentence(ctx, id);
    throw sdk::Failure(lead + "; " + repair, {{"dirty", true},
                                              {"failed_version", id},
                                              {"error", error},
                                              {"applied", applied},
                                              {"repair", repair}});
  };

  if (!dirty.empty()) {
    if (!ignore_dirty || dirty.size() > 1)
      fail(dirty[0], logs[dirty[0]].error,
           "the database of instance " + ctx.instance_id + " is dirty: migration " + dirty[0] +
               (logs[dirty[0]].success == "0" ? " failed (" + logs[dirty[0]].error + ")"
                                              : " never finished") +
               (dirty.size() > 1 ? " and " + std::to_string(dirty.size() - 1) + " more" : ""));
    // Repair: re-apply only the one dirty migration, nothing after it.
    const Migration* m = catalog.find_migration(dirty[0]);
    if (!m)
      throw sdk::failed("the dirty migration " + dirty[0] + " of instance " + ctx.instance_id +
                        " is not in the release catalog " + ctx.releases_dir().string());
    ctx.host.info("re-applying the dirty migration " + m->id);
    std::string error = apply_one(db, *m);
    if (!error.empty())
      fail(m->id, error,
           "migration " + m->id + " of instance " + ctx.instance_id + " failed again (" + error +
               ")");
    applied.push_back(m->id);
    return {{"applied", applied}, {"repaired", m->id}, {"dirty", false}};
  }

  for (const auto& m : catalog.migrations_up_to(target)) {
    if (logs.count(m.id)) continue;
    if (ctx.host.cancelled())
      throw sdk::Error(MI2_CANCELLED, "migrations of instance " + ctx.instance_id + " cancelled");
    ctx.host.info("applying migration " + m.id);
    std::string error = apply_one(db, m);
    if (!error.empty())
      fail(m.id, error,
           "migration " + m.id + " of instance " + ctx.instance_id + " failed (" + error +
               ") and the database is now dirty; the old workload keeps serving");
    applied.push_back(m.id);
  }
  db.run(
      "INSERT INTO versions (service, version, first_version, updated_at) VALUES ('frontend', ?, "
      "?, ?) "
      "ON CONFLICT(service) DO UPDATE SET version = excluded.version, updated_at = "
      "excluded.updated_at",
      {target, target, now_utc()});
  return {{"applied", applied}, {"dirty", false}, {"schema_version", target}};
}

}  // namespace mi2::local
