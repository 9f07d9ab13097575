#include "core/engine/fleet_status.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "core/base/text.h"
#include "core/engine/engine.h"
#include "core/engine/journal.h"
#include "core/engine/version_policy.h"
#include "core/fleet/fleet_scan.h"

namespace mi2 {
namespace {

// The newest journal that reads (run_journals: newest first), of a run to
// `target_version` when that is given.
std::optional<RunSummary> newest_run(const Fleet& fleet, const InstanceRef& ref,
                                     const std::string& target_version) {
  for (const auto& path : run_journals(runs_dir(fleet, ref))) {
    auto events = RunJournal::read(path);
    if (!events || events->empty()) continue;
    RunSummary run = summarize_run(path.stem().string(), *events);
    if (target_version.empty() || run.to == target_version) return run;
  }
  return std::nullopt;
}

Json run_json(const std::optional<RunSummary>& run) {
  if (!run) return nullptr;
  return {{"run_id", run->id},       {"recipe", run->recipe},
          {"from", run->from},       {"to", run->to},
          {"result", run->result},   {"failed_step", run->failed_step},
          {"started", run->started}, {"when", run->started > 0 ? format_utc(run->started) : ""},
          {"seconds", run->seconds}};
}

// Release versions by number (a pre-release below its release), then others
// by text.
bool version_above(const std::string& a, const std::string& b) {
  auto va = parse_release_version(a), vb = parse_release_version(b);
  if (va && vb) {
    if (va->major != vb->major) return va->major > vb->major;
    if (va->minor != vb->minor) return va->minor > vb->minor;
    if (va->patch != vb->patch) return va->patch > vb->patch;
    if (va->prerelease.empty() != vb->prerelease.empty()) return va->prerelease.empty();
    return va->prerelease > vb->prerelease;
  }
  if (va || vb) return va.has_value();
  return a > b;
}

}  // namespace

Result<FleetStatus> read_fleet_status(const Fleet& fleet, const std::string& environment,
                                      const std::string& filter,
                                      const std::string& runs_to_version) {
  ScanOptions scan;
  scan.filter = filter;
  auto selected = scan_instances(fleet, environment, scan);
  if (!selected) return selected.error();
  FleetStatus status;
  status.environment = environment;
  for (const ScannedInstance& scanned : *selected) {
    InstanceStatus row;
    row.id = scanned.ref.id;
    row.slug = slug_of(scanned.instance, scanned.ref.id);
    row.type = instance_type(scanned.instance);
    row.version = instance_text(scanned.instance, "spec", "sourcegraphVersion");
    row.channel = instance_text(scanned.instance, "spec", "releaseChannel");
    row.last_run = newest_run(fleet, scanned.ref, runs_to_version);
    row.lock = InstanceLock::current(fleet.state_dir(scanned.ref));
    ++status.version_counts[row.version];
    status.instances.push_back(std::move(row));
  }
  return status;
}

void attach_upgrade_prs(FleetStatus& status, const Json& prs) {
  if (!prs.is_array()) return;
  for (auto& row : status.instances) {
    const std::string prefix = row.slug + ": upgrade to ";
    for (const auto& pr : prs) {
      if (!pr.is_object() || pr.value("title", "").rfind(prefix, 0) != 0) continue;
      row.pr_url = pr.value("url", "");
      row.pr_number = pr.value("number", int64_t{0});
      break;
    }
  }
}

std::vector<std::pair<std::string, size_t>> FleetStatus::versions_by_count() const {
  std::vector<std::pair<std::string, size_t>> list(version_counts.begin(), version_counts.end());
  std::sort(list.begin(), list.end(), [](const auto& a, const auto& b) {
    if (a.second != b.second) return a.second > b.second;
    return version_above(a.first, b.first);
  });
  return list;
}

Json FleetStatus::to_json() const {
  Json rows = Json::array();
  for (const auto& r : instances) {
    Json pr = r.pr_url.empty() ? Json(nullptr) : Json{{"number", r.pr_number}, {"url", r.pr_url}};
    rows.push_back({{"id", r.id},
                    {"slug", r.slug},
                    {"type", r.type},
                    {"version", r.version},
                    {"channel", r.channel},
                    {"last_run", run_json(r.last_run)},
                    {"pr", pr},
                    {"lock", r.lock ? r.lock->to_json() : Json(nullptr)},
                    {"lock_stale", r.lock ? r.lock->stale() : false}});
  }
  Json versions = Json::array();
  for (const auto& [version, count] : versions_by_count())
    versions.push_back({{"version", version}, {"instances", count}});
  return {{"environment", environment}, {"instances", rows}, {"versions", versions}};
}

}  // namespace mi2
