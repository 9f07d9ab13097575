#include "plugins/terraform/terraform_plugin.h"

#include "plugins/terraform/actions.h"

namespace mi2::terraform {

sdk::About TerraformPlugin::about() {
  return {"terraform",
          "0.1.0",
          "renders the version each terraform stack pins, plans and applies the stacks (init, "
          "plan -out under state_dir, apply of the saved plan), and checks them for drift",
          {kPlanCleanCheck},
          Settings::schema()};
}

const std::vector<TerraformPlugin::Route>& TerraformPlugin::routes() {
  static const std::vector<Route> table = {
      {"render", "render", &TerraformPlugin::render},
      {"apply", "apply", &TerraformPlugin::apply},
      {"apply", "rollback", &TerraformPlugin::rollback},
      {"healthcheck", "check", &TerraformPlugin::check},
      // Under each role, so it is asked whichever of them mi2.yaml binds.
      {"render", "preflight", &TerraformPlugin::preflight},
      {"apply", "preflight", &TerraformPlugin::preflight},
      {"healthcheck", "preflight", &TerraformPlugin::preflight},
  };
  return table;
}

TerraformPlugin::TerraformPlugin(sdk::Host host, const std::string& config_json)
    : host_(host), settings_(Settings::parse(config_json)) {}

Json TerraformPlugin::render(const sdk::StepInput& in) {
  std::string version = in.version().empty() ? in.target_version : in.version();
  return render_stacks(host_, settings_, in, version);
}

Json TerraformPlugin::apply(const sdk::StepInput& in) {
  return deploy_stacks(host_, settings_, in);
}

// Back to `to_version`: the stacks are rendered at it again, then planned and
// applied like any other version.
Json TerraformPlugin::rollback(const sdk::StepInput& in) {
  std::string version = in.param("to_version", in.previous_version);
  if (version.empty()) version = in.version();
  in.require(version, "params.to_version");
  Json rendered = render_stacks(host_, settings_, in, version);
  Json out = deploy_stacks(host_, settings_, in);
  out["to_version"] = version;
  out["rendered"] = rendered["changed_files"];
  return out;
}

Json TerraformPlugin::check(const sdk::StepInput& in) {
  return check_plan_clean(host_, settings_, in);
}

Json TerraformPlugin::preflight(const sdk::StepInput& in) {
  return preflight_stacks(host_, settings_, in);
}

}  // namespace mi2::terraform
