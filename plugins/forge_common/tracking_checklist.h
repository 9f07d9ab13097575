// The runbook's last step, "update the tracking issue", as a rewrite of the
// issue's checklist: every instance whose upgrade PR for the version merged
// (by hand or by auto-merge) is ticked, every one whose last run to the version
// failed is marked, a mark goes once the instance merged or a later run
// succeeded, and every other line stays as it is. The same rewrite serves
// every forge: GitHub and GitLab through forge_actions.cpp, the local plugin's
// folder forge directly.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

#include "forge_common/forge.h"

namespace mi2::forge {

// What the mark after a failed instance's item starts with:
// "- [ ] acme (src-a1) ❌ failed at migrate (run 20240101T000000Z-a1b2c3)".
// A sync replaces everything from it to the end of the line, never appends.
inline constexpr const char* kFailureMark = " \u274C ";

// One instance of the environment, as the host knows it.
struct TrackedInstance {
  std::string id, slug;
  // The newest run to the version in the host's journals: its result
  // ("succeeded", "failed", "rolled_back"; anything else counts as no news),
  // id and failed step. Empty when the host has no run to the version.
  std::string run_result, run_id, failed_step;
};

struct TrackingSyncRequest {
  std::string environment, version;
  std::vector<TrackedInstance> instances;
};

// vcs.tracking-issue-sync's params: {"environment", "version", "instances":
// [{"id", "slug", "run": null | {"run_id", "result", "failed_step"}}]}.
// Throws sdk::invalid_input naming what is missing or malformed.
TrackingSyncRequest read_tracking_sync_request(const Json& params);

enum class SyncChange { kNone, kTicked, kMarked, kCleared };

struct SyncedInstance {
  std::string id, slug;
  bool listed = false;  // a checklist item names it
  // merged, failed, succeeded, open, closed (its PR, no run news) or none.
  std::string state;
  SyncChange change = SyncChange::kNone;
  std::optional<PullRequest> pr;  // its upgrade PR for the version, if any
  std::string mark;               // the failure mark its line carries now ("" none)
};

struct TrackingSync {
  std::string body;  // the issue body after the sync
  bool changed = false;
  std::vector<SyncedInstance> instances;  // in the request's order
  int ticked = 0, marked = 0, cleared = 0, unchanged = 0;
  int not_listed = 0;  // merged or failed instances the checklist lacks
};

// The issue body brought up to date with `prs` (the forge's `mi-upgrade` PRs
// in every state) and the runs in `request`. An instance's PR for the version
// is titled "<slug>: upgrade to <version>"; one whose body names another
// environment ("environment `dev`") is another instance's. A PR that merged
// wins over an open or closed one, and over a failed run.
TrackingSync sync_tracking_checklist(const std::string& body, const TrackingSyncRequest& request,
                                     const std::vector<PullRequest>& prs);

// The item text without its failure mark.
std::string without_failure_mark(const std::string& text);

// vcs.tracking-issue-sync's output: {"issue", "dry_run", "changed", "updated",
// "summary": {ticked, failed, cleared, unchanged, not_listed}, "instances": [...]}.
Json tracking_sync_json(const Issue& issue, const TrackingSync& sync, bool dry_run, bool updated);

// The failure every forge raises when the version has no tracking issue: its
// output says {"found": false} so the host can say how to create one.
[[noreturn]] void throw_no_tracking_issue(const std::string& title,
                                          const TrackingSyncRequest& request);

}  // namespace mi2::forge
