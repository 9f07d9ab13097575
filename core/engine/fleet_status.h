// Where an environment's instances stand, read from the fleet alone: each
// selected instance's version, channel and type (config.yaml), its newest run
// (the run journals) and its lock (lock.json), plus how many instances are at
// each version. `mi2 env status` prints it and adds the open upgrade PRs.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/base/json.h"
#include "core/base/result.h"
#include "core/engine/instance_lock.h"
#include "core/engine/run_history.h"
#include "core/fleet/fleet.h"

namespace mi2 {

struct InstanceStatus {
  std::string id, slug, type, version, channel;
  std::optional<RunSummary> last_run;
  std::optional<LockInfo> lock;
  std::string pr_url;  // the open upgrade PR, when the forge was asked and has one
  int64_t pr_number = 0;
};

struct FleetStatus {
  std::string environment;
  std::vector<InstanceStatus> instances;         // by id
  std::map<std::string, size_t> version_counts;  // version -> instances at it

  // The versions, most instances first (ties: the higher version first).
  std::vector<std::pair<std::string, size_t>> versions_by_count() const;
  Json to_json() const;
};

// `filter` is a jq expression as `env upgrade -filter` takes (empty: all).
// With `runs_to_version`, each last_run is the newest run to that version
// (`env tracking-issue sync`), else the newest run of all.
Result<FleetStatus> read_fleet_status(const Fleet& fleet, const std::string& environment,
                                      const std::string& filter,
                                      const std::string& runs_to_version = "");

// Fills pr_url/pr_number from a forge's open PRs (`pr-list` output items):
// an upgrade PR's title is "<slug>: upgrade to <V>".
void attach_upgrade_prs(FleetStatus& status, const Json& prs);

}  // namespace mi2
