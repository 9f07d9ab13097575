// mi2.yaml at the fleet root: which plugin serves each role, and their config.
//
//   roles:
//     render: [local]            # one name, or a list where several make sense
//     backup: [kubectl, cloudsql]
//     vcs: github
//     apply: {plugin: kubectl, isolation: process}   # a binding as a mapping
//   isolation: process           # optional default for every binding (in-process when absent)
//   plugins:                     # config given to each plugin's create()
//     github: {repository: acme/deployments}
//   plugin_dirs: [./plugins]     # optional extra search folders (relative to the root)
//   recipes: {...}               # optional recipe overrides (see recipe.h)
//   workflows: {...}             # optional named workflow templates
#pragma once

#include <filesystem>
#include <map>
#include <optional>
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

// Where a plugin runs: in the mi2 process, or in a child process of its own
// (a crash of the plugin then fails the step instead of ending mi2).
enum class Isolation { kInProcess, kProcess };
inline constexpr const char* kIsolationValues = "'process' or 'in-process'";
std::optional<Isolation> parse_isolation(std::string_view text);

struct FleetConfig {
  // role -> plugin names, in the order given.
  std::map<std::string, std::vector<std::string>> roles;
  // plugin name -> its config object ({} when none).
  std::map<std::string, Json> plugin_config;
  // plugin name -> the isolation its bindings ask for (absent: the default).
  std::map<std::string, Isolation> plugin_isolation;
  // The default for bindings that name none: top-level `isolation:`, which
  // --isolation replaces; in-process when neither is given.
  std::optional<Isolation> isolation;
  std::vector<std::filesystem::path> plugin_dirs;  // absolute
  Json raw;                                        // the whole document as JSON

  // Plugins bound to `role` (empty when none).
  const std::vector<std::string>& providers(std::string_view role) const;
  const Json& config_for(const std::string& plugin) const;
  // The binding's isolation, else the default, else in-process.
  Isolation isolation_for(const std::string& plugin) const;
};

// Error names the file, the line and the offending key (an unknown role, a
// role bound to something that is not a name or list of names, ...).
Result<FleetConfig> load_fleet_config(const std::filesystem::path& mi2_yaml);

}  // namespace mi2
