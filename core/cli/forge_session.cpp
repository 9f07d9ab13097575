#include "core/cli/forge_session.h"

#include <nlohmann/json.hpp>

namespace mi2::cli {

Result<ForgeSession> open_forge(const CommandContext& ctx) {
  auto session = open_session(ctx, {"vcs"});
  if (!session) return session.error();
  ForgeSession forge;
  forge.session = std::move(*session);
  auto vcs = forge.session.providers->first("vcs");
  if (!vcs) return vcs.error();
  forge.vcs = *vcs;
  return forge;
}

InvokeResult invoke_forge(ForgeSession& forge, const std::string& step, const std::string& action,
                          const Json& params, const std::string& environment) {
  Json input = {{"step", step},
                {"dry_run", forge.dry_run},
                {"fleet_root", forge.session.fleet->root().string()},
                {"params", params}};
  if (!environment.empty()) input["environment"] = environment;
  CallSettings settings;
  settings.dry_run = forge.dry_run;
  settings.cancel_flag = install_interrupt_handler();
  return ProviderSet::invoke(*forge.vcs, "vcs", action, input, settings);
}

Result<Json> call_forge(ForgeSession& forge, const std::string& step, const std::string& action,
                        const Json& params, const std::string& environment) {
  InvokeResult result = invoke_forge(forge, step, action, params, environment);
  if (!result.ok()) return make_error(result.error);
  return result.output.is_object() ? result.output : Json::object();
}

}  // namespace mi2::cli
