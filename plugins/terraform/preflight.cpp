// preflight: before the bump, with nothing changed in the instance folder.
// The stacks are there, and — where terraform itself will run (apply,
// healthcheck) — terraform runs, each stack initialises with its backend and
// validates. The backend's init reads (never writes) its state, so a backend
// whose credentials do not work (gcs, s3, azurerm, http, ...) is refused here,
// before the bump. A `cloud` or `remote` block initialises without its
// backend (`-backend=false`): its init could create a remote workspace; its
// credentials meet the apply step's init. Every init writes only TF_DATA_DIR
// under state_dir, and no .terraform.lock.hcl is left behind.
#include <algorithm>

#include "plugins/terraform/actions.h"
#include "plugins/terraform/stacks.h"
#include "plugins/terraform/terraform_cli.h"

namespace mi2::terraform {
namespace {

// Roles whose actions run terraform; render only edits files (or runs
// render_command). No roles said: all of them.
bool runs_terraform(const sdk::StepInput& in) {
  auto roles = in.params.find("roles");
  if (roles == in.params.end() || !roles->is_array()) return true;
  return std::any_of(roles->begin(), roles->end(),
                     [](const Json& r) { return r == "apply" || r == "healthcheck"; });
}

}  // namespace

Json preflight_stacks(const sdk::Host& host, const Settings& settings, const sdk::StepInput& in) {
  in.require(in.instance_dir, "instance_dir");
  in.require(in.state_dir, "state_dir");
  // Throws the sentence naming a configured stack that is missing.
  std::vector<Stack> stacks = find_stacks(settings, in.instance_dir, in.state_dir, in.instance_id);
  Json names = Json::array();
  for (const Stack& stack : stacks) names.push_back(stack.name);
  Json out = {{"stacks", names}};
  if (stacks.empty() || !runs_terraform(in)) return out;
  TerraformCli cli(host, settings, in);
  out["terraform_version"] = cli.version(stacks.front());
  for (const Stack& stack : stacks) {
    if (stack.backend == "cloud" || stack.backend == "remote")
      cli.init_without_backend(stack);
    else
      cli.init(stack);
    cli.validate(stack);
  }
  out["validated"] = names;
  return out;
}

}  // namespace mi2::terraform
