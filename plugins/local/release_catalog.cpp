#include "release_catalog.h"

#include <algorithm>
#include <mi2/sdk/host.hpp>

#include "local_context.h"

namespace mi2::local {

bool Release::workload_unhealthy(const std::string& workload) const {
  return std::find(unhealthy.begin(), unhealthy.end(), workload) != unhealthy.end() ||
         std::find(unhealthy.begin(), unhealthy.end(), "*") != unhealthy.end();
}

ReleaseCatalog ReleaseCatalog::load(const fs::path& dir) {
  ReleaseCatalog catalog;
  catalog.dir_ = dir;
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    throw sdk::failed("the release catalog " + dir.string() +
                      " does not exist; set plugins.local.releases_dir in mi2.yaml");
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (!entry.is_directory()) continue;
    std::string version = entry.path().filename().string();
    if (!is_version(version)) continue;  // e.g. README folders
    Release release;
    release.version = version;
    release.dir = entry.path();
    fs::path manifest = entry.path() / "release.json";
    if (fs::exists(manifest)) {
      json doc = read_json_file(manifest);
      if (doc.contains("version") && doc["version"] != version)
        throw sdk::failed(manifest.string() + " says version " + doc["version"].dump() +
                          " but lives in the folder of " + version);
      if (doc.contains("unhealthy")) {
        if (!doc["unhealthy"].is_array())
          throw sdk::failed(manifest.string() + ": 'unhealthy' must be a list of workload names");
        for (const auto& w : doc["unhealthy"]) release.unhealthy.push_back(w.get<std::string>());
      }
    }
    fs::path migrations = entry.path() / "migrations";
    if (fs::is_directory(migrations, ec)) {
      for (const auto& file : fs::directory_iterator(migrations)) {
        if (file.path().extension() != ".sql") continue;
        std::string name = file.path().filename().string();
        release.migrations.push_back({version + "/" + name, version, file.path()});
      }
      std::sort(release.migrations.begin(), release.migrations.end(),
                [](const Migration& a, const Migration& b) { return a.id < b.id; });
    }
    catalog.releases_.push_back(std::move(release));
  }
  std::sort(catalog.releases_.begin(), catalog.releases_.end(),
            [](const Release& a, const Release& b) {
              return compare_versions(a.version, b.version) < 0;
            });
  return catalog;
}

const Release* ReleaseCatalog::find(const std::string& version) const {
  for (const auto& r : releases_)
    if (r.version == version) return &r;
  return nullptr;
}

const Release& ReleaseCatalog::get(const std::string& version) const {
  if (const Release* r = find(version)) return *r;
  std::string known;
  for (const auto& r : releases_) known += (known.empty() ? "" : ", ") + r.version;
  throw sdk::failed("version " + version + " is not in the release catalog " + dir_.string() +
                    " (it has " + (known.empty() ? "none" : known) + ")");
}

std::vector<Migration> ReleaseCatalog::migrations_up_to(const std::string& target) const {
  std::vector<Migration> out;
  for (const auto& r : releases_) {
    if (compare_versions(r.version, target) > 0) break;
    if (r.prerelease() && r.version != target) continue;
    out.insert(out.end(), r.migrations.begin(), r.migrations.end());
  }
  return out;
}

std::string ReleaseCatalog::latest() const {
  for (auto it = releases_.rbegin(); it != releases_.rend(); ++it)
    if (!it->prerelease()) return it->version;
  return "";
}

}  // namespace mi2::local
