// healthcheck: terraform-plan-clean, every stack plans no changes (no drift).
// Plans here save nothing and take no lock, so a check never blocks a run.
#include "plugins/terraform/actions.h"
#include "plugins/terraform/stacks.h"
#include "plugins/terraform/terraform_cli.h"

namespace mi2::terraform {
namespace {

bool requested(const sdk::StepInput& in) {
  auto checks = in.params.find("checks");
  if (checks == in.params.end() || !checks->is_array() || checks->empty()) return true;
  for (const Json& name : *checks)
    if (name == kPlanCleanCheck) return true;
  return false;
}

// One line of details for a stack, and whether it is clean.
std::pair<bool, std::string> check_stack(const TerraformCli& cli, const Stack& stack) {
  try {
    cli.init(stack);
    PlanRequest request;
    request.lock = false;
    PlanResult plan = cli.plan(stack, request);
    if (plan.unsupported_out) {
      request.text = true;
      plan = cli.plan(stack, request);
    }
    const PlanReport& r = plan.report;
    if (!r.has_changes()) return {true, stack.name + ": no changes"};
    std::string line = stack.name + ": " + std::to_string(r.add) + " to add, " +
                       std::to_string(r.change) + " to change, " + std::to_string(r.destroy) +
                       " to destroy";
    for (size_t i = 0; i < r.changes.size(); ++i)
      line += (i ? ", " : ": ") + r.changes[i].address + " (" + r.changes[i].action + ")";
    return {false, line};
  } catch (const sdk::Error& e) {
    if (e.status() == MI2_CANCELLED || e.status() == MI2_TIMEOUT) throw;
    return {false, stack.name + ": " + e.what()};
  }
}

}  // namespace

Json check_plan_clean(const sdk::Host& host, const Settings& settings, const sdk::StepInput& in) {
  if (!requested(in)) return {{"ok", true}, {"checks", Json::array()}};
  in.require(in.instance_dir, "instance_dir");
  in.require(in.state_dir, "state_dir");
  TerraformCli cli(host, settings, in);
  std::vector<Stack> stacks = find_stacks(settings, in.instance_dir, in.state_dir, in.instance_id);
  Json details = Json::array();
  size_t drifted = 0;
  for (const Stack& stack : stacks) {
    auto [clean, line] = check_stack(cli, stack);
    if (!clean) ++drifted;
    details.push_back(line);
  }
  std::string summary = stacks.empty() ? "no terraform stacks under " + settings.stacks_dir
                        : drifted == 0
                            ? std::to_string(stacks.size()) + " stack(s) plan no changes"
                            : std::to_string(drifted) + " of " + std::to_string(stacks.size()) +
                                  " stack(s) would change (drift or an unapplied change)";
  Json check = {
      {"name", kPlanCleanCheck}, {"ok", drifted == 0}, {"summary", summary}, {"details", details}};
  return {{"ok", drifted == 0}, {"checks", Json::array({check})}};
}

}  // namespace mi2::terraform
