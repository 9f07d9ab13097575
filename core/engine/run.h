// One run of a recipe on one instance, as the engine executes it. Internal to
// engine/: run.cpp holds the run loop, run_steps.cpp the steps, run_plan.cpp
// the dry-run plan printer, run_rollback.cpp the automatic rollback.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>

#include "core/base/result.h"
#include "core/engine/engine.h"
#include "core/engine/instance_lock.h"
#include "core/engine/journal.h"
#include "core/engine/run_history.h"

namespace mi2 {

struct StepResult {
  StepStatus status = StepStatus::kOk;
  std::string error;
  Json outputs = Json::object();  // plugin name -> output
  std::string note;               // shown after the result
  bool ok() const { return status == StepStatus::kOk || status == StepStatus::kSkipped; }
};

class Run : public StepObserver {
 public:
  Run(const Fleet& fleet, StepInvoker& invoker, Clock& clock, const InstanceRef& instance,
      const Recipe& recipe, const RunOptions& options)
      : fleet_(fleet),
        invoker_(invoker),
        clock_(clock),
        instance_(instance),
        recipe_(recipe),
        options_(options),
        out_(options.out),
        started_(clock.now()) {}

  RunOutcome execute();

  // StepObserver: what plugins do, into the journal (and the plan).
  void on_command(const std::string& plugin, const std::string& kind, const Json& record) override;
  void on_log(const std::string& plugin, mi2_log_level level, const std::string& message) override;
  void on_progress(const std::string& plugin, double fraction, const std::string& message) override;
  // A live terminal line or a run log of its own: plugin log lines are the run's to place.
  bool takes_logs() const override { return options_.plugin_log != nullptr || options_.live; }

 private:
  // run.cpp
  Status prepare_new();
  Status prepare_resume();
  Status take_lock_and_journal(bool resume);
  // The sentence that stops the run when a journal write failed, else "".
  std::string journal_failure_before(const std::string& step) const;
  RunOutcome finish(RunResult result, const std::string& error, const std::string& failed_step);
  RunOutcome fail_step(const RecipeStep& step, const StepResult& result);

  // run_steps.cpp
  StepResult run_step(const RecipeStep& step);
  StepResult run_builtin(const RecipeStep& step);
  // Before anything changes: the slug and version are usable, and every bound
  // provider that serves `preflight` says it can do the run. "" when all can.
  std::string preflight(const RecipeStep& step);
  StepResult run_role_step(const RecipeStep& step, const Json& params);
  StepResult invoke_with_retries(const RecipeStep& step, const std::string& provider,
                                 const Json& input);
  StepReply invoke_once(const std::string& provider, const std::string& role,
                        const std::string& action, const Json& input);
  Json step_input(const RecipeStep& step, const Json& params) const;
  Json publish_params();

  // run_plan.cpp
  void print_plan_header();
  void print_planned_step(const std::string& counter, const RecipeStep& step);
  void print_planned_command(const std::string& kind, const Json& record);

  // run_rollback.cpp
  StepResult rollback(const RecipeStep& failed_step);

  void journal(Json event);
  void print(const std::string& line);
  void show_transient(const std::string& line);  // live only: redrawn in place
  bool cancelled() const { return options_.cancel_flag && options_.cancel_flag->load(); }
  CallSettings call_settings(std::optional<Clock::TimePoint> deadline);

  const Fleet& fleet_;
  StepInvoker& invoker_;
  Clock& clock_;
  InstanceRef instance_;
  const Recipe& recipe_;
  RunOptions options_;
  std::ostream* out_;

  std::string run_id_;
  std::string target_;
  std::string previous_;
  Json instance_json_;
  std::optional<RunJournal> journal_;
  std::string journal_error_;  // the first failed journal write
  std::optional<InstanceLock> lock_;
  std::set<std::string> completed_;
  std::map<std::string, Json> outputs_;  // step name -> {plugin: output}
  std::string current_step_;
  std::string current_counter_;   // "[3/10] "
  bool transient_shown_ = false;  // a live line waits to be replaced
  // A dry run has shown (not made) a change: later health checks see the old
  // workload, so their failures are noted, not the run's.
  bool dry_run_changed_ = false;
  Clock::TimePoint started_;
  Json pr_;
};

// "12ms" under a second, then "1.4s", "12s": a step's duration for progress lines.
std::string format_step_seconds(double seconds);

}  // namespace mi2
