#include "plugins/release_catalog/release_catalog.h"

#include <mi2/sdk/host.hpp>
#include <mi2/sdk/text.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "plugins/release_catalog/versions.h"

namespace mi2::releases {

namespace fs = std::filesystem;
using Json = nlohmann::json;

namespace {

// release.json of one release folder: the version it names must be the
// folder's; `unhealthy` lists the workloads that never become healthy.
void read_manifest(const fs::path& file, Release& release) {
  std::error_code ec;
  if (!fs::exists(file, ec)) return;
  std::ifstream in(file, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  if (!in) throw sdk::failed("cannot read " + file.string() + ".");
  Json doc = Json::parse(text.str(), nullptr, false);
  if (doc.is_discarded() || !doc.is_object())
    throw sdk::failed(file.string() + " is not a JSON object.");
  if (doc.contains("version") && doc["version"] != release.version)
    throw sdk::failed(file.string() + " says version " + doc["version"].dump() +
                      " but lives in the folder of " + release.version + ".");
  if (!doc.contains("unhealthy")) return;
  const Json& unhealthy = doc["unhealthy"];
  if (!unhealthy.is_array())
    throw sdk::failed(file.string() + ": 'unhealthy' must be a list of workload names.");
  for (const Json& w : unhealthy) {
    if (!w.is_string())
      throw sdk::failed(file.string() + ": 'unhealthy' must be a list of workload names.");
    release.unhealthy.push_back(w.get<std::string>());
  }
}

// The release's NNN_name.sql files, in file-name order.
std::vector<Migration> read_migrations(const fs::path& dir, const std::string& version) {
  std::vector<Migration> out;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return out;
  for (const auto& file : fs::directory_iterator(dir, ec)) {
    if (!file.is_regular_file() || file.path().extension() != ".sql") continue;
    std::string name = file.path().filename().string();
    out.push_back({version + "/" + name, version, fs::absolute(file.path())});
  }
  std::sort(out.begin(), out.end(),
            [](const Migration& a, const Migration& b) { return a.id < b.id; });
  return out;
}

}  // namespace

bool Release::workload_unhealthy(const std::string& workload) const {
  return std::find(unhealthy.begin(), unhealthy.end(), workload) != unhealthy.end() ||
         std::find(unhealthy.begin(), unhealthy.end(), "*") != unhealthy.end();
}

ReleaseCatalog ReleaseCatalog::load(const fs::path& dir, const CatalogLayout& layout) {
  ReleaseCatalog catalog;
  catalog.dir_ = dir;
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    throw sdk::failed("the release catalog " + dir.string() + " does not exist; set plugins." +
                      layout.plugin + ".releases_dir in mi2.yaml.");
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    std::string version = entry.path().filename().string();
    if (!entry.is_directory() || !is_version(version)) continue;  // e.g. README folders
    Release release;
    release.version = version;
    release.dir = entry.path();
    if (layout.read_manifest) read_manifest(entry.path() / "release.json", release);
    release.migrations = read_migrations(entry.path() / layout.migrations, version);
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
  std::vector<std::string> known;
  for (const auto& r : releases_) known.push_back(r.version);
  throw sdk::failed("version " + version + " is not in the release catalog " + dir_.string() +
                    " (it has " + (known.empty() ? "none" : sdk::join(known, ", ")) + ").");
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

const Migration* ReleaseCatalog::find_migration(const std::string& id) const {
  for (const auto& r : releases_)
    for (const auto& m : r.migrations)
      if (m.id == id) return &m;
  return nullptr;
}

std::string ReleaseCatalog::latest() const {
  for (auto it = releases_.rbegin(); it != releases_.rend(); ++it)
    if (!it->prerelease()) return it->version;
  return "";
}

}  // namespace mi2::releases
