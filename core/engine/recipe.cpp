#include "core/engine/recipe.h"

#include <nlohmann/json.hpp>
#include <set>

#include "core/base/text.h"
#include "core/fleet/fleet_config.h"

namespace mi2 {
namespace {

RecipeStep step(std::string name, std::string role, std::string action, Json params,
                std::string description) {
  RecipeStep s;
  s.name = std::move(name);
  s.role = std::move(role);
  s.action = std::move(action);
  s.params = std::move(params);
  s.description = std::move(description);
  return s;
}

}  // namespace

Recipe upgrade_instance_recipe() {
  Recipe r;
  r.name = "upgrade-instance";
  r.steps.push_back(step("precheck", "healthcheck", "check", {{"check_set", "health"}},
                         "health check before anything changes"));
  r.steps.push_back(step("resolve-version", "", "resolve-version", Json::object(),
                         "resolve the target version and refuse unsafe skips"));
  r.steps.push_back(
      step("bump", "", "bump", Json::object(), "write spec.sourcegraphVersion in config.yaml"));
  r.steps.push_back(step("render", "render", "render", Json::object(),
                         "regenerate kubernetes/, terraform/stacks/, charts/"));
  auto checkpoint =
      step("checkpoint", "backup", "create", Json::object(), "back up cluster state and database");
  checkpoint.timeout = std::chrono::seconds(2000);  // above cloudsql's 1800 s operation wait
  r.steps.push_back(checkpoint);
  r.steps.push_back(step("migrate", "migrate", "up", Json::object(), "run database migrations"));
  r.steps.push_back(step("postmigrate-check", "healthcheck", "check", {{"check_set", "health"}},
                         "the old workload is still healthy"));
  auto deploy = step("deploy", "apply", "apply", Json::object(), "roll out the new workload");
  deploy.timeout = std::chrono::seconds(900);
  deploy.on_failure = OnFailure::kRollback;  // a stuck rollout is undone like a failed verify
  r.steps.push_back(deploy);
  auto verify = step("verify", "healthcheck", "check", Json::object(),
                     "every check: workload healthy and serving the target version");
  verify.on_failure = OnFailure::kRollback;
  verify.retries = 2;
  r.steps.push_back(verify);
  auto publish = step("publish", "vcs", "publish", Json::object(),
                      "commit, push and open the upgrade pull request");
  publish.retries = 2;
  publish.optional = true;  // a fleet without a forge upgrades without a pull request
  r.steps.push_back(publish);
  return r;
}

Result<Recipe> find_recipe(const Json& fleet_config, const std::string& name) {
  const Json* recipes = nullptr;
  if (fleet_config.is_object() && fleet_config.contains("recipes"))
    recipes = &fleet_config["recipes"];
  if (recipes && recipes->is_object() && recipes->contains(name))
    return recipe_from_json(name, (*recipes)[name]);
  if (name == "upgrade-instance") return upgrade_instance_recipe();
  return make_error(
      "there is no recipe '" + escape_control(name) +
      "': the built-in one is upgrade-instance; others go under recipes: in mi2.yaml");
}

RecipeStep verification_step(const Recipe& recipe) {
  for (const auto& s : recipe.steps)
    if (s.role == "healthcheck" && s.on_failure == OnFailure::kRollback) return s;
  auto verify = step("verify", "healthcheck", "check", Json::object(),
                     "every health check the plugins provide");
  verify.retries = 2;
  return verify;
}

Recipe rollback_instance_recipe(const Json& rollback_params, const RecipeStep& verify) {
  Recipe recipe;
  recipe.name = "rollback-instance";
  auto bump =
      step("bump", "", "bump", Json::object(), "write the earlier version back into config.yaml");
  bump.timeout = std::chrono::seconds(60);
  auto render = step("render", "render", "render", Json::object(),
                     "regenerate the artifacts for that version");
  auto undo = step("rollback", "apply", "rollback", rollback_params,
                   "return the workload to the earlier version");
  undo.timeout = std::chrono::seconds(900);
  RecipeStep check = verify;
  check.name = "verify";
  check.on_failure = OnFailure::kAbort;
  if (check.retries < 2) check.retries = 2;
  check.description = "workload healthy and serving the earlier version";
  recipe.steps = {bump, render, undo, check};
  return recipe;
}

Status check_recipe_bindings(const Recipe& recipe,
                             const std::function<bool(const std::string& role)>& bound) {
  std::vector<std::string> missing;
  std::set<std::string> roles;
  for (const auto& s : recipe.steps) {
    if (s.role.empty() || s.optional || bound(s.role)) continue;
    missing.push_back("'" + escape_control(s.name) + "' (role " + s.role + ")");
    roles.insert(s.role);
  }
  if (missing.empty()) return {};
  std::string steps, role_list;
  for (size_t i = 0; i < missing.size(); ++i)
    steps += (i == 0 ? "" : i + 1 == missing.size() ? " and " : ", ") + missing[i];
  for (const auto& role : roles) role_list += (role_list.empty() ? "" : ", ") + role;
  return make_error("recipe '" + escape_control(recipe.name) +
                    "' cannot run: mi2.yaml binds no plugin to " +
                    (roles.size() == 1 ? "role " : "roles ") + role_list + ", needed by step" +
                    (missing.size() == 1 ? " " : "s ") + steps +
                    "; bind one under roles: in mi2.yaml (see 'mi2 plugin list'), or mark the "
                    "step optional: true in a recipe under recipes:; nothing was changed");
}

const char* to_string(OnFailure on_failure) {
  switch (on_failure) {
    case OnFailure::kAbort:
      return "abort";
    case OnFailure::kRollback:
      return "rollback";
    case OnFailure::kContinue:
      return "continue";
  }
  return "abort";
}

namespace {

Result<Recipe> parse_recipe(const std::string& name, const Json& json) {
  auto where = [&](size_t i) {
    return "recipe '" + escape_control(name) + "' step " + std::to_string(i + 1);
  };
  if (!json.is_object() || !json.contains("steps") || !json["steps"].is_array())
    return make_error("recipe '" + escape_control(name) + "' needs a 'steps' list");
  Recipe recipe;
  recipe.name = name;
  std::set<std::string> names;
  const auto& steps = json["steps"];
  for (size_t i = 0; i < steps.size(); ++i) {
    const Json& s = steps[i];
    if (!s.is_object()) return make_error(where(i) + " is not a mapping");
    RecipeStep out;
    out.name = s.value("name", "");
    out.role = s.value("role", "");
    out.action = s.value("action", "");
    if (out.name.empty()) return make_error(where(i) + " has no name");
    if (!names.insert(out.name).second)
      return make_error(where(i) + " repeats the name '" + escape_control(out.name) + "'");
    if (out.action.empty())
      return make_error(where(i) + " ('" + escape_control(out.name) + "') has no action");
    if (out.role.empty() && out.action != "resolve-version" && out.action != "bump")
      return make_error(where(i) + " ('" + escape_control(out.name) + "') has no role and '" +
                        escape_control(out.action) +
                        "' is not a built-in action (resolve-version, bump)");
    if (!out.role.empty()) {
      bool known = false;
      for (const char* role : kRoles) known |= out.role == role;
      if (!known)
        return make_error(where(i) + " ('" + escape_control(out.name) + "') names unknown role '" +
                          escape_control(out.role) + "'");
    }
    out.params = s.value("params", Json::object());
    if (out.params.contains("check_set") && out.params["check_set"] != "health" &&
        out.params["check_set"] != "all")
      return make_error(where(i) + " ('" + out.name +
                        "') has params.check_set other than health or all");
    out.timeout = std::chrono::seconds(s.value("timeout_s", 600));
    out.retries = s.value("retries", 0);
    out.backoff = std::chrono::milliseconds(s.value("backoff_ms", 1000));
    out.description = s.value("description", "");
    if (s.contains("optional") && !s["optional"].is_boolean())
      return make_error(where(i) + " ('" + escape_control(out.name) +
                        "') has optional: " + s["optional"].dump() + "; use true or false");
    out.optional = s.value("optional", false);
    std::string on_failure = s.value("on_failure", "abort");
    if (on_failure == "abort")
      out.on_failure = OnFailure::kAbort;
    else if (on_failure == "rollback")
      out.on_failure = OnFailure::kRollback;
    else if (on_failure == "continue")
      out.on_failure = OnFailure::kContinue;
    else
      return make_error(where(i) + " ('" + escape_control(out.name) + "') has on_failure '" +
                        escape_control(on_failure) + "'; use abort, rollback or continue");
    if (out.retries < 0 || out.timeout.count() <= 0)
      return make_error(where(i) + " ('" + escape_control(out.name) +
                        "') needs retries >= 0 and timeout_s > 0");
    recipe.steps.push_back(std::move(out));
  }
  return recipe;
}

}  // namespace

Result<Recipe> recipe_from_json(const std::string& name, const Json& json) {
  try {
    return parse_recipe(name, json);
  } catch (const nlohmann::json::exception& e) {
    return make_error("recipe '" + escape_control(name) +
                      "' has a field of the wrong type: " + e.what());
  }
}

}  // namespace mi2
