#include "core/host/step_input.h"

#include <nlohmann/json.hpp>

namespace mi2 {

Json base_step_input(const Fleet& fleet, const InstanceRef& instance, const Json& instance_json) {
  std::string slug = slug_of(instance_json, instance.id);
  return Json{{"fleet_root", fleet.root().string()},
              {"environment", instance.environment},
              {"instance_id", instance.id},
              {"slug", slug},
              {"instance_dir", instance.dir.string()},
              {"state_dir", fleet.state_dir(instance).string()},
              {"instance", instance_json}};
}

}  // namespace mi2
