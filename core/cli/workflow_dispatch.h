// `mi2 env workflow run -exec`: dispatches a batch of CI runs through the
// vcs plugin, several in flight at once, each with its own dispatch id so
// each instance is shown its own run; records every outcome in the batch
// file (workflow_batch.h) before and after each dispatch; refuses an instance
// whose earlier run of the same workflow is still in flight.
#pragma once

#include "core/cli/cli.h"
#include "core/cli/session.h"
#include "core/cli/workflow_batch.h"
#include "core/cli/workflow_status.h"

namespace mi2::cli {

struct DispatchOptions {
  unsigned concurrency = 1;
  bool json = false;             // print a JSON array instead of a line per dispatch
  bool allow_duplicate = false;  // dispatch even while an earlier run is in flight
  bool wait = false;             // then watch the runs until they finish
  WatchOptions watch;
};

// Dispatches every entry of `batch` still pending or not dispatched (a new
// batch: all of them; a resumed one: only those known not to have started a
// run). Returns the exit code.
int dispatch_batch(CommandContext& ctx, Session& session, DispatchBatch& batch,
                   const DispatchOptions& options);

}  // namespace mi2::cli
