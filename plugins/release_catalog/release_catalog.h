// The fleet's release catalog: one folder per version, <releases_dir>/<version>/,
// with an optional release.json ({"version", "unhealthy": [workload...]}) and
// the release's SQL migrations, NNN_name.sql, in a folder each plugin names
// (local: migrations/, postgres: migrations/postgres/<database>/). It stands in
// for the images and migrator a real release ships.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace mi2::releases {

struct Migration {
  std::string id;  // "<version>/<file name>", what migration_logs records
  std::string release;
  std::filesystem::path file;  // absolute
};

struct Release {
  std::string version;
  std::filesystem::path dir;
  std::vector<std::string> unhealthy;  // workloads that never become healthy ("*" = all)
  std::vector<Migration> migrations;   // in file-name order
  bool prerelease() const { return version.find('-') != std::string::npos; }
  bool workload_unhealthy(const std::string& workload) const;
};

// Where a plugin reads the catalog.
struct CatalogLayout {
  std::string plugin;  // named in errors: plugins.<plugin>.releases_dir
  std::filesystem::path migrations = "migrations";  // per release folder
  bool read_manifest = true;                        // release.json (checked when present)
};

class ReleaseCatalog {
 public:
  // Reads every release folder; throws sdk::failed naming the folder or file at fault.
  static ReleaseCatalog load(const std::filesystem::path& dir, const CatalogLayout& layout);

  const std::vector<Release>& releases() const { return releases_; }  // oldest first
  const std::filesystem::path& dir() const { return dir_; }
  const Release* find(const std::string& version) const;
  bool has(const std::string& version) const { return find(version) != nullptr; }
  // The release, or throws sdk::failed saying which versions the catalog has.
  const Release& get(const std::string& version) const;
  // What a database at `target` has had applied: every migration of every
  // release up to `target`, where pre-releases other than `target` itself do
  // not count (a release candidate's migrations ship again in the release).
  std::vector<Migration> migrations_up_to(const std::string& target) const;
  // The migration with this id anywhere in the catalog, or nullptr.
  const Migration* find_migration(const std::string& id) const;
  // The newest release that is not a pre-release; empty when none.
  std::string latest() const;

 private:
  std::filesystem::path dir_;
  std::vector<Release> releases_;
};

}  // namespace mi2::releases
