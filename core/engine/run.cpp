// The run loop: prepare (new or resumed), then each step in order, journaled;
// a failing step stops the run, rolls back, or is noted, as the recipe says.
#include "core/engine/run.h"

#include <unistd.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <ostream>
#include <sstream>

#include "core/base/text.h"
#include "core/engine/version_policy.h"
#include "core/host/providers.h"

namespace mi2 {

std::string format_step_seconds(double s) {
  std::ostringstream os;
  if (s < 1) {
    os << static_cast<long>(s * 1000 + 0.5) << "ms";
    return os.str();
  }
  os.setf(std::ios::fixed);
  os.precision(s < 10 ? 1 : 0);
  os << s << "s";
  return os.str();
}

void Run::journal(Json event) {
  if (!journal_) return;
  Status appended = journal_->append(std::move(event));
  if (!appended && journal_error_.empty()) journal_error_ = appended.message();
}

void Run::print(const std::string& line) {
  if (!out_) return;
  if (transient_shown_) *out_ << "\r\033[K";
  transient_shown_ = false;
  *out_ << escape_control(line) << std::endl;  // plugin errors echo input
}

void Run::show_transient(const std::string& line) {
  if (!out_ || !options_.live) return;
  *out_ << "\r\033[K" << line << std::flush;
  transient_shown_ = true;
}

CallSettings Run::call_settings(std::optional<Clock::TimePoint> deadline) {
  return CallSettings{options_.dry_run, deadline, options_.cancel_flag, this};
}

void Run::on_command(const std::string& plugin, const std::string& kind, const Json& record) {
  Json event = record;
  event["event"] = "command";
  event["kind"] = kind;
  event["plugin"] = plugin;
  event["step"] = current_step_;
  journal(std::move(event));
  if (options_.dry_run) print_planned_command(kind, record);
}

void Run::on_log(const std::string& plugin, mi2_log_level level, const std::string& message) {
  journal({{"event", "log"},
           {"step", current_step_},
           {"plugin", plugin},
           {"level", static_cast<int>(level)},
           {"message", message}});
  static const char* kLevels[] = {"debug", "info", "warn", "error"};
  const char* name = kLevels[std::clamp(static_cast<int>(level), 0, 3)];
  if (options_.plugin_log) {
    *options_.plugin_log << plugin << " " << name << ": " << message << std::endl;
  } else if (options_.live && level != MI2_LOG_DEBUG) {
    // Above the live step line, not through stderr across it (debug: the journal).
    print(std::string("      ") + plugin + ": " +
          (level >= MI2_LOG_WARN ? name + std::string(": ") : "") + message);
    if (!current_step_.empty()) show_transient(current_counter_ + current_step_ + " ...");
  }
}

void Run::on_progress(const std::string& plugin, double fraction, const std::string& message) {
  if (options_.progress) options_.progress->on_plugin_progress(plugin, fraction, message);
  if (message.empty() && fraction < 0) return;
  std::string text = plugin + ": " + message;
  if (fraction >= 0 && fraction <= 1)
    text += " (" + std::to_string(static_cast<int>(fraction * 100 + 0.5)) + "%)";
  if (options_.live && !options_.dry_run)
    show_transient(current_counter_ + current_step_ + " - " + text);
  else
    print("      " + text);
  if (options_.plugin_log && options_.plugin_log != out_)
    *options_.plugin_log << "      " << text << std::endl;
}

std::string Run::journal_failure_before(const std::string& step) const {
  if (journal_error_.empty()) return "";
  return "the run journal could not be written (" + journal_error_ + "); the run stopped before '" +
         step +
         "' so that nothing happens unrecorded; free the disk or fix the file, then resume "
         "with --resume " +
         run_id_;
}

Status Run::take_lock_and_journal(bool resume) {
  auto lock = InstanceLock::acquire(fleet_.state_dir(instance_), run_id_);
  if (!lock) return lock.error();
  lock_.emplace(std::move(*lock));
  auto path = runs_dir(fleet_, instance_) / (run_id_ + ".jsonl");
  auto opened =
      resume ? RunJournal::open(path) : RunJournal::create(runs_dir(fleet_, instance_), run_id_);
  if (!opened) return opened.error();
  journal_.emplace(std::move(*opened));
  return {};
}

Status Run::prepare_new() {
  auto loaded = load_instance(instance_);
  if (!loaded) return loaded.error();
  instance_json_ = std::move(*loaded);
  auto previous = instance_version(instance_json_, instance_.config_path().string());
  if (!previous) return previous.error();
  previous_ = *previous;
  target_ = options_.target_version;
  if (target_.empty())
    return make_error("no target version: pass -target-version V (a version or 'latest')");
  if (target_ != "latest") {
    if (auto valid = validate_version(target_); !valid) return valid;
  }
  run_id_ = new_run_id();
  if (options_.dry_run) return {};
  if (auto taken = take_lock_and_journal(false); !taken) return taken;
  Json started = {{"event", "run_started"},        {"run_id", run_id_},
                  {"recipe", recipe_.name},        {"environment", instance_.environment},
                  {"instance", instance_.id},      {"target_version", target_},
                  {"previous_version", previous_}, {"pid", static_cast<long>(getpid())},
                  {"force", options_.force}};
  if (auto took = lock_->took_over()) started["took_over_lock"] = took->to_json();
  journal(started);
  if (!journal_error_.empty()) return make_error("cannot write the run journal: " + journal_error_);
  return {};
}

Status Run::prepare_resume() {
  run_id_ = options_.resume_run_id;
  if (!is_valid_run_id(run_id_))
    return make_error("'" + run_id_ + "' is not a run id (see 'mi2 run list')");
  auto path = runs_dir(fleet_, instance_) / (run_id_ + ".jsonl");
  auto state = read_resume_state(path, recipe_.name);
  if (!state) return state.error();
  target_ = state->target_version;
  previous_ = state->previous_version;
  options_.force = options_.force || state->force;
  completed_ = state->completed_steps;
  outputs_ = state->outputs;

  auto loaded = load_instance(instance_);
  if (!loaded) return loaded.error();
  instance_json_ = std::move(*loaded);
  if (options_.dry_run) return {};
  if (auto taken = take_lock_and_journal(true); !taken) return taken;
  Json resumed = {
      {"event", "run_resumed"},
      {"run_id", run_id_},
      {"pid", static_cast<long>(getpid())},
      {"completed_steps", std::vector<std::string>(completed_.begin(), completed_.end())}};
  if (auto took = lock_->took_over()) resumed["took_over_lock"] = took->to_json();
  journal(resumed);
  if (!journal_error_.empty()) return make_error("cannot write the run journal: " + journal_error_);
  return {};
}

RunOutcome Run::finish(RunResult result, const std::string& error, const std::string& failed_step) {
  RunOutcome outcome;
  outcome.run_id = run_id_;
  outcome.result = result;
  outcome.error = error;
  outcome.failed_step = failed_step;
  outcome.pr = pr_;
  if (journal_) outcome.journal_path = journal_->path();
  if (result != RunResult::kRefused && !options_.dry_run) {
    journal({{"event", "run_finished"},
             {"result", to_string(result)},
             {"error", error},
             {"failed_step", failed_step},
             {"seconds", seconds_between(started_, clock_.now())}});
  }
  if (lock_) lock_->release();
  if (transient_shown_ && out_) *out_ << "\r\033[K" << std::flush;
  transient_shown_ = false;
  return outcome;
}

RunOutcome Run::fail_step(const RecipeStep& step, const StepResult& result) {
  if (result.status == StepStatus::kCancelled)
    return finish(RunResult::kCancelled,
                  "interrupted during " + step.name + "; resume with --resume " + run_id_,
                  step.name);
  if (step.on_failure == OnFailure::kRollback && !options_.dry_run) {
    StepResult rolled = rollback(step);
    std::string error = "step '" + step.name + "' failed (" + result.error + ")";
    if (!rolled.ok())
      return finish(RunResult::kFailed,
                    error + "; the automatic rollback also failed: " + rolled.error, step.name);
    return finish(RunResult::kRolledBack,
                  error + "; the workload was rolled back to " + previous_ + " and is healthy",
                  step.name);
  }
  std::string hint =
      options_.dry_run ? "" : "; fix the cause, then resume with --resume " + run_id_;
  return finish(RunResult::kFailed, "step '" + step.name + "' failed: " + result.error + hint,
                step.name);
}

RunOutcome Run::execute() {
  if (auto bound = check_recipe_bindings(
          recipe_, [this](const std::string& role) { return !invoker_.providers(role).empty(); });
      !bound)
    return finish(RunResult::kRefused, bound.message(), "");
  Status prepared = options_.resume_run_id.empty() ? prepare_new() : prepare_resume();
  if (!prepared) return finish(RunResult::kRefused, prepared.message(), "");
  print_plan_header();

  const size_t total = recipe_.steps.size();
  for (size_t i = 0; i < total; ++i) {
    const RecipeStep& step = recipe_.steps[i];
    std::string counter = "[" + std::to_string(i + 1) + "/" + std::to_string(total) + "] ";
    if (completed_.count(step.name)) {
      print(counter + step.name + ": done in an earlier attempt, skipped");
      journal({{"event", "step_skipped"}, {"step", step.name}, {"reason", "completed earlier"}});
      continue;
    }
    if (cancelled())
      return finish(RunResult::kCancelled, "interrupted; resume with --resume " + run_id_,
                    step.name);
    if (std::string stop = journal_failure_before(step.name); !stop.empty())
      return finish(RunResult::kFailed, stop, step.name);
    if (lock_) {
      if (auto kept = lock_->refresh(); !kept)
        return finish(RunResult::kFailed,
                      kept.message() + "; the run stopped before '" + step.name +
                          "' so that two runs never change the instance at once; resume with "
                          "--resume " +
                          run_id_ + " when no other run holds it",
                      step.name);
    }
    current_step_ = step.name;
    current_counter_ = counter;
    if (options_.progress) options_.progress->on_step_started(step.name, i, total);
    print_planned_step(counter, step);
    if (!options_.dry_run) show_transient(counter + step.name + " ...");
    auto step_start = clock_.now();
    journal({{"event", "step_started"},
             {"step", step.name},
             {"index", i},
             {"role", step.role},
             {"action", step.action}});
    if (std::string stop = journal_failure_before(step.name); !stop.empty())
      return finish(RunResult::kFailed, stop, step.name);

    StepResult result = run_step(step);
    double took = seconds_between(step_start, clock_.now());
    journal({{"event", "step_finished"},
             {"step", step.name},
             {"result", to_string(result.status)},
             {"error", result.error},
             {"outputs", result.outputs},
             {"seconds", took}});
    if (result.ok()) {
      outputs_[step.name] = result.outputs;
      if (!options_.dry_run) {
        print(counter + step.name + ": " + to_string(result.status) + " (" +
              format_step_seconds(took) + ")" + (result.note.empty() ? "" : " - " + result.note));
      } else if (!result.note.empty()) {
        print("      " + result.note);
      }
      continue;
    }
    print(counter + step.name + ": " + to_string(result.status) + " (" + format_step_seconds(took) +
          ") - " + result.error);
    if (step.on_failure == OnFailure::kContinue && result.status != StepStatus::kCancelled)
      continue;
    return fail_step(step, result);
  }
  current_step_.clear();
  if (!journal_error_.empty())
    return finish(RunResult::kFailed,
                  "every step ran, but the run journal could not be written (" + journal_error_ +
                      "); check it before trusting 'mi2 run show'",
                  "");
  return finish(options_.dry_run ? RunResult::kPlanned : RunResult::kSucceeded, "", "");
}

std::filesystem::path runs_dir(const Fleet& fleet, const InstanceRef& instance) {
  return fleet.state_dir(instance) / "runs";
}

RunEngine::RunEngine(const Fleet& fleet, ProviderSet& providers)
    : fleet_(fleet),
      owned_(std::make_unique<ProviderInvoker>(providers)),
      invoker_(*owned_),
      clock_(system_clock()) {}

RunOutcome RunEngine::run(const InstanceRef& instance, const Recipe& recipe,
                          const RunOptions& options) {
  Run run(fleet_, invoker_, clock_, instance, recipe, options);
  return run.execute();
}

}  // namespace mi2
