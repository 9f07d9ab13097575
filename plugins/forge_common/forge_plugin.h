// The plugin class of a REST forge, once for every forge: the config read
// (and the token registered with the redactor) in the constructor, the forge
// over the host's services, the vcs route table of forge_actions.h (from
// which both describe()'s roles and invoke's dispatch come) and describe()'s
// other fields. A forge plugin is one alias,
//   using XPlugin = forge::ForgePlugin<XForge, XConfig, &load_x_config, &x_about>;
// plus MI2_PLUGIN(XPlugin) in its one export file.
#pragma once

#include <mi2/sdk/host.hpp>
#include <mi2/sdk/routes.hpp>

#include <string>
#include <vector>

#include "forge_common/forge_actions.h"
#include "forge_common/forge_config.h"

namespace mi2::forge {

// describe()'s fields besides the roles, for a forge plugin: name
// (spec.plugin), version, `description` and the config schema:
// `required_key`, the plugin's own properties (`own_properties`, a JSON
// object's text) and the shared keys' (shared_config_schema).
sdk::About forge_about(const ForgeConfigSpec& spec, const std::string& description,
                       const std::string& required_key, const std::string& own_properties);

template <class ForgeImpl, class Config,
          Config (*kLoadConfig)(const sdk::Host&, const std::string&), sdk::About (*kAbout)()>
class ForgePlugin : public sdk::RoutedPlugin<ForgePlugin<ForgeImpl, Config, kLoadConfig, kAbout>> {
 public:
  using Route = sdk::Route<ForgePlugin>;
  static sdk::About about() { return kAbout(); }
  static const std::vector<Route>& routes() { return vcs_routes<ForgePlugin>(); }

  ForgePlugin(sdk::Host host, const std::string& config_json)
      : ForgePlugin(host, kLoadConfig(host, config_json)) {}

  // One route: the vcs action with this plugin's forge.
  template <VcsAction Action>
  Json run(const sdk::StepInput& in) {
    return Action({host_, forge_, forge_.plugin_name().c_str(), options_, in});
  }

 private:
  ForgePlugin(sdk::Host host, Config config)
      : host_(host), options_{config.tracking_labels}, forge_(host, std::move(config)) {}

  sdk::Host host_;
  VcsOptions options_;
  ForgeImpl forge_;
};

}  // namespace mi2::forge
