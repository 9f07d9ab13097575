// The JSON object every plugin invoke receives (see docs/plugin-guide.md).
#pragma once

#include "core/base/json.h"
#include "core/fleet/fleet.h"

namespace mi2 {

// The fields every invoke has: fleet_root, environment, instance_id, slug,
// instance_dir, state_dir, instance (config.yaml as JSON), step, dry_run and
// params. A run adds its own (run_id, target_version, checkpoints, ...).
Json step_input(const Fleet& fleet, const InstanceRef& instance, const Json& instance_json,
                std::string_view step, const Json& params, bool dry_run);

}  // namespace mi2
