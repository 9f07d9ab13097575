#include "forge_common/forge_plugin.h"

namespace mi2::forge {

sdk::About forge_about(const ForgeConfigSpec& spec, const std::string& description,
                       const std::string& required_key, const std::string& own_properties) {
  Json properties = Json::parse(own_properties);
  properties.update(shared_config_schema(spec));
  sdk::About about;
  about.name = spec.plugin;
  about.version = "1.0.0";
  about.description = description;
  about.config_schema = {{"required", {required_key}}, {"properties", properties}};
  return about;
}

}  // namespace mi2::forge
