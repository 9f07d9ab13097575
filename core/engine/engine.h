// Runs a recipe on one instance: locks it, journals every step, retries
// retryable failures with backoff, enforces step deadlines, rolls back a
// failed verification, and resumes a failed or killed run from its journal.
// The plugins are reached through a StepInvoker and time through a Clock, so
// the engine runs in-process in tests against fakes.
#pragma once

#include <atomic>
#include <filesystem>
#include <iosfwd>
#include <memory>
#include <string>

#include "core/base/json.h"
#include "core/engine/recipe.h"
#include "core/engine/run_result.h"
#include "core/engine/step_invoker.h"
#include "core/fleet/fleet.h"
#include "core/sys/clock.h"

namespace mi2 {

class ProviderSet;

// What a run is doing, as it happens: for live progress displays. Called from
// the thread that runs the instance.
class RunProgress {
 public:
  virtual ~RunProgress() = default;
  virtual void on_step_started(const std::string& step, size_t index, size_t total) = 0;
  // A plugin's host progress() call: fraction 0..1 (negative when unknown).
  virtual void on_plugin_progress(const std::string& plugin, double fraction,
                                  const std::string& message) = 0;
};

struct RunOptions {
  std::string target_version;   // required for a new run; "latest" asks the vcs plugin
  bool dry_run = false;         // print the plan; change nothing on disk
  std::string resume_run_id;    // continue this run, skipping its completed steps
  bool force = false;           // allow version skips of more than one minor
  std::ostream* out = nullptr;  // human progress lines (and the plan in dry-run)
  // Where plugin log lines go as well as the journal; when set they are not
  // also logged to the process's log (stderr), so a live display stays whole.
  std::ostream* plugin_log = nullptr;
  RunProgress* progress = nullptr;
  // `out` is a terminal: the running step (and its plugins' progress messages)
  // is shown on one line redrawn in place until the step's result replaces it.
  bool live = false;
  const std::atomic<bool>* cancel_flag = nullptr;
};

struct RunOutcome {
  std::string run_id;
  RunResult result = RunResult::kRefused;
  std::string error;        // one sentence when not succeeded
  std::string failed_step;  // the step that failed
  Json pr;                  // the vcs publish output's "pr", when any
  std::filesystem::path journal_path;
  bool ok() const { return result == RunResult::kSucceeded || result == RunResult::kPlanned; }
};

class RunEngine {
 public:
  RunEngine(const Fleet& fleet, StepInvoker& invoker, Clock& clock = system_clock())
      : fleet_(fleet), invoker_(invoker), clock_(clock) {}
  // The usual case: the plugins of a provider set, the real clock.
  RunEngine(const Fleet& fleet, ProviderSet& providers);

  RunOutcome run(const InstanceRef& instance, const Recipe& recipe, const RunOptions& options);

 private:
  const Fleet& fleet_;
  std::unique_ptr<StepInvoker> owned_;
  StepInvoker& invoker_;
  Clock& clock_;
};

// The runs folder of an instance: <state_dir>/runs.
std::filesystem::path runs_dir(const Fleet& fleet, const InstanceRef& instance);

}  // namespace mi2
