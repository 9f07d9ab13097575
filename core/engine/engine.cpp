#include "core/engine/engine.h"

#include <unistd.h>

#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <set>
#include <sstream>
#include <thread>

#include "core/engine/instance_lock.h"
#include "core/engine/journal.h"
#include "core/engine/upgrade_pr.h"
#include "core/engine/version_policy.h"
#include "core/host/step_input.h"
#include "core/yaml/config_edit.h"

namespace mi2 {
namespace {

using Clock = std::chrono::steady_clock;

struct StepResult {
  std::string result = "ok";  // ok, failed, skipped, timeout, cancelled
  std::string error;
  Json outputs = Json::object();  // plugin name -> output
  std::string note;               // shown after the result
};

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

std::string format_seconds(double s) {
  std::ostringstream os;
  os.setf(std::ios::fixed);
  os.precision(s < 10 ? 1 : 0);
  os << s << "s";
  return os.str();
}

std::string quote_arg(const std::string& arg) {
  if (!arg.empty() && arg.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                            "0123456789-_./=:,@%+") == std::string::npos)
    return arg;
  std::string quoted = "'";
  for (char c : arg) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

std::string status_result(mi2_status status) {
  if (status == MI2_TIMEOUT) return "timeout";
  if (status == MI2_CANCELLED) return "cancelled";
  return "failed";
}

// Failing checks of a healthcheck output, as one sentence; empty when all pass.
std::string failing_checks(const Json& output) {
  if (!output.is_object() || output.value("ok", true)) return "";
  std::string failures;
  for (const auto& check : output.value("checks", Json::array())) {
    if (check.value("ok", true)) continue;
    if (!failures.empty()) failures += "; ";
    failures += check.value("name", "?") + ": " + check.value("summary", "failed");
  }
  return failures.empty() ? "a health check failed" : failures;
}

class Run : public StepObserver {
 public:
  Run(const Fleet& fleet, ProviderSet& providers, const InstanceRef& instance, const Recipe& recipe,
      const RunOptions& options)
      : fleet_(fleet),
        providers_(providers),
        instance_(instance),
        recipe_(recipe),
        options_(options),
        out_(options.out) {}

  RunOutcome execute();

  // StepObserver
  void on_command(const std::string& plugin, const std::string& kind, const Json& record) override {
    Json event = record;
    event["event"] = "command";
    event["kind"] = kind;
    event["plugin"] = plugin;
    event["step"] = current_step_;
    if (journal_) (void)journal_->append(event);
    if (options_.dry_run) print_planned_command(kind, record);
  }
  void on_log(const std::string& plugin, mi2_log_level level, const std::string& message) override {
    if (journal_) {
      (void)journal_->append({{"event", "log"},
                              {"step", current_step_},
                              {"plugin", plugin},
                              {"level", static_cast<int>(level)},
                              {"message", message}});
    }
  }

 private:
  Status prepare_new();
  Status prepare_resume();
  StepResult run_step(const RecipeStep& step);
  StepResult run_builtin(const RecipeStep& step);
  StepResult run_role_step(const RecipeStep& step, const Json& params);
  StepResult invoke_with_retries(const RecipeStep& step, Provider& provider, const Json& input);
  StepResult rollback(const RecipeStep& failed_step);
  Json publish_params();
  Json step_input(const RecipeStep& step, const Json& params) const;
  void journal(Json event) {
    if (journal_) (void)journal_->append(std::move(event));
  }
  void print(const std::string& line) {
    if (out_) *out_ << line << std::endl;
  }
  void print_planned_command(const std::string& kind, const Json& record);
  RunOutcome finish(const std::string& result, const std::string& error,
                    const std::string& failed_step);
  bool cancelled() const { return options_.cancel_flag && options_.cancel_flag->load(); }

  const Fleet& fleet_;
  ProviderSet& providers_;
  InstanceRef instance_;
  const Recipe& recipe_;
  RunOptions options_;
  std::ostream* out_;

