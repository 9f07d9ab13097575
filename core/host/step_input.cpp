#include "core/host/step_input.h"

#include <nlohmann/json.hpp>

namespace mi2 {

Json base_step_input(const Fleet& fleet, const InstanceRef& instance, const Json& instance_json) {
  std::string slug = instance.id;
  if (instance_json.is_object()) {
    auto spec = instance_json.find("spec");
    if (spec != instance_json.end() && spec->is_object()) {
      auto display = spec->find("displayName");
      if (display != spec->end() && display->is_string()) slug = display->get<std::string>();
    }
  }
  return Json{{"fleet_root", fleet.root().string()},
              {"environment", instance.environment},
              {"instance_id", instance.id},
              {"slug", slug},
              {"instance_dir", instance.dir.string()},
              {"state_dir", fleet.state_dir(instance).string()},
              {"instance", instance_json}};
}

}  // namespace mi2
