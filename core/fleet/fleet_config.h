// mi2.yaml at the fleet root: which plugin serves each role, and their config.
//
//   roles:
//     render: [local]            # one name, or a list where several make sense
//     backup: [kubectl, cloudsql]
//     vcs: github
//   plugins:                     # config given to each plugin's create()
//     github: {repository: acme/deployments}
//   plugin_dirs: [./plugins]     # optional extra search folders (relative to the root)
//   recipes: {...}               # optional recipe overrides (see recipe.h)
//   workflows: {...}             # optional named workflow templates
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>  // FleetConfig holds Json by value

#include "core/base/json.h"
#include "core/base/result.h"

namespace mi2 {

// The one rule for a plugin's name, wherever one is read (mi2.yaml bindings,
// describe(), `mi2 plugin` arguments): it is also part of the file name
// mi2-plugin-<name>.so.
inline constexpr const char* kPluginNameRule = "1 to 64 lower-case letters, digits, '-' and '_'";
bool is_plugin_name(std::string_view name);

inline constexpr const char* kRoles[] = {"render",  "healthcheck", "backup",
                                         "migrate", "apply",       "vcs"};

struct FleetConfig {
  // role -> plugin names, in the order given.
  std::map<std::string, std::vector<std::string>> roles;
  // plugin name -> its config object ({} when none).
  std::map<std::string, Json> plugin_config;
  std::vector<std::filesystem::path> plugin_dirs;  // absolute
  Json raw;                                        // the whole document as JSON

  // Plugins bound to `role` (empty when none).
  const std::vector<std::string>& providers(std::string_view role) const;
  const Json& config_for(const std::string& plugin) const;
};

// Error names the file, the line and the offending key (an unknown role, a
// role bound to something that is not a name or list of names, ...).
Result<FleetConfig> load_fleet_config(const std::filesystem::path& mi2_yaml);

}  // namespace mi2
