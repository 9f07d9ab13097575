// The plugins mi2.yaml binds to roles, loaded and created once for a command
// or a run. One instance per plugin, shared by all the roles it serves.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/json.h"
#include "core/base/result.h"
#include "core/fleet/fleet_config.h"
#include "core/host/host_context.h"
#include "core/host/plugin_loader.h"

namespace mi2 {

struct Provider {
  std::string name;
  std::shared_ptr<LoadedPlugin> plugin;
  std::unique_ptr<PluginInstance> instance;
};

struct InvokeResult {
  mi2_status status = MI2_FAILED;
  Json output;        // the plugin's output object (null when it gave none or it was not JSON)
  std::string error;  // one sentence naming the plugin, role and action
  bool ok() const { return status == MI2_OK; }
};

class ProviderSet {
 public:
  // Loads and creates every plugin bound to `roles` (all bound roles when
  // empty). Errors name mi2.yaml, the role and the plugin: a plugin not on the
  // search path, one that does not serve the role, one that refuses its config.
  static Result<std::unique_ptr<ProviderSet>> open(const FleetConfig& config, PluginLoader& loader,
                                                   const HostEnvironment& environment,
                                                   const std::vector<std::string>& roles = {});

  // Providers bound to `role`, in mi2.yaml's order.
  std::vector<Provider*> for_role(std::string_view role);
  // The first provider bound to `role`, or an error saying mi2.yaml binds none.
  Result<Provider*> first(std::string_view role);

  // Invokes `role`/`action` on `provider` with `input` under `settings`.
  static InvokeResult invoke(Provider& provider, std::string_view role, std::string_view action,
                             const Json& input, const CallSettings& settings);

 private:
  std::vector<std::unique_ptr<Provider>> providers_;
  std::map<std::string, std::vector<Provider*>, std::less<>> by_role_;
};

// The process's real host environment: SystemProcessRunner, CurlHttpClient and
// the global SecretRedactor.
const HostEnvironment& default_host_environment();

}  // namespace mi2
