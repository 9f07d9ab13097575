// What most commands open first: the fleet around the current directory, its
// mi2.yaml, the instance named by -e/--slug (or inferred), and the plugins
// bound to the roles the command needs.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "core/base/result.h"
#include "core/base/text.h"
#include "core/cli/cli.h"
#include "core/fleet/fleet.h"
#include "core/fleet/fleet_config.h"
#include "core/host/plugin_loader.h"
#include "core/host/providers.h"

namespace mi2::cli {

struct Session {
  std::unique_ptr<Fleet> fleet;
  FleetConfig config;
  std::unique_ptr<PluginLoader> loader;
  std::unique_ptr<ProviderSet> providers;
  InstanceRef instance;  // empty for fleet-wide commands
};

// `roles`: the roles whose plugins to load (empty: none).
Result<Session> open_session(const CommandContext& ctx, const std::vector<std::string>& roles);
// As above, plus the instance from -e/--slug or the current directory.
Result<Session> open_instance_session(const CommandContext& ctx, const std::string& environment,
                                      const std::string& slug,
                                      const std::vector<std::string>& roles);

// Invokes role.action on the first provider of `role` that serves it, on the
// session's instance; the error names the role and action when none does.
Result<Json> invoke_first(Session& session, const std::string& role, const std::string& action,
                          const Json& params, const std::string& step);

// Adds -e/--environment and -s/--slug.
void add_instance_options(po::options_description& options);
std::string option_string(const Parsed& parsed, const char* name);

// SIGINT/SIGTERM set the returned flag (the running step is cancelled cleanly
// and the run stays resumable); a second SIGINT ends the process.
const std::atomic<bool>* install_interrupt_handler();

}  // namespace mi2::cli
