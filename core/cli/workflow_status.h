// Watching a batch of CI dispatches: asks the vcs plugin (workflow-run-status)
// for each in-flight run until every one has finished or the deadline
// passes, on an injected clock so tests never sleep. Used by
// `mi2 env workflow status` and `mi2 env workflow run -exec --wait`.
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include "core/base/result.h"
#include "core/cli/cli.h"
#include "core/cli/session.h"
#include "core/cli/workflow_batch.h"
#include "core/sys/clock.h"

namespace mi2::cli {

// What the forge says of one dispatch's run now.
struct RunUpdate {
  bool found = false;
  int64_t run_id = 0;
  std::string url;
  std::string state;  // queued, in_progress, success, failure
  std::string detail;
};

using RunFetcher = std::function<Result<RunUpdate>(const DispatchBatch&, const DispatchEntry&)>;

struct WatchOptions {
  bool wait = true;  // false: one look at every run, then report
  std::chrono::milliseconds interval{15000};
  std::chrono::milliseconds timeout{std::chrono::hours(3)};
};

struct WatchResult {
  size_t succeeded = 0;
  size_t failed = 0;
  size_t unfinished = 0;      // still queued / in progress, or not found yet, at the end
  size_t not_dispatched = 0;  // never started (pending or refused)
  size_t uncertain = 0;       // reply lost and no run found by its dispatch id
  bool timed_out = false;
};

// Applies `update` to `entry`; true when something an operator sees changed.
bool apply_update(DispatchEntry& entry, const RunUpdate& update);

// Polls every entry that is (or may be) in flight until all have finished,
// the timeout passes or `cancelled()`; `on_change` after each entry whose
// state changed, `after_round` after each round (saves the batch).
WatchResult watch_runs(DispatchBatch& batch, const RunFetcher& fetch, Clock& clock,
                       const WatchOptions& options,
                       const std::function<void(const DispatchEntry&)>& on_change,
                       const std::function<void()>& after_round,
                       const std::function<bool()>& cancelled);

// The vcs plugin's workflow-run-status for an entry (by run id, else by its
// dispatch id).
RunFetcher vcs_run_fetcher(Session& session, Provider& vcs, const std::atomic<bool>* cancel);

// Watches `batch` as the CLI does: a line per change, a summary, the batch
// saved after each round. Returns the exit code (1 when any run failed, was
// not dispatched or did not finish).
int watch_batch(CommandContext& ctx, Session& session, Provider& vcs, DispatchBatch& batch,
                const WatchOptions& options, bool json, Clock& clock);

}  // namespace mi2::cli