  std::string run_id_;
  std::string target_;
  std::string previous_;
  Json instance_json_;
  std::optional<RunJournal> journal_;
  std::optional<InstanceLock> lock_;
  std::set<std::string> completed_;
  std::map<std::string, Json> outputs_;  // step name -> {plugin: output}
  std::string current_step_;
  Clock::time_point started_ = Clock::now();
  Json pr_;
};

Json Run::step_input(const RecipeStep& step, const Json& params) const {
  Json input = base_step_input(fleet_, instance_, instance_json_);
  if (!run_id_.empty()) input["run_id"] = run_id_;
  input["step"] = step.name;
  input["dry_run"] = options_.dry_run;
  input["target_version"] = target_;
  input["previous_version"] = previous_;
  input["force"] = options_.force;  // a forced skip takes the multi-version migration path
  input["params"] = params.is_null() ? Json::object() : params;
  Json checkpoints = Json::object();
  for (const auto& [name, outputs] : outputs_) {
    for (const auto& [plugin, output] : outputs.items()) {
      if (output.is_object() && output.contains("checkpoint"))
        checkpoints[plugin] = output["checkpoint"];
    }
  }
  input["checkpoints"] = checkpoints;
  if (journal_) input["run_log"] = journal_->path().string();
  return input;
}

Status Run::prepare_new() {
  auto loaded = load_instance(instance_);
  if (!loaded) return loaded.error();
  instance_json_ = std::move(*loaded);
  previous_ = instance_json_.value("/spec/sourcegraphVersion"_json_pointer, "");
  target_ = options_.target_version;
  if (target_.empty())
    return make_error("no target version: pass -target-version V (a version or 'latest')");
  if (target_ != "latest") {
    if (auto valid = validate_version(target_); !valid) return valid;
  }
  run_id_ = new_run_id();
  if (options_.dry_run) return {};

  auto lock = InstanceLock::acquire(fleet_.state_dir(instance_), run_id_);
  if (!lock) return lock.error();
  lock_.emplace(std::move(*lock));
  auto created = RunJournal::create(runs_dir(fleet_, instance_), run_id_);
  if (!created) return created.error();
  journal_.emplace(std::move(*created));
  Json started = {{"event", "run_started"},        {"run_id", run_id_},
                  {"recipe", recipe_.name},        {"environment", instance_.environment},
                  {"instance", instance_.id},      {"target_version", target_},
                  {"previous_version", previous_}, {"pid", static_cast<long>(getpid())},
                  {"force", options_.force}};
  if (auto took = lock_->took_over()) started["took_over_lock"] = took->to_json();
  journal(started);
  return {};
}

Status Run::prepare_resume() {
  run_id_ = options_.resume_run_id;
  if (!is_valid_run_id(run_id_))
    return make_error("'" + run_id_ + "' is not a run id (see 'mi2 run list')");
  auto path = runs_dir(fleet_, instance_) / (run_id_ + ".jsonl");
  if (!std::filesystem::exists(path))
    return make_error("run " + run_id_ + " has no journal at " + path.string() +
                      " (see 'mi2 run list')");
  auto events = RunJournal::read(path);
  if (!events) return events.error();
  bool have_start = false;
  for (const Json& e : *events) {
    std::string kind = e.value("event", "");
    if (kind == "run_started") {
      have_start = true;
      target_ = e.value("target_version", "");
      previous_ = e.value("previous_version", "");
      options_.force = options_.force || e.value("force", false);
      if (e.value("recipe", "") != recipe_.name)
        return make_error("run " + run_id_ + " ran recipe '" + e.value("recipe", "") + "', not '" +
                          recipe_.name + "'");
    } else if (kind == "step_finished" &&
               (e.value("result", "") == "ok" || e.value("result", "") == "skipped")) {
      completed_.insert(e.value("step", ""));
      outputs_[e.value("step", "")] = e.value("outputs", Json::object());
    } else if (kind == "step_finished") {
      completed_.erase(e.value("step", ""));
    } else if (kind == "run_finished" && e.value("result", "") == "succeeded") {
      return make_error("run " + run_id_ + " already succeeded; nothing to resume");
    } else if (kind == "run_finished" && e.value("result", "") == "rolled_back") {
      return make_error("run " + run_id_ +
                        " was rolled back after a failed verification; start a new upgrade");
    } else if (kind == "step_finished" || kind == "run_resumed") {
      // nothing to keep
    }
  }
  if (!have_start) return make_error("the journal " + path.string() + " has no run_started event");

  auto loaded = load_instance(instance_);
  if (!loaded) return loaded.error();
  instance_json_ = std::move(*loaded);
  if (options_.dry_run) return {};

  auto lock = InstanceLock::acquire(fleet_.state_dir(instance_), run_id_);
  if (!lock) return lock.error();
  lock_.emplace(std::move(*lock));
  auto opened = RunJournal::open(path);
  if (!opened) return opened.error();
  journal_.emplace(std::move(*opened));
  Json resumed = {
      {"event", "run_resumed"},
      {"run_id", run_id_},
      {"pid", static_cast<long>(getpid())},
      {"completed_steps", std::vector<std::string>(completed_.begin(), completed_.end())}};
  if (auto took = lock_->took_over()) resumed["took_over_lock"] = took->to_json();
  journal(resumed);
  return {};
}

RunOutcome Run::finish(const std::string& result, const std::string& error,
                       const std::string& failed_step) {
  RunOutcome outcome;
  outcome.run_id = run_id_;
  outcome.result = result;
  outcome.error = error;
  outcome.failed_step = failed_step;
  outcome.pr = pr_;
  if (journal_) outcome.journal_path = journal_->path();
  if (result != "refused" && !options_.dry_run) {
    journal({{"event", "run_finished"},
             {"result", result},
             {"error", error},
             {"failed_step", failed_step},
             {"seconds", seconds_since(started_)}});
  }
  if (lock_) lock_->release();
  return outcome;
}

RunOutcome Run::execute() {
  Status prepared = options_.resume_run_id.empty() ? prepare_new() : prepare_resume();
  if (!prepared) return finish("refused", prepared.message(), "");

  std::string what = instance_.environment + "/" + instance_.id;
  if (options_.dry_run) {
    print("Plan for " + what + ": " + recipe_.name + " " + previous_ + " -> " + target_ +
          " (dry run: mutating commands are shown, not run; nothing on disk changes)");
  } else {
    print((options_.resume_run_id.empty() ? "Run " : "Resuming run ") + run_id_ + ": " +
          recipe_.name + " of " + what + " " + previous_ + " -> " + target_);
  }

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
      return finish("cancelled", "interrupted; resume with --resume " + run_id_, step.name);
    current_step_ = step.name;
    if (options_.dry_run) {
      std::string via = step.role.empty() ? "built in" : step.role + "." + step.action;
      print(counter + step.name + " (" + via + "): " + step.description);
    }
    auto step_start = Clock::now();
    journal({{"event", "step_started"},
             {"step", step.name},
             {"index", i},
             {"role", step.role},
             {"action", step.action}});
    if (lock_) lock_->refresh();

    StepResult result = run_step(step);
    double took = seconds_since(step_start);
    journal({{"event", "step_finished"},
             {"step", step.name},
             {"result", result.result},
             {"error", result.error},
             {"outputs", result.outputs},
             {"seconds", took}});
    if (result.result == "ok" || result.result == "skipped") {
      outputs_[step.name] = result.outputs;
      if (!options_.dry_run) {
        print(counter + step.name + ": " + result.result + " (" + format_seconds(took) + ")" +
              (result.note.empty() ? "" : " - " + result.note));
      } else if (!result.note.empty()) {
        print("      " + result.note);
      }
      continue;
    }

    print(counter + step.name + ": " + result.result + " (" + format_seconds(took) + ") - " +
          result.error);
    if (result.result == "cancelled")
      return finish("cancelled",
                    "interrupted during " + step.name + "; resume with --resume " + run_id_,
                    step.name);
    if (step.on_failure == OnFailure::kContinue) continue;
    if (step.on_failure == OnFailure::kRollback && !options_.dry_run) {
      StepResult rolled = rollback(step);
      std::string error = "step '" + step.name + "' failed (" + result.error + ")";
      if (rolled.result != "ok")
        return finish("failed", error + "; the automatic rollback also failed: " + rolled.error,
                      step.name);
      return finish("rolled_back",
                    error + "; the workload was rolled back to " + previous_ + " and is healthy",
                    step.name);
    }
    std::string hint =
        options_.dry_run ? "" : "; fix the cause, then resume with --resume " + run_id_;
    return finish("failed", "step '" + step.name + "' failed: " + result.error + hint, step.name);
  }
  current_step_.clear();
  return finish(options_.dry_run ? "planned" : "succeeded", "", "");
}

StepResult Run::run_step(const RecipeStep& step) {
  if (step.role.empty()) return run_builtin(step);
  Json params = step.params.is_null() ? Json::object() : step.params;
  if (step.role == "vcs" && step.action == "publish") {
    Json composed = publish_params();
    for (auto& [key, value] : composed.items())
      if (!params.contains(key)) params[key] = value;
    if (options_.dry_run) {
      print("      would open pull request '" + params.value("title", "") + "' from branch " +
            params.value("branch", "") + " with label " + kUpgradeLabel);
    }
  }
  StepResult result = run_role_step(step, params);
  if (step.role == "vcs" && step.action == "publish" && result.result == "ok" &&
      !options_.dry_run) {
    for (const auto& [plugin, output] : result.outputs.items()) {
      if (output.is_object() && output.contains("pr")) {
        pr_ = output["pr"];
        result.note = "pull request " + pr_.value("url", "");
      }
    }
  }
  return result;
}

StepResult Run::run_builtin(const RecipeStep& step) {
  StepResult result;
  if (step.action == "resolve-version") {
    if (target_ == "latest") {
      auto vcs = providers_.first("vcs");
      if (!vcs)
        return {"failed",
                "'latest' needs a vcs plugin to find the newest main-branch tag: " + vcs.message()};
      auto latest = ProviderSet::invoke(
          **vcs, "vcs", "latest-version", step_input(step, {}),
          CallSettings{options_.dry_run, std::nullopt, options_.cancel_flag, this});
      if (!latest.ok()) return {"failed", latest.error};
      target_ = latest.output.value("version", "");
      if (auto valid = validate_version(target_); !valid) return {"failed", valid.message()};
      journal({{"event", "target_resolved"}, {"target_version", target_}});
    }
    if (!options_.force) {
      if (auto path = check_upgrade_path(previous_, target_); !path)
        return {"failed", path.message()};
    }
    result.outputs = {{"target_version", target_}};
    result.note = previous_ + " -> " + target_;
    return result;
  }
  if (step.action == "bump") {
    std::string version = step.params.value("version", target_);
    auto file = instance_.config_path();
    if (options_.dry_run) {
      result.note = "would set spec.sourcegraphVersion: " + previous_ + " -> " + version + " in " +
                    file.string();
    } else if (auto set = set_yaml_scalar_in_file(file, {"spec", "sourcegraphVersion"}, version);
               !set) {
      return {"failed", set.message()};
    }
    instance_json_["spec"]["sourcegraphVersion"] = version;
    result.outputs = {{"file", file.string()}, {"from", previous_}, {"to", version}};
    if (!options_.dry_run) result.note = "config.yaml now says " + version;
    return result;
  }
  return {"failed", "unknown built-in action '" + step.action + "'"};
}

StepResult Run::run_role_step(const RecipeStep& step, const Json& params) {
  StepResult result;
  auto providers = providers_.for_role(step.role);
  if (providers.empty()) {
    result.result = "skipped";
    result.note = "no plugin bound to role '" + step.role + "' in mi2.yaml";
    return result;
  }
  Json input = step_input(step, params);
  for (Provider* provider : providers) {
    Json provider_input = input;
    if (step.role == "healthcheck" && params.contains("checks")) {
      // Each provider runs only the requested checks it provides.
      const auto& provided = provider->plugin->description().checks;
      Json mine = Json::array();
      for (const auto& name : params["checks"])
        if (std::find(provided.begin(), provided.end(), name.get<std::string>()) != provided.end())
          mine.push_back(name);
      if (mine.empty()) continue;
      provider_input["params"]["checks"] = mine;
    }
    if (options_.dry_run) print("    via " + provider->name + ":");
    StepResult one = invoke_with_retries(step, *provider, provider_input);
    result.outputs[provider->name] = one.outputs;
    if (one.result != "ok") {
      result.result = one.result;
      result.error = one.error;
      return result;
    }
    if (step.role == "healthcheck") {
      std::string failures = failing_checks(one.outputs);
      if (!failures.empty()) {
        result.result = "failed";
        result.error = failures;
        return result;
      }
    }
  }
  return result;
}

StepResult Run::invoke_with_retries(const RecipeStep& step, Provider& provider, const Json& input) {
  auto backoff = step.backoff;
  for (int attempt = 0;; ++attempt) {
    CallSettings settings{options_.dry_run, Clock::now() + step.timeout, options_.cancel_flag,
                          this};
    auto invoked = ProviderSet::invoke(provider, step.role, step.action, input, settings);
    bool expired = Clock::now() >= *settings.deadline;
    if (invoked.ok()) {
      StepResult ok;
      ok.outputs = invoked.output.is_null() ? Json::object() : invoked.output;
      return ok;
    }
    StepResult failed{status_result(invoked.status), invoked.error, invoked.output};
    if (expired && invoked.status != MI2_CANCELLED) {
      failed.result = "timeout";
      failed.error = "step '" + step.name + "' passed its deadline of " +
                     std::to_string(step.timeout.count()) + "s (" + invoked.error + ")";
    }
    if (invoked.status == MI2_CANCELLED && !cancelled() && expired) failed.result = "timeout";
    bool retry = invoked.status == MI2_RETRYABLE && attempt < step.retries && !cancelled();
    if (step.role == "healthcheck" && invoked.status == MI2_OK) retry = false;
    if (!retry) return failed;
    journal({{"event", "step_retry"},
             {"step", step.name},
             {"plugin", provider.name},
             {"attempt", attempt + 1},
             {"error", invoked.error},
             {"backoff_ms", backoff.count()}});
    print("      retrying " + step.name + " in " + std::to_string(backoff.count()) +
          " ms: " + invoked.error);
    for (auto until = Clock::now() + backoff; Clock::now() < until && !cancelled();)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    backoff *= 2;
  }
}

StepResult Run::rollback(const RecipeStep& failed_step) {
  journal({{"event", "rollback_started"}, {"step", failed_step.name}, {"to_version", previous_}});
  print("Rolling back to " + previous_ + " ...");
  auto fail = [&](const std::string& error) {
    journal({{"event", "rollback_finished"}, {"result", "failed"}, {"error", error}});
    return StepResult{"failed", error};
  };
  if (!previous_.empty()) {
    if (auto set = set_yaml_scalar_in_file(instance_.config_path(), {"spec", "sourcegraphVersion"},
                                           previous_);
        !set)
      return fail(set.message());
    instance_json_["spec"]["sourcegraphVersion"] = previous_;
  }
  RecipeStep render{"rollback-render", "render", "render", Json::object()};
  if (auto r = run_role_step(render, {}); r.result == "failed") return fail(r.error);
  RecipeStep undo{"rollback-apply", "apply", "rollback", Json::object()};
  undo.timeout = std::chrono::seconds(900);
  if (auto r = run_role_step(undo, {{"to_version", previous_}});
      r.result != "ok" && r.result != "skipped")
    return fail(r.error);
  // Verify the old version the way the recipe verifies the new one.
  RecipeStep verify{"rollback-verify",
                    "healthcheck",
                    "check",
                    {{"checks", {"pods-health", "src-application-version"}}}};
  for (const auto& step : recipe_.steps)
    if (step.role == "healthcheck" && step.on_failure == OnFailure::kRollback)
      verify.params = step.params;
  if (auto r = run_role_step(verify, verify.params); r.result != "ok" && r.result != "skipped")
    return fail("after rolling back: " + r.error);
  journal({{"event", "rollback_finished"}, {"result", "ok"}});
  print("Rolled back: " + previous_ + " is serving again");
  return {};
}

Json Run::publish_params() {
  UpgradePrContext ctx;
  ctx.fleet = &fleet_;
  ctx.instance = &instance_;
  ctx.instance_json = &instance_json_;
  ctx.target_version = target_;
  ctx.previous_version = previous_;
  ctx.run_log = journal_ ? journal_->path().string() : "";
  for (const auto& [name, outputs] : outputs_)
    if (name == "verify") ctx.health_outputs = outputs;
  // The tracking issue is found (or created) first, so the PR can link it.
  if (auto vcs = providers_.first("vcs"); vcs) {
    Json params = tracking_issue_params(fleet_, instance_.environment, target_);
    RecipeStep step{"tracking-issue", "vcs", "tracking-issue", params};
    auto issue = ProviderSet::invoke(
        **vcs, "vcs", "tracking-issue", step_input(step, params),
        CallSettings{options_.dry_run, std::nullopt, options_.cancel_flag, this});
    if (issue.ok() && issue.output.contains("issue"))
      ctx.tracking_issue_url = issue.output["issue"].value("url", "");
    else
      ctx.tracking_issue_error = issue.error;
  }
  return pr_params(ctx);
}

void Run::print_planned_command(const std::string& kind, const Json& record) {
  bool skipped = record.value("skipped_dry_run", false);
  std::string line;
  if (kind == "exec") {
    line = "      $";
    for (const auto& arg : record.value("argv", Json::array()))
      line += " " + quote_arg(arg.get<std::string>());
    if (record.contains("cwd") && record["cwd"].is_string() &&
        !record["cwd"].get<std::string>().empty())
      line += "   (in " + record["cwd"].get<std::string>() + ")";
  } else {
    line = "      " + record.value("method", "?") + " " + record.value("url", "?");
  }
  line += skipped ? "   [would run]" : "   [ran: read-only]";
  print(line);
}

}  // namespace

std::filesystem::path runs_dir(const Fleet& fleet, const InstanceRef& instance) {
  return fleet.state_dir(instance) / "runs";
}

RunOutcome RunEngine::run(const InstanceRef& instance, const Recipe& recipe,
                          const RunOptions& options) {
  Run run(fleet_, providers_, instance, recipe, options);
  return run.execute();
}

}  // namespace mi2
