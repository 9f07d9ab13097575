// The terraform plugin's actions as free functions over (host, settings,
// step input), one file each: render.cpp, deploy.cpp, health_check.cpp.
#pragma once

#include <mi2/sdk/host.hpp>
#include <mi2/sdk/step.hpp>

#include <string>

#include "plugins/terraform/settings.h"

namespace mi2::terraform {

// Pins `version` in every stack (or runs render_command):
// {"changed_files": [...], "stacks": [...]}. Writes nothing in a dry run.
Json render_stacks(const sdk::Host& host, const Settings& settings, const sdk::StepInput& in,
                   const std::string& version);

// init, plan, apply per stack in order: {"stacks": [...], "pr_summary": {...}}.
// Throws sdk::Failure carrying the stacks done so far.
Json deploy_stacks(const sdk::Host& host, const Settings& settings, const sdk::StepInput& in);

// The terraform-plan-clean check (every stack plans no changes).
Json check_plan_clean(const sdk::Host& host, const Settings& settings, const sdk::StepInput& in);

// preflight (before the bump, read-only for the instance folder): the stacks
// exist; with apply or healthcheck among params.roles, `terraform version`,
// then `init -backend=false` and `validate` per stack. {"stacks", ...}.
Json preflight_stacks(const sdk::Host& host, const Settings& settings, const sdk::StepInput& in);

inline constexpr const char* kPlanCleanCheck = "terraform-plan-clean";

}  // namespace mi2::terraform
