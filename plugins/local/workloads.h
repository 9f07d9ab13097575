// The apply and healthcheck roles: an instance's workloads as local processes.
//
// state_dir/local/deployment.json records what runs:
//   {"version", "previous_version", "workloads": [process...],
//    "candidates": [process...], "rollout": {"version", "state", "started"}}
// where a process is {"name", "version", "pid", "port", "log", "started"}.
// Candidates are written before the rollout waits for them, so a rollout
// killed half-way (kill -9 of mi2) leaves nothing untracked; the next apply
// stops them and starts over. pids/<name>-<version>.pid mirrors each process.
#pragma once

#include <string>
#include <vector>

#include "local_context.h"

namespace mi2::local {

struct DesiredWorkload {
  std::string name;
  std::string version;
};

// apply.apply: runs the workloads kubernetes/kustomization.yaml lists at its
// tags (start new, wait healthy with a deadline, stop old). When a new process
// does not become healthy within rollout_timeout_ms the apply fails (an
// sdk::Failure whose output says "rollout": "stuck", with every workload):
// the old processes keep serving and the new ones stay, as a stuck Deployment
// does, so pods-health reports them until apply.rollback removes them.
json apply_workloads(LocalContext& ctx);
// apply.rollback: back to params.to_version (default: the version before the
// last rollout) for every workload.
json rollback_workloads(LocalContext& ctx);
// healthcheck.check for pods-health and src-application-version.
json check_pods_health(LocalContext& ctx);
json check_application_version(LocalContext& ctx);
// Stops every process recorded for the instance (tests, restore, clean-up).
void stop_all_workloads(LocalContext& ctx);
// The workload binary to run (MI2_WORKLOAD_BINARY, config, next to the plugin).
std::string workload_binary(const LocalContext& ctx);

// Lower level, shared with restore: brings the workloads to `desired`. A
// rollout that does not get healthy throws; with keep_stuck false its new
// processes are stopped first, with keep_stuck true they stay (see apply).
json rollout(LocalContext& ctx, const std::vector<DesiredWorkload>& desired,
             const std::string& version, bool keep_stuck);

}  // namespace mi2::local
