#include "core/host/providers.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "core/base/redactor.h"
#include "core/host/plugin_process.h"
#include "core/host/plugin_status.h"
#include "core/sys/http_client.h"
#include "core/sys/process_runner.h"

namespace mi2 {
namespace {

// Loads `name` into this process and creates its instance.
Result<std::unique_ptr<Provider>> open_in_process(const FleetConfig& config, PluginLoader& loader,
                                                  const HostEnvironment& environment,
                                                  const std::string& role,
                                                  const std::string& name) {
  auto loaded = loader.find(name);
  if (!loaded)
    return make_error("mi2.yaml binds role '" + role + "' to plugin '" + name +
                      "', which could not be loaded: " + loaded.message());
  auto created = (*loaded)->create(config.config_for(name), environment);
  if (!created) return created.error();
  auto provider = std::make_unique<Provider>();
  provider->name = name;
  provider->plugin = *loaded;
  provider->instance = std::move(*created);
  return provider;
}

// Starts `name` in a child process of its own and creates its instance there;
// this process never loads the plugin's code.
Result<std::unique_ptr<Provider>> open_in_child(const FleetConfig& config,
                                                const PluginLoader& loader,
                                                const HostEnvironment& environment,
                                                const std::string& role, const std::string& name) {
  auto file = loader.locate(name);
  auto process = file ? ProcessPluginInstance::launch(*file, environment)
                      : Result<std::unique_ptr<ProcessPluginInstance>>(file.error());
  if (!process)
    return make_error("mi2.yaml binds role '" + role + "' to plugin '" + name +
                      "', which could not be loaded: " + process.message());
  Status created = (*process)->create(config.config_for(name));
  if (!created) return created.error();
  auto provider = std::make_unique<Provider>();
  provider->name = name;
  provider->plugin = std::make_shared<LoadedPlugin>(*file, nullptr, (*process)->description());
  provider->instance = std::move(*process);
  return provider;
}

}  // namespace

Result<std::unique_ptr<ProviderSet>> ProviderSet::open(const FleetConfig& config,
                                                       PluginLoader& loader,
                                                       const HostEnvironment& environment,
                                                       const std::vector<std::string>& roles) {
  auto set = std::make_unique<ProviderSet>();
  std::map<std::string, Provider*> by_name;
  for (const auto& [role, plugins] : config.roles) {
    if (!roles.empty() && std::find(roles.begin(), roles.end(), role) == roles.end()) continue;
    for (const auto& name : plugins) {
      Provider* provider = nullptr;
      if (auto it = by_name.find(name); it != by_name.end()) {
        provider = it->second;
      } else {
        auto opened = config.isolation_for(name) == Isolation::kProcess
                          ? open_in_child(config, loader, environment, role, name)
                          : open_in_process(config, loader, environment, role, name);
        if (!opened) return opened.error();
        provider = opened->get();
        by_name[name] = provider;
        set->providers_.push_back(std::move(*opened));
      }
      if (!provider->plugin->serves_role(role)) {
        return make_error("mi2.yaml binds role '" + role + "' to plugin '" + name +
                          "', which does not serve that role (see 'mi2 plugin describe " + name +
                          "')");
      }
      set->by_role_[role].push_back(provider);
    }
  }
  return set;
}

std::vector<Provider*> ProviderSet::for_role(std::string_view role) {
  auto it = by_role_.find(role);
  if (it == by_role_.end()) return {};
  return it->second;
}

Result<Provider*> ProviderSet::first(std::string_view role) {
  auto providers = for_role(role);
  if (providers.empty()) {
    return make_error("no plugin serves role '" + std::string(role) +
                      "': bind one in mi2.yaml under roles: (e.g. '" + std::string(role) +
                      ": local')");
  }
  return providers.front();
}

InvokeResult ProviderSet::invoke(Provider& provider, std::string_view role, std::string_view action,
                                 const Json& input, const CallSettings& settings) {
  InvokeResult result;
  provider.instance->context().set_call_settings(settings);
  auto outcome = provider.instance->invoke(role, action, input.dump());
  provider.instance->context().set_call_settings(CallSettings{});
  result.status = outcome.status;
  if (!outcome.output_json.empty()) {
    result.output = Json::parse(outcome.output_json, nullptr, /*allow_exceptions=*/false);
    if (result.output.is_discarded()) {
      result.status = MI2_FAILED;
      result.output = nullptr;
      result.error = "plugin '" + provider.name + "' returned output that is not JSON from " +
                     std::string(role) + "." + std::string(action);
      return result;
    }
  }
  if (outcome.crashed) {  // already a whole sentence naming the plugin and the action
    result.error = outcome.error;
    return result;
  }
  if (result.status != MI2_OK) {
    std::string detail = outcome.error.empty() ? "" : ": " + outcome.error;
    result.error = "plugin '" + provider.name + "' " + std::string(role) + "." +
                   std::string(action) + " " + std::string(status_phrase(result.status)) + detail;
  }
  return result;
}

const HostEnvironment& default_host_environment() {
  static SystemProcessRunner* runner = new SystemProcessRunner();
  static CurlHttpClient* http = new CurlHttpClient();
  static const HostEnvironment environment{runner, http, &SecretRedactor::global()};
  return environment;
}

}  // namespace mi2
