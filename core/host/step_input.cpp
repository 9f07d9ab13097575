#include "core/host/step_input.h"

#include <nlohmann/json.hpp>

namespace mi2 {

Json step_input(const Fleet& fleet, const InstanceRef& instance, const Json& instance_json,
                std::string_view step, const Json& params, bool dry_run) {
  std::string slug = slug_of(instance_json, instance.id);
  return Json{{"fleet_root", fleet.root().string()},
              {"environment", instance.environment},
              {"instance_id", instance.id},
              {"slug", slug},
              {"instance_dir", instance.dir.string()},
              {"state_dir", fleet.state_dir(instance).string()},
              {"instance", instance_json},
              {"step", step},
              {"dry_run", dry_run},
              {"params", params.is_null() ? Json::object() : params}};
}

}  // namespace mi2
