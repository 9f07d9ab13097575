// The fleet's release catalog as the postgres plugin reads it: the same
// <releases_dir>/<version>/ folders as the local plugin, with each logical
// database's SQL under <version>/migrations/postgres/<database>/NNN_name.sql.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace mi2::postgres {

struct Migration {
  std::string id;  // "<version>/<file name>", what migration_logs records
  std::string release;
  std::filesystem::path file;
};

class ReleaseCatalog {
 public:
  // Reads every release folder's migrations for `database`; throws
  // sdk::failed naming the folder when the catalog is missing.
  static ReleaseCatalog load(const std::filesystem::path& dir, const std::string& database);

  bool has(const std::string& version) const;
  // Throws sdk::failed naming the versions the catalog has.
  void require(const std::string& version) const;
  // Every migration of every release up to `target`; pre-releases other than
  // `target` itself do not count (their migrations ship again in the release).
  std::vector<Migration> migrations_up_to(const std::string& target) const;
  // The migration with this id anywhere in the catalog, or nullptr.
  const Migration* find(const std::string& id) const;
  const std::filesystem::path& dir() const { return dir_; }

 private:
  struct Release {
    std::string version;
    std::vector<Migration> migrations;  // in file-name order
  };
  std::filesystem::path dir_;
  std::vector<Release> releases_;  // oldest first
};

// digits.digits.digits with an optional -prerelease of [0-9A-Za-z.-].
bool is_version(const std::string& version);
// Semantic-version order (pre-releases before their release).
int compare_versions(const std::string& a, const std::string& b);

}  // namespace mi2::postgres
