#include "backups.h"

#include <algorithm>
#include <chrono>

#include "sqlite_db.h"
#include "workloads.h"

namespace mi2::local {
namespace {

std::string default_name(const LocalContext& ctx) {
  std::string stamp = now_utc();  // 2026-11-27T10:15:00Z -> 20261127t101500z
  std::string compact;
  for (char c : stamp)
    if (std::isalnum(static_cast<unsigned char>(c))) compact += static_cast<char>(std::tolower(c));
  return ctx.instance_id + "-" + compact;
}

json read_meta(const fs::path& dir) {
  std::error_code ec;
  if (!fs::exists(dir / "meta.json", ec)) return nullptr;
  return read_json_file(dir / "meta.json");
}

}  // namespace

json backup_create(LocalContext& ctx) {
  std::string name = ctx.in.params.value("name", "");
  if (name.empty()) name = default_name(ctx);
  if (!is_safe_name(name))
    throw sdk::invalid_input("backup name '" + name +
                             "' may only hold letters, digits, '.', '_' and '-'");
  fs::path dir = ctx.backups_dir() / name;
  std::error_code ec;
  if (fs::exists(dir / "meta.json", ec)) {
    if (ctx.in.params.value("name", "").empty()) {
      // Two unnamed backups within one second: add a counter.
      for (int i = 2; fs::exists(dir / "meta.json", ec); ++i)
        dir = ctx.backups_dir() / (name + "-" + std::to_string(i));
      name = dir.filename().string();
    } else {
      throw sdk::failed("instance " + ctx.instance_id + " already has a backup named " + name +
                        "; choose another name");
    }
  }
  if (ctx.dry_run())
    return {{"checkpoint", {{"id", name}, {"path", dir.string()}}}, {"dry_run", true}};

  fs::create_directories(dir);
  json meta = {{"id", name},
               {"instance", ctx.instance_id},
               {"created", now_utc()},
               {"path", dir.string()},
               {"database", false}};
  if (fs::exists(ctx.db_path(), ec)) {
    SqliteDb source(ctx.db_path(), false);
    SqliteDb copy(dir / "db.sqlite.partial", true);
    source.backup_to(copy);
    auto rows = source.query(
        "SELECT version FROM versions WHERE service = 'frontend' AND "
        "EXISTS (SELECT 1 FROM sqlite_master WHERE name = 'versions')");
    if (!rows.empty()) meta["schema_version"] = rows[0][0];
    meta["database"] = true;
  }
  if (meta["database"]) fs::rename(dir / "db.sqlite.partial", dir / "db.sqlite");
  if (fs::exists(ctx.deployment_path(), ec)) {
    json deployment = read_json_file(ctx.deployment_path());
    write_json_file(dir / "deployment.json", deployment);
    meta["version"] = deployment.value("version", "");
  }
  write_json_file(dir / "meta.json", meta);  // last: a backup without meta.json is incomplete
  ctx.host.info("created backup " + name + " of instance " + ctx.instance_id);
  return {{"checkpoint", meta}};
}

json backup_list(LocalContext& ctx) {
  json backups = json::array();
  std::error_code ec;
  if (fs::is_directory(ctx.backups_dir(), ec))
    for (const auto& entry : fs::directory_iterator(ctx.backups_dir(), ec)) {
      json meta = read_meta(entry.path());
      if (!meta.is_null()) backups.push_back(meta);
    }
  std::sort(backups.begin(), backups.end(), [](const json& a, const json& b) {
    return std::make_pair(a.value("created", ""), a.value("id", "")) <
           std::make_pair(b.value("created", ""), b.value("id", ""));
  });
  return {{"backups", backups}};
}

json backup_restore(LocalContext& ctx) {
  std::string name = ctx.in.params.value("backup_name", "");
  if (name.empty()) name = ctx.in.params.value("name", "");
  if (name.empty()) {
    // From a run's checkpoint (restore after a failed upgrade).
    const json& checkpoints = ctx.in.checkpoints;
    if (checkpoints.contains("local")) name = checkpoints["local"].value("id", "");
  }
  if (!is_safe_name(name))
    throw sdk::invalid_input(
        "give the backup to restore with --backup-name (see `mi2 instance backup list`)");
  std::string type = ctx.in.params.value("restore_type", "full-replace");
  if (type != "full-replace" && type != "database" && type != "workloads")
    throw sdk::invalid_input("restore type '" + type +
                             "' is not one of full-replace, database, workloads");
  fs::path dir = ctx.backups_dir() / name;
  json meta = read_meta(dir);
  if (meta.is_null())
    throw sdk::failed("instance " + ctx.instance_id + " has no backup named " + name +
                      "; see `mi2 instance backup list`");
  json out = {{"restored", name}, {"restore_type", type}};
  if (ctx.dry_run()) return out;

  if (type != "workloads" && meta.value("database", false)) {
    fs::create_directories(ctx.state);
    SqliteDb source(dir / "db.sqlite", false);
    SqliteDb live(ctx.db_path(), true);
    source.backup_to(live);
    out["database"] = ctx.db_path().string();
  }
  std::string version = meta.value("version", "");
  if (type != "database" && !version.empty()) {
    std::vector<DesiredWorkload> desired;
    json deployment = read_json_file(dir / "deployment.json");
    for (const auto& w : deployment.value("workloads", json::array()))
      desired.push_back({w["name"].get<std::string>(), w["version"].get<std::string>()});
    if (!desired.empty()) out["workloads"] = rollout(ctx, desired, version, false)["workloads"];
    out["version"] = version;
  }
  return out;
}

}  // namespace mi2::local
