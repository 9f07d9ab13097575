// The steps of a run: the built-ins (resolve-version, bump) and role steps,
// each provider of the role in turn, with retries, backoff and a deadline.
#include <algorithm>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>

#include "core/engine/run.h"
#include "core/engine/upgrade_pr.h"
#include "core/engine/version_policy.h"
#include "core/host/step_input.h"
#include "core/yaml/config_edit.h"

namespace mi2 {
namespace {

StepStatus status_of(mi2_status status) {
  if (status == MI2_TIMEOUT) return StepStatus::kTimeout;
  if (status == MI2_CANCELLED) return StepStatus::kCancelled;
  return StepStatus::kFailed;
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

// The checks a healthcheck step asks `provider` to run: the names in
// params.checks it provides, or with check_set "health" its checks but the
// version checks; nullopt when the step names none (every check runs).
std::optional<Json> checks_for(StepInvoker& invoker, const Json& params,
                               const std::string& provider) {
  if (params.contains("checks") && params["checks"].is_array()) {
    auto provided = invoker.checks(provider, false);
    Json mine = Json::array();
    for (const auto& name : params["checks"])
      if (name.is_string() &&
          std::find(provided.begin(), provided.end(), name.get<std::string>()) != provided.end())
        mine.push_back(name);
    return mine;
  }
  if (params.value("check_set", "") == "health") return Json(invoker.checks(provider, true));
  return std::nullopt;
}

StepResult failed(std::string error) {
  StepResult r;
  r.status = StepStatus::kFailed;
  r.error = std::move(error);
  return r;
}

}  // namespace

Json Run::step_input(const RecipeStep& step, const Json& params) const {
  Json input =
      mi2::step_input(fleet_, instance_, instance_json_, step.name, params, options_.dry_run);
  if (!run_id_.empty()) input["run_id"] = run_id_;
  input["target_version"] = target_;
  input["previous_version"] = previous_;
  input["force"] = options_.force;  // a forced skip takes the multi-version migration path
  Json checkpoints = Json::object();
  for (const auto& [name, outputs] : outputs_)
    for (const auto& [plugin, output] : outputs.items())
      if (output.is_object() && output.contains("checkpoint"))
        checkpoints[plugin] = output["checkpoint"];
  input["checkpoints"] = checkpoints;
  if (journal_) input["run_log"] = journal_->path().string();
  return input;
}

StepReply Run::invoke_once(const std::string& provider, const std::string& role,
                           const std::string& action, const Json& input) {
  return invoker_.invoke(provider, role, action, input, call_settings(std::nullopt));
}

StepResult Run::run_step(const RecipeStep& step) {
  if (step.role.empty()) return run_builtin(step);
  Json params = step.params.is_null() ? Json::object() : step.params;
  bool publish = step.role == "vcs" && step.action == "publish";
  if (publish) {
    Json composed = publish_params();
    for (auto& [key, value] : composed.items())
      if (!params.contains(key)) params[key] = value;
    if (options_.dry_run)
      print("      would open pull request '" + params.value("title", "") + "' from branch " +
            params.value("branch", "") + " with label " + kUpgradeLabel);
  }
  StepResult result = run_role_step(step, params);
  if (!publish || result.status != StepStatus::kOk || options_.dry_run) return result;
  for (const auto& [plugin, output] : result.outputs.items()) {
    if (!output.is_object() || !output.contains("pr")) continue;
    pr_ = output["pr"];
    result.note = "pull request " + pr_.value("url", "");
  }
  return result;
}

StepResult Run::run_builtin(const RecipeStep& step) {
  StepResult result;
  if (step.action == "resolve-version") {
    if (target_ == "latest") {
      auto vcs = invoker_.providers("vcs");
      if (vcs.empty())
        return failed(
            "'latest' needs a vcs plugin to find the newest main-branch tag: mi2.yaml "
            "binds no plugin to role 'vcs'");
      auto latest = invoke_once(vcs.front(), "vcs", "latest-version", step_input(step, {}));
      if (!latest.ok()) return failed(latest.error);
      target_ = latest.output.value("version", "");
      if (auto valid = validate_version(target_); !valid) return failed(valid.message());
      journal({{"event", "target_resolved"}, {"target_version", target_}});
    }
    if (!options_.force)
      if (auto path = check_upgrade_path(previous_, target_); !path) return failed(path.message());
    if (std::string refused = preflight(step); !refused.empty())
      return failed("preflight: " + refused + "; nothing was changed");
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
      return failed(set.message());
    }
    instance_json_["spec"]["sourcegraphVersion"] = version;
    result.outputs = {{"file", file.string()}, {"from", previous_}, {"to", version}};
    if (!options_.dry_run) result.note = "config.yaml now says " + version;
    return result;
  }
  return failed("unknown built-in action '" + step.action + "'");
}

std::string Run::preflight(const RecipeStep& step) {
  if (auto slug = check_slug(slug_of(instance_json_, instance_.id)); !slug) return slug.message();
  // Each provider once, with every role the recipe binds it to (params.roles),
  // so it checks what those roles need: kubectl bound only to render needs no
  // cluster, postgres bound to backup needs pg_dump.
  std::vector<std::string> order;
  std::map<std::string, Json> roles;
  for (const RecipeStep& s : recipe_.steps) {
    if (s.role.empty()) continue;
    for (const std::string& provider : invoker_.providers(s.role)) {
      if (!roles.count(provider)) order.push_back(provider);
      Json& bound = roles[provider];
      if (bound.is_null()) bound = Json::array();
      if (std::find(bound.begin(), bound.end(), s.role) == bound.end()) bound.push_back(s.role);
    }
  }
  std::string refusals;
  for (const std::string& provider : order) {
    std::string asked_role;
    for (const auto& role : roles[provider])
      if (asked_role.empty() && invoker_.serves(provider, role.get<std::string>(), "preflight"))
        asked_role = role.get<std::string>();
    if (asked_role.empty()) continue;
    if (options_.dry_run) print("    preflight via " + provider + ":");
    Json input = step_input(step, Json{{"roles", roles[provider]}});
    StepReply reply = invoke_once(provider, asked_role, "preflight", input);
    if (reply.ok()) continue;
    if (!refusals.empty()) refusals += "; ";
    refusals += reply.error;
  }
  return refusals;
}

StepResult Run::run_role_step(const RecipeStep& step, const Json& params) {
  StepResult result;
  auto providers = invoker_.providers(step.role);
  if (providers.empty()) {
    result.status = step.optional ? StepStatus::kSkipped : StepStatus::kFailed;
    result.note = "no plugin bound to role '" + step.role + "' in mi2.yaml";
    if (!step.optional) result.error = result.note;
    return result;
  }
  Json input = step_input(step, params);
  for (const std::string& provider : providers) {
    Json provider_input = input;
    if (step.role == "healthcheck") {
      auto mine = checks_for(invoker_, params, provider);
      if (mine && mine->empty()) continue;
      if (mine) provider_input["params"]["checks"] = *mine;
    }
    if (options_.dry_run) print("    via " + provider + ":");
    StepResult one = invoke_with_retries(step, provider, provider_input);
    result.outputs[provider] = one.outputs;
    if (one.status != StepStatus::kOk) {
      result.status = one.status;
      result.error = one.error;
      return result;
    }
    if (step.role != "healthcheck") {
      dry_run_changed_ = dry_run_changed_ || options_.dry_run;
      continue;
    }
    if (std::string failures = failing_checks(one.outputs); !failures.empty()) {
      if (dry_run_changed_) {
        result.note = "now: " + failures + " (a dry run changed nothing, so this is expected)";
        continue;
      }
      result.status = StepStatus::kFailed;
      result.error = failures;
      return result;
    }
  }
  return result;
}

StepResult Run::invoke_with_retries(const RecipeStep& step, const std::string& provider,
                                    const Json& input) {
  auto backoff = step.backoff;
  for (int attempt = 0;; ++attempt) {
    Clock::TimePoint deadline = clock_.now() + step.timeout;
    StepReply reply =
        invoker_.invoke(provider, step.role, step.action, input, call_settings(deadline));
    bool expired = clock_.now() >= deadline;
    if (reply.ok()) {
      StepResult ok;
      ok.outputs = reply.output.is_null() ? Json::object() : reply.output;
      return ok;
    }
    StepResult bad;
    bad.status = status_of(reply.status);
    bad.error = reply.error;
    bad.outputs = reply.output;
    if (expired && (reply.status != MI2_CANCELLED || !cancelled())) {
      bad.status = StepStatus::kTimeout;
      bad.error = "step '" + step.name + "' passed its deadline of " +
                  std::to_string(step.timeout.count()) + "s (" + reply.error + ")";
    }
    bool retry = reply.status == MI2_RETRYABLE && attempt < step.retries && !cancelled();
    if (!retry) return bad;
    journal({{"event", "step_retry"},
             {"step", step.name},
             {"plugin", provider},
             {"attempt", attempt + 1},
             {"error", reply.error},
             {"backoff_ms", backoff.count()}});
    print("      retrying " + step.name + " in " + std::to_string(backoff.count()) +
          " ms: " + reply.error);
    clock_.sleep_for(backoff, [this] { return cancelled(); });
    backoff *= 2;
  }
}

Json Run::publish_params() {
  UpgradePrContext ctx;
  ctx.fleet = &fleet_;
  ctx.instance = &instance_;
  ctx.instance_json = &instance_json_;
  ctx.target_version = target_;
  ctx.previous_version = previous_;
  ctx.run_log = journal_ ? journal_->path().string() : "";
  for (const auto& [name, outputs] : outputs_) {
    if (name == "verify") ctx.health_outputs = outputs;
    ctx.step_outputs[name] = outputs;
  }
  // The tracking issue is found (or created) first, so the PR can link it.
  if (auto vcs = invoker_.providers("vcs"); !vcs.empty()) {
    // Inside CI the forge plugin names the CI run's page for the run log.
    if (invoker_.serves(vcs.front(), "vcs", "run-link")) {
      RecipeStep link_step{"run-link", "vcs", "run-link", Json::object()};
      auto link = invoke_once(vcs.front(), "vcs", "run-link", step_input(link_step, {}));
      if (link.ok() && link.output.is_object() && link.output.contains("url") &&
          link.output["url"].is_string())
        ctx.ci_run_link = link.output["url"].get<std::string>();
    }
    Json params = tracking_issue_params(fleet_, instance_.environment, target_);
    RecipeStep step{"tracking-issue", "vcs", "tracking-issue", params};
    auto issue = invoke_once(vcs.front(), "vcs", "tracking-issue", step_input(step, params));
    if (issue.ok() && issue.output.contains("issue"))
      ctx.tracking_issue_url = issue.output["issue"].value("url", "");
    else
      ctx.tracking_issue_error = issue.error;
  }
  return pr_params(ctx);
}

}  // namespace mi2
