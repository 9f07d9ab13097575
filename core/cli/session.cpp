#include "core/cli/session.h"

#include <csignal>
#include <nlohmann/json.hpp>

#include "core/host/step_input.h"

namespace mi2::cli {
namespace {

std::atomic<bool> g_interrupted{false};

extern "C" void on_interrupt(int signal_number) {
  if (g_interrupted.exchange(true) && signal_number == SIGINT) {
    std::signal(SIGINT, SIG_DFL);
    std::raise(SIGINT);
  }
}

}  // namespace

Result<Session> open_session(const CommandContext& ctx, const std::vector<std::string>& roles) {
  auto fleet = Fleet::discover(ctx.cwd);
  if (!fleet) return fleet.error();
  Session session;
  session.fleet = std::make_unique<Fleet>(std::move(*fleet));
  auto config = load_fleet_config(session.fleet->config_file());
  if (!config) return config.error();
  session.config = std::move(*config);
  if (auto isolation = parse_isolation(ctx.global.isolation)) session.config.isolation = isolation;
  auto dirs = plugin_search_path(ctx.global.plugin_dirs);
  for (const auto& dir : session.config.plugin_dirs) dirs.insert(dirs.begin(), dir);
  session.loader = std::make_unique<PluginLoader>(dirs);
  if (!roles.empty()) {
    auto providers =
        ProviderSet::open(session.config, *session.loader, default_host_environment(), roles);
    if (!providers) return providers.error();
    session.providers = std::move(*providers);
  }
  return session;
}

Result<Session> open_instance_session(const CommandContext& ctx, const std::string& environment,
                                      const std::string& slug,
                                      const std::vector<std::string>& roles) {
  auto session = open_session(ctx, {});
  if (!session) return session.error();
  auto instance = session->fleet->resolve(environment, slug, ctx.cwd);
  if (!instance) return instance.error();
  session->instance = *instance;
  if (!roles.empty()) {
    auto providers =
        ProviderSet::open(session->config, *session->loader, default_host_environment(), roles);
    if (!providers) return providers.error();
    session->providers = std::move(*providers);
  }
  return session;
}

Result<Json> invoke_first(Session& session, const std::string& role, const std::string& action,
                          const Json& params, const std::string& step) {
  for (Provider* provider : session.providers->for_role(role)) {
    if (!provider->plugin->serves(role, action)) continue;
    auto json = load_instance(session.instance);
    if (!json) return json.error();
    Json input = step_input(*session.fleet, session.instance, *json, step, params, false);
    auto result = ProviderSet::invoke(*provider, role, action, input, CallSettings{});
    if (!result.ok()) return make_error(result.error);
    return result.output.is_null() ? Json::object() : result.output;
  }
  return make_error("no plugin bound to role '" + role + "' in mi2.yaml serves '" + action + "'");
}

void add_instance_options(po::options_description& options) {
  options.add_options()("environment,e", po::value<std::string>(),
                        "Environment (inferred inside an instance folder)")(
      "slug,s", po::value<std::string>(),
      "Instance slug or id (inferred inside an instance folder)");
}

std::string option_string(const Parsed& parsed, const char* name) {
  return parsed.vm.count(name) ? parsed.vm[name].as<std::string>() : std::string();
}

const std::atomic<bool>* install_interrupt_handler() {
  struct sigaction action {};
  action.sa_handler = on_interrupt;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
  return &g_interrupted;
}

}  // namespace mi2::cli
