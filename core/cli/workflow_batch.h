// The record of one `mi2 env workflow run -exec`: a batch of CI dispatches,
// one per instance, each with its unique dispatch id, what became of it
// (pending, dispatched, not dispatched, uncertain) and its run's last known
// state. Kept as JSON in <fleet root>/.mi2/workflow-batches/<batch id>.json,
// written temp + rename after every change, so `-exec --resume`, `env
// workflow status` and the duplicate check read the truth after any stop.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/base/json.h"
#include "core/base/result.h"
#include "core/fleet/fleet.h"

namespace mi2::cli {

enum class DispatchState {
  kPending,        // not sent yet: known not to have started a run
  kDispatched,     // the forge accepted it (its run may not be found yet)
  kNotDispatched,  // refused, or never sent: known not to have started a run
  kUncertain,      // sent, reply lost: a run may have started
};

std::string_view dispatch_state_name(DispatchState state);
std::optional<DispatchState> dispatch_state_from(std::string_view name);

struct DispatchEntry {
  std::string instance;
  std::string slug;
  std::string dispatch_id;
  Json inputs = Json::object();
  DispatchState state = DispatchState::kPending;
  bool run_found = false;
  int64_t run_id = 0;
  std::string url;        // the run's page, else the workflow's page
  std::string run_state;  // queued, in_progress, success, failure; "" while unknown
  std::string detail;     // the forge's own words for the state
  std::string error;      // why it was not (or may not have been) dispatched
};

struct DispatchBatch {
  std::string id;  // "wf-20261203T061500Z-3fa2c1"
  std::string environment;
  std::string workflow_name;  // the template: upgrade-instance
  std::string workflow;       // the CI workflow: mi_upgrade.yml
  std::string ref;            // empty: the plugin's default
  std::string created;        // UTC
  std::vector<DispatchEntry> entries;
};

// "wf-" + a fresh run id; each entry's dispatch id is "<batch id>-<instance>".
std::string new_batch_id();
bool valid_batch_id(const std::string& id);
std::string dispatch_id_for(const std::string& batch_id, const std::string& instance);

// A run state that will not change any more.
bool run_finished(const std::string& run_state);
// The entry still has (or may have) a run that has not finished.
bool in_flight(const DispatchEntry& entry);

std::filesystem::path batch_path(const Fleet& fleet, const std::string& batch_id);
Status save_batch(const Fleet& fleet, const DispatchBatch& batch);
Result<DispatchBatch> load_batch(const Fleet& fleet, const std::string& batch_id);
// The batch ids of `environment`, oldest first (ids sort by time).
Result<std::vector<std::string>> batch_ids(const Fleet& fleet, const std::string& environment);

// One entry as `-format json` prints it: {instance, slug, dispatch_id,
// dispatched (true, false, or null when unknown), run_id, run_url, state, error}.
Json entry_report(const DispatchEntry& entry);

}  // namespace mi2::cli
