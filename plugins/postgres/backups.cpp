#include "plugins/postgres/backups.h"

#include <algorithm>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "plugins/postgres/pg_tools.h"

namespace mi2::postgres {
namespace {

fs::path backups_dir(const PgContext& ctx) {
  if (ctx.state.empty())
    throw sdk::invalid_input("the step input has no state_dir (run the step through mi2).");
  return ctx.state / "backups";
}

// Removes a half-written checkpoint folder unless released.
class PartialFolder {
 public:
  explicit PartialFolder(fs::path path) : path_(std::move(path)) {}
  ~PartialFolder() {
    std::error_code ec;
    if (!path_.empty()) fs::remove_all(path_, ec);
  }
  void release() { path_.clear(); }

 private:
  fs::path path_;
};

struct Verified {
  int entries = 0;
  std::string toc;
};

// pg_restore --list (the table of contents reads) then a full read of every
// data block into /dev/null. Returns "" and fills `out`, or the reason.
std::string verify_dump(const PgContext& ctx, const fs::path& file, Verified& out) {
  auto list = run_tool(ctx, ctx.settings.pg_restore, {"--list", file.string()}, false);
  if (!list.ok()) return "pg_restore --list cannot read it: " + error_text(list.err);
  std::istringstream lines(list.out);
  for (std::string line; std::getline(lines, line);)
    if (!line.empty() && line[0] != ';') ++out.entries;
  if (list.out.find("TOC Entries:") == std::string::npos)
    return "pg_restore --list shows no table of contents";
  auto full = run_tool(ctx, ctx.settings.pg_restore, {"--file=/dev/null", file.string()}, false);
  if (!full.ok()) return "pg_restore cannot read all of it: " + error_text(full.err);
  out.toc = list.out;
  return "";
}

std::string generated_name(const PgContext& ctx) {
  std::string base = ctx.in.run_id;
  if (base.empty()) {
    base = now_utc();
    base.erase(
        std::remove_if(base.begin(), base.end(), [](char c) { return c == '-' || c == ':'; }),
        base.end());
    base = "manual-" + base;
  }
  std::string name = base;
  std::error_code ec;
  for (int n = 2; fs::exists(backups_dir(ctx) / name, ec); ++n)
    name = base + "-" + std::to_string(n);
  return name;
}

Json dump_database(const PgContext& ctx, const Database& db, const fs::path& folder,
                   const std::string& name) {
  fs::path file = folder / (db.name + ".dump");
  auto r = run_tool(ctx, ctx.settings.pg_dump,
                    {"--format=custom", "--no-owner", "--no-privileges", "--file=" + file.string(),
                     "--dbname=" + db.conninfo},
                    true);
  if (r.skipped_dry_run) return {{"file", (backups_dir(ctx) / name / file.filename()).string()}};
  throw_if_unreachable(ctx, db, r);
  if (!r.ok())
    throw sdk::failed("pg_dump of " + ctx.where(db) + " failed: " + error_text(r.err) +
                      "; no checkpoint was made.");
  Verified v;
  if (std::string why = verify_dump(ctx, file, v); !why.empty())
    throw sdk::failed("the dump of " + ctx.where(db) + " failed verification (" + why +
                      "); the checkpoint " + name + " was not kept, nothing counts as backed up.");
  std::error_code ec;
  return {{"file", (backups_dir(ctx) / name / file.filename()).string()},
          {"dbname", db.dbname},
          {"bytes", static_cast<long long>(fs::file_size(file, ec))},
          {"entries", v.entries}};
}

Json read_manifest(const fs::path& path) {
  std::ifstream in(path);
  Json doc = Json::parse(in, nullptr, false);
  return doc.is_object() ? doc : Json();
}

// The relations a dump holds: TABLE, VIEW, MATERIALIZED VIEW, SEQUENCE and
// FOREIGN TABLE entries of `pg_restore --list` ("<id>; <oid> <oid> TYPE schema name owner").
std::vector<std::pair<std::string, std::string>> dumped_relations(const std::string& toc) {
  static const std::regex entry(
      R"(^\d+; \d+ \d+ (TABLE (?!DATA )|VIEW |MATERIALIZED VIEW (?!DATA )|SEQUENCE (?!SET |OWNED BY )|FOREIGN TABLE )(\S+) (.+) (\S+)\s*$)");
  std::vector<std::pair<std::string, std::string>> out;
  std::istringstream lines(toc);
  for (std::string line; std::getline(lines, line);) {
    std::smatch m;
    if (std::regex_match(line, m, entry)) out.emplace_back(m[2], m[3]);
  }
  return out;
}

std::string sql_array(const std::vector<std::string>& items) {
  std::string out = "ARRAY[";
  for (size_t i = 0; i < items.size(); ++i) out += (i ? ", " : "") + sql_literal(items[i]);
  return out + "]::text[]";
}

// Runs first in the restore's transaction: takes the migration lock and drops
// the relations created after the checkpoint (pg_restore --clean drops only
// what the dump holds, and a newer table's foreign key would block that).
std::string restore_prelude(const PgContext& ctx, const std::string& toc) {
  std::vector<std::string> schemas = {"public"}, names, name_schemas;
  for (const auto& [schema, name] : dumped_relations(toc)) {
    name_schemas.push_back(schema);
    names.push_back(name);
    if (std::find(schemas.begin(), schemas.end(), schema) == schemas.end())
      schemas.push_back(schema);
  }
  return "SET client_min_messages = warning;\nSET LOCAL lock_timeout = '" +
         std::to_string(ctx.settings.lock_timeout_s * 1000) + "ms';\n" + kLockSql +
         ";\nSET LOCAL lock_timeout TO DEFAULT;\n"
         "DO $mi2_restore$\nDECLARE r record;\nBEGIN\n"
         "  FOR r IN SELECT n.nspname, c.relname, c.relkind FROM pg_class c\n"
         "      JOIN pg_namespace n ON n.oid = c.relnamespace\n"
         "    WHERE n.nspname = ANY (" +
         sql_array(schemas) +
         ")\n      AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')\n"
         "      AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass\n"
         "        AND d.objid = c.oid AND d.deptype IN ('e', 'a', 'i'))\n"
         "      AND NOT EXISTS (SELECT 1 FROM unnest(" +
         sql_array(name_schemas) + ", " + sql_array(names) +
         ") AS k(s, n)\n        WHERE k.s = n.nspname AND k.n = c.relname)\n"
         "    ORDER BY c.relkind IN ('r', 'p', 'f') DESC\n  LOOP\n"
         "    EXECUTE format('DROP %s IF EXISTS %I.%I CASCADE', CASE r.relkind WHEN 'v' THEN "
         "'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW' WHEN 'S' THEN 'SEQUENCE' WHEN 'f' THEN "
         "'FOREIGN TABLE' ELSE 'TABLE' END, r.nspname, r.relname);\n"
         "  END LOOP;\nEND\n$mi2_restore$;\n";
}

void restore_database(const PgContext& ctx, const Database& db, const std::string& name,
                      const fs::path& dump, const std::string& toc) {
  fs::path sql = ctx.state / "restore" / (name + "." + db.name + ".sql");
  if (!ctx.dry_run) fs::create_directories(sql.parent_path());
  PartialFolder cleanup(ctx.dry_run ? fs::path() : sql);
  auto script = run_tool(ctx, ctx.settings.pg_restore,
                         {"--clean", "--if-exists", "--no-owner", "--no-privileges",
                          "--file=" + sql.string(), dump.string()},
                         true);
  if (!script.ok() && !script.skipped_dry_run)
    throw sdk::failed("pg_restore cannot turn the checkpoint " + name + " of " + ctx.where(db) +
                      " into SQL: " + error_text(script.err) + "; nothing was restored.");
  ctx.host.info((ctx.dry_run ? "would restore " : "restoring ") + ctx.where(db) +
                " from the checkpoint " + name);
  auto r = run_psql(ctx, db.conninfo, {"-f", "-", "-f", sql.string()}, restore_prelude(ctx, toc),
                    true, true);
  if (r.skipped_dry_run) return;
  throw_if_unreachable(ctx, db, r);
  if (!r.ok())
    throw sdk::failed(
        "restoring " + ctx.where(db) + " from the checkpoint " + name +
        " failed and was rolled back, the database is as it was: " + error_text(r.err) + ".");
}

}  // namespace

Json backup_create(const PgContext& ctx) {
  std::string name = ctx.in.param("name");
  if (!name.empty() && !is_safe_name(name))
    throw sdk::invalid_input("the checkpoint name '" + name +
                             "' may hold only letters, digits, '.', '_' and '-'.");
  fs::path root = backups_dir(ctx);
  std::error_code ec;
  if (!name.empty() && fs::exists(root / name, ec))
    throw sdk::failed("instance " + ctx.in.instance_id +
                      " already has a postgres checkpoint named " + name +
                      "; pick another --name.");
  if (name.empty()) name = generated_name(ctx);
  fs::path partial = root / ("." + name + ".partial");
  if (!ctx.dry_run) {
    fs::remove_all(partial, ec);
    fs::create_directories(partial);
  }
  PartialFolder cleanup(ctx.dry_run ? fs::path() : partial);
  Json databases = Json::object();
  for (const Database& db : ctx.databases)
    databases[db.name] = dump_database(ctx, db, partial, name);
  Json checkpoint = {{"id", name},
                     {"plugin", "postgres"},
                     {"created", now_utc()},
                     {"instance", ctx.in.instance_id},
                     {"version", ctx.in.version()},
                     {"path", (root / name).string()},
                     {"databases", databases}};
  if (ctx.dry_run) {
    checkpoint["dry_run"] = true;
    return {{"checkpoint", checkpoint}};
  }
  std::ofstream(partial / "checkpoint.json") << checkpoint.dump(2) << '\n';
  fs::rename(partial, root / name);
  cleanup.release();
  return {{"checkpoint", checkpoint}};
}

Json backup_list(const PgContext& ctx) {
  Json backups = Json::array();
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(backups_dir(ctx), ec)) {
    std::string name = entry.path().filename().string();
    if (!entry.is_directory() || name[0] == '.') continue;
    Json manifest = read_manifest(entry.path() / "checkpoint.json");
    if (manifest.is_null()) continue;
    Json item = {{"id", manifest.value("id", name)},
                 {"created", manifest.value("created", "")},
                 {"version", manifest.value("version", "")},
                 {"path", entry.path().string()},
                 {"databases", Json::array()}};
    Json databases = manifest.value("databases", Json::object());
    for (const auto& [db, _] : databases.items()) item["databases"].push_back(db);
    backups.push_back(item);
  }
  std::sort(backups.begin(), backups.end(), [](const Json& a, const Json& b) {
    return std::make_pair(a["created"].get<std::string>(), a["id"].get<std::string>()) <
           std::make_pair(b["created"].get<std::string>(), b["id"].get<std::string>());
  });
  return {{"backups", backups}};
}

