#include "forge_common/forge_plugin.h"

namespace mi2::forge {

std::string describe_document(const ForgeConfigSpec& spec, const std::string& description,
                              const std::string& required_key, const std::string& own_properties) {
  Json properties = Json::parse(own_properties);
  properties.update(shared_config_schema(spec));
  Json document = {{"name", spec.plugin},
                   {"version", "1.0.0"},
                   {"description", description},
                   {"roles", {{"vcs", Json::parse(kVcsActionsJson)}}},
                   {"checks", Json::array()},
                   {"config_schema", {{"required", {required_key}}, {"properties", properties}}}};
  return document.dump(2);
}

}  // namespace mi2::forge
