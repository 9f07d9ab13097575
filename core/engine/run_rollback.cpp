// The automatic rollback after a failed deploy or verification: the earlier
// version back into config.yaml, render, apply.rollback, then the recipe's own
// verification checks. The database is never restored here: that is
// `mi2 instance restore`, on explicit request only.
#include <nlohmann/json.hpp>

#include "core/engine/run.h"
#include "core/yaml/config_edit.h"

namespace mi2 {

StepResult Run::rollback(const RecipeStep& failed_step) {
  journal({{"event", "rollback_started"}, {"step", failed_step.name}, {"to_version", previous_}});
  print("Rolling back to " + previous_ + " ...");
  auto fail = [&](const std::string& error) {
    journal({{"event", "rollback_finished"}, {"result", "failed"}, {"error", error}});
    StepResult r;
    r.status = StepStatus::kFailed;
    r.error = error;
    return r;
  };
  if (!previous_.empty()) {
    if (auto set = set_yaml_scalar_in_file(instance_.config_path(), {"spec", "sourcegraphVersion"},
                                           previous_);
        !set)
      return fail(set.message());
    instance_json_["spec"]["sourcegraphVersion"] = previous_;
  }
  RecipeStep render{"rollback-render", "render", "render", Json::object()};
  if (auto r = run_role_step(render, {}); r.status == StepStatus::kFailed) return fail(r.error);
  RecipeStep undo{"rollback-apply", "apply", "rollback", Json::object()};
  undo.timeout = std::chrono::seconds(900);
  if (auto r = run_role_step(undo, {{"to_version", previous_}}); !r.ok()) return fail(r.error);
  // Verify the old version the way the recipe verifies the new one.
  RecipeStep verify = verification_step(recipe_);
  verify.name = "rollback-verify";
  if (auto r = run_role_step(verify, verify.params); !r.ok())
    return fail("after rolling back: " + r.error);
  journal({{"event", "rollback_finished"}, {"result", "ok"}});
  print("Rolled back: " + previous_ + " is serving again");
  return {};
}

}  // namespace mi2
