#include "plugins/postgres/release_catalog.h"

#include <mi2/sdk/host.hpp>

#include <algorithm>
#include <regex>

namespace mi2::postgres {

namespace fs = std::filesystem;

bool is_version(const std::string& version) {
  static const std::regex pattern(R"(\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?)");
  return std::regex_match(version, pattern);
}

namespace {

std::vector<std::string> split(const std::string& text, char sep) {
  std::vector<std::string> parts;
  size_t start = 0;
  for (size_t at; (at = text.find(sep, start)) != std::string::npos; start = at + 1)
    parts.push_back(text.substr(start, at - start));
  parts.push_back(text.substr(start));
  return parts;
}

bool numeric(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

int compare_part(const std::string& a, const std::string& b, bool semver_identifiers) {
  if (numeric(a) && numeric(b)) {
    if (a.size() != b.size()) return a.size() < b.size() ? -1 : 1;
    return a.compare(b) < 0 ? -1 : a.compare(b) > 0 ? 1 : 0;
  }
  if (semver_identifiers && numeric(a) != numeric(b)) return numeric(a) ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

}  // namespace

int compare_versions(const std::string& a, const std::string& b) {
  auto dash_a = a.find('-'), dash_b = b.find('-');
  auto core_a = split(a.substr(0, dash_a), '.'), core_b = split(b.substr(0, dash_b), '.');
  for (size_t i = 0; i < std::max(core_a.size(), core_b.size()); ++i) {
    int c = compare_part(i < core_a.size() ? core_a[i] : "0", i < core_b.size() ? core_b[i] : "0",
                         false);
    if (c) return c;
  }
  bool pre_a = dash_a != std::string::npos, pre_b = dash_b != std::string::npos;
  if (pre_a != pre_b) return pre_a ? -1 : 1;
  if (!pre_a) return 0;
  auto ids_a = split(a.substr(dash_a + 1), '.'), ids_b = split(b.substr(dash_b + 1), '.');
  for (size_t i = 0; i < std::min(ids_a.size(), ids_b.size()); ++i)
    if (int c = compare_part(ids_a[i], ids_b[i], true)) return c;
  return ids_a.size() < ids_b.size() ? -1 : ids_a.size() > ids_b.size() ? 1 : 0;
}

ReleaseCatalog ReleaseCatalog::load(const fs::path& dir, const std::string& database) {
  ReleaseCatalog catalog;
  catalog.dir_ = dir;
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    throw sdk::failed("the release catalog " + dir.string() +
                      " does not exist; set plugins.postgres.releases_dir in mi2.yaml.");
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    std::string version = entry.path().filename().string();
    if (!entry.is_directory() || !is_version(version)) continue;
    Release release{version, {}};
    fs::path sql_dir = entry.path() / "migrations" / "postgres" / database;
    if (fs::is_directory(sql_dir, ec)) {
      for (const auto& file : fs::directory_iterator(sql_dir, ec)) {
        if (!file.is_regular_file() || file.path().extension() != ".sql") continue;
        std::string name = file.path().filename().string();
        release.migrations.push_back({version + "/" + name, version, fs::absolute(file.path())});
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

bool ReleaseCatalog::has(const std::string& version) const {
  for (const auto& r : releases_)
    if (r.version == version) return true;
  return false;
}

void ReleaseCatalog::require(const std::string& version) const {
  if (has(version)) return;
  std::string known;
  for (const auto& r : releases_) known += (known.empty() ? "" : ", ") + r.version;
  throw sdk::failed("version " + version + " is not in the release catalog " + dir_.string() +
                    " (it has " + (known.empty() ? "none" : known) + ").");
}

std::vector<Migration> ReleaseCatalog::migrations_up_to(const std::string& target) const {
  std::vector<Migration> out;
  for (const auto& r : releases_) {
    if (compare_versions(r.version, target) > 0) break;
    if (r.version.find('-') != std::string::npos && r.version != target) continue;
    out.insert(out.end(), r.migrations.begin(), r.migrations.end());
  }
  return out;
}

const Migration* ReleaseCatalog::find(const std::string& id) const {
  for (const auto& r : releases_)
    for (const auto& m : r.migrations)
      if (m.id == id) return &m;
  return nullptr;
}

}  // namespace mi2::postgres
