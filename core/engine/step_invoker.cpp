#include "core/engine/step_invoker.h"

#include "core/host/providers.h"

namespace mi2 {
namespace {

Provider* find(ProviderSet& set, const std::string& name, std::string_view role) {
  for (Provider* p : set.for_role(role))
    if (p->name == name) return p;
  return nullptr;
}

}  // namespace

std::vector<std::string> ProviderInvoker::providers(std::string_view role) {
  std::vector<std::string> names;
  for (Provider* p : providers_.for_role(role)) names.push_back(p->name);
  return names;
}

std::vector<std::string> ProviderInvoker::checks(const std::string& provider, bool health_only) {
  Provider* p = find(providers_, provider, "healthcheck");
  if (!p) return {};
  const PluginDescription& d = p->plugin->description();
  std::vector<std::string> names;
  for (const std::string& name : d.checks)
    if (!health_only ||
        std::find(d.version_checks.begin(), d.version_checks.end(), name) == d.version_checks.end())
      names.push_back(name);
  return names;
}

bool ProviderInvoker::serves(const std::string& provider, std::string_view role,
                             std::string_view action) {
  Provider* p = find(providers_, provider, role);
  return p && p->plugin->serves(role, action);
}

StepReply ProviderInvoker::invoke(const std::string& provider, std::string_view role,
                                  std::string_view action, const Json& input,
                                  const CallSettings& settings) {
  Provider* p = find(providers_, provider, role);
  if (!p)
    return {MI2_INVALID_INPUT, Json(),
            "no plugin '" + provider + "' is bound to role '" + std::string(role) + "'"};
  InvokeResult r = ProviderSet::invoke(*p, role, action, input, settings);
  return {r.status, std::move(r.output), std::move(r.error)};
}

}  // namespace mi2