Json backup_restore(const PgContext& ctx) {
  std::string name = ctx.in.param("backup_name");
  if (name.empty()) name = ctx.in.param("name");
  if (name.empty() || !is_safe_name(name))
    throw sdk::invalid_input(
        "restore needs the name of a checkpoint (--backup-name N; see `mi2 "
        "instance backup list`).");
  std::string type = ctx.in.param("restore_type");
  if (!type.empty() && type != "full-replace" && type != "database")
    throw sdk::invalid_input(
        "the postgres plugin restores whole databases: --restore-type is "
        "full-replace or database, not '" +
        type + "'.");
  fs::path dir = backups_dir(ctx) / name;
  Json manifest = read_manifest(dir / "checkpoint.json");
  if (manifest.is_null())
    throw sdk::failed("instance " + ctx.in.instance_id + " has no postgres checkpoint named " +
                      name + " (see `mi2 instance backup list`).");
  std::vector<std::pair<const Database*, Verified>> plan;
  for (const Database& db : ctx.databases) {
    if (!manifest["databases"].contains(db.name))
      throw sdk::failed("the checkpoint " + name + " has no dump of " + ctx.where(db) +
                        "; nothing was restored.");
    Verified v;
    if (std::string why = verify_dump(ctx, dir / (db.name + ".dump"), v); !why.empty())
      throw sdk::failed("the checkpoint " + name + " of " + ctx.where(db) + " is corrupt (" + why +
                        "); nothing was restored.");
    plan.emplace_back(&db, v);
  }
  Json restored = Json::array();
  for (const auto& [db, v] : plan) {
    restore_database(ctx, *db, name, dir / (db->name + ".dump"), v.toc);
    restored.push_back(db->name);
  }
  Json out = {{"restored", name}, {"databases", restored}};
  if (ctx.dry_run) out["dry_run"] = true;
  return out;
}

}  // namespace mi2::postgres
