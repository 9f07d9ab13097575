// The JSON object every plugin invoke receives (see docs/plugin-guide.md).
#pragma once

#include "core/base/json.h"
#include "core/fleet/fleet.h"

namespace mi2 {

// The instance-level fields: fleet_root, environment, instance_id, slug,
// instance_dir, state_dir, instance (config.yaml as JSON). Callers add
// run-level fields (run_id, step, params, target_version, ...).
Json base_step_input(const Fleet& fleet, const InstanceRef& instance, const Json& instance_json);

}  // namespace mi2
