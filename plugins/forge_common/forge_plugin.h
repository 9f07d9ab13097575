// The plugin class of a REST forge, once for every forge: the config read
// (and the token registered with the redactor) in the constructor, the forge
// over the host's services, the vcs actions of forge_actions.h as its invoke,
// and its describe() document. A forge plugin is one alias,
//   using XPlugin = forge::ForgePlugin<XForge, XConfig, &load_x_config, &x_describe>;
// plus MI2_PLUGIN(XPlugin) in its one export file.
#pragma once

#include <mi2/sdk/host.hpp>

#include <string>
#include <string_view>

#include "forge_common/forge_actions.h"
#include "forge_common/forge_config.h"

namespace mi2::forge {

// describe()'s document of a forge plugin: name (spec.plugin), version,
// `description`, the vcs role's actions (kVcsActionsJson) and the config
// schema: `required_key`, the plugin's own properties (`own_properties`, a
// JSON object's text) and the shared keys' (shared_config_schema).
std::string describe_document(const ForgeConfigSpec& spec, const std::string& description,
                              const std::string& required_key, const std::string& own_properties);

template <class ForgeImpl, class Config,
          Config (*kLoadConfig)(const sdk::Host&, const std::string&), std::string (*kDescribe)()>
class ForgePlugin {
 public:
  static const char* describe() {
    static const std::string document = kDescribe();
    return document.c_str();
  }

  ForgePlugin(sdk::Host host, const std::string& config_json)
      : ForgePlugin(host, kLoadConfig(host, config_json)) {}

  std::string invoke(std::string_view role, std::string_view action,
                     const std::string& input_json) {
    return invoke_vcs(host_, forge_, forge_.plugin_name(), options_, role, action, input_json);
  }

 private:
  ForgePlugin(sdk::Host host, Config config)
      : host_(host), options_{config.tracking_labels}, forge_(host, std::move(config)) {}

  sdk::Host host_;
  VcsOptions options_;
  ForgeImpl forge_;
};

}  // namespace mi2::forge
