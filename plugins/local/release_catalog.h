// The sample fleet's release catalog: <releases_dir>/<version>/release.json and
// <releases_dir>/<version>/migrations/NNN_name.sql. It stands in for the
// images and migrator a real release ships.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace mi2::local {

struct Migration {
  std::string id;  // "<version>/<file name>", what migration_logs records
  std::string release;
  std::filesystem::path file;
};

struct Release {
  std::string version;
  std::filesystem::path dir;
  std::vector<std::string> unhealthy;  // workloads that never become healthy ("*" = all)
  std::vector<Migration> migrations;   // in file-name order
  bool prerelease() const { return version.find('-') != std::string::npos; }
  bool workload_unhealthy(const std::string& workload) const;
};

class ReleaseCatalog {
 public:
  // Reads every release folder; throws failed naming the folder or file at fault.
  static ReleaseCatalog load(const std::filesystem::path& dir);

  const std::vector<Release>& releases() const { return releases_; }  // oldest first
  // The release, or throws failed saying which versions the catalog has.
  const Release& get(const std::string& version) const;
  const Release* find(const std::string& version) const;
  // What a database at `target` has had applied: every migration of every
  // release up to `target`, where pre-releases other than `target` itself do
  // not count (a release candidate's migrations ship again in the release).
  std::vector<Migration> migrations_up_to(const std::string& target) const;
  // The newest release that is not a pre-release; empty when none.
  std::string latest() const;

 private:
  std::filesystem::path dir_;
  std::vector<Release> releases_;
};

}  // namespace mi2::local
