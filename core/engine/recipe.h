// A recipe: the ordered steps of a run. `upgrade-instance` is built in;
// mi2.yaml may define others under `recipes:` (same fields as below).
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/base/json.h"
#include "core/base/result.h"

namespace mi2 {

enum class OnFailure {
  kAbort,     // stop the run: it failed (resumable)
  kRollback,  // roll the workload back (apply.rollback), verify again, then fail
  kContinue,  // note the failure and go on
};

struct RecipeStep {
  std::string name;    // unique within the recipe, e.g. "deploy"
  std::string role;    // a plugin role, or "" for a built-in step
  std::string action;  // the role's action, or the built-in's name
  Json params;         // passed to the plugin as input.params
  std::chrono::seconds timeout{600};
  int retries = 0;                          // extra attempts after MI2_RETRYABLE
  std::chrono::milliseconds backoff{1000};  // doubled after each retry
  OnFailure on_failure = OnFailure::kAbort;
  std::string description;  // one line for the plan and progress
  // When mi2.yaml binds no plugin to `role`: skipped if optional, else the
  // run is refused before it starts (check_recipe_bindings).
  bool optional = false;
};

struct Recipe {
  std::string name;
  std::vector<RecipeStep> steps;
};

// Built-in actions (role ""): "resolve-version", "bump".
Recipe upgrade_instance_recipe();

// From JSON: {"steps": [{"name", "role", "action", "params", "timeout_s",
// "retries", "backoff_ms", "on_failure": "abort|rollback|continue",
// "description", "optional"}]}. Errors name the recipe and the step.
Result<Recipe> recipe_from_json(const std::string& name, const Json& json);

const char* to_string(OnFailure on_failure);

// Refuses a recipe with a step whose role `bound` says has no plugin, unless
// the step is optional. The error names the recipe, the steps and the roles.
Status check_recipe_bindings(const Recipe& recipe,
                             const std::function<bool(const std::string& role)>& bound);

// The recipe a command runs: mi2.yaml's `recipes.<name>` (the whole document
// as JSON in `fleet_config`) when given, else the built-in of that name.
// Every command that runs a recipe looks it up here.
Result<Recipe> find_recipe(const Json& fleet_config, const std::string& name);

// The step that verifies a deploy: the recipe's healthcheck step that rolls
// back on failure; else a check of every check the plugins provide.
RecipeStep verification_step(const Recipe& recipe);

// `mi2 instance rollback`: bump back, render, apply.rollback (params carry
// `mode` when given), then `verify` (the upgrade recipe's verification).
Recipe rollback_instance_recipe(const Json& rollback_params, const RecipeStep& verify);

}  // namespace mi2
