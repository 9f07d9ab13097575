#include "local_plugin.h"

#include "backups.h"
#include "failure.h"
#include "forge.h"
#include "migrations.h"
#include "render.h"
#include "workloads.h"

namespace mi2::local {

const char* LocalPlugin::describe() {
  return R"json({
  "name": "local",
  "version": "1.0.0",
  "summary": "Every role on one machine: workloads as local processes, SQLite migrations and backups, git with a local forge folder",
  "roles": {
    "render": ["render"],
    "healthcheck": ["check"],
    "backup": ["create", "list", "restore"],
    "migrate": ["up", "status"],
    "apply": ["apply", "rollback", "workon"],
    "vcs": ["publish", "tracking-issue", "tracking-issue-check", "pr-list", "pr-view",
            "pr-approve", "pr-merge", "latest-version"]
  },
  "checks": ["pods-health", "src-application-version"],
  "version_checks": ["src-application-version"],
  "config_schema": {
    "type": "object",
    "properties": {
      "forge_dir": {"type": "string", "description": "folder of the local forge (default <fleet>/.mi2/forge)"},
      "forge_url": {"type": "string", "description": "base URL of PR and issue links (default file:// of forge_dir)"},
      "releases_dir": {"type": "string", "description": "release catalog, relative to the fleet root (default releases)"},
      "workload_binary": {"type": "string", "description": "the mi2-workload program (default next to mi2)"},
      "rollout_timeout_ms": {"type": "integer", "description": "deadline for a new workload to become healthy (default 15000)"},
      "ready_after_ms": {"type": "integer", "description": "simulated start-up time of a workload (default 300)"}
    }
  }
})json";
}

LocalPlugin::LocalPlugin(sdk::Host host, const std::string& config_json)
    : host_(host), config_(LocalConfig::parse(config_json)) {}

std::string LocalPlugin::invoke(std::string_view role, std::string_view action,
                                const std::string& input_json) {
  failure_output_.clear();
  try {
    return dispatch(role, action, input_json).dump();
  } catch (const FailureWithOutput& e) {
    failure_output_ = e.output().dump();
    throw;
  }
}

json LocalPlugin::healthcheck(LocalContext& ctx) {
  std::vector<std::string> names;
  for (const auto& n : ctx.params.value("checks", json::array())) names.push_back(n);
  if (names.empty()) names = {"pods-health", "src-application-version"};
  for (const auto& n : names)
    if (n != "pods-health" && n != "src-application-version")
      throw sdk::invalid_input(
          "the local plugin provides the checks pods-health and "
          "src-application-version, not '" +
          n + "'");
  auto run = [&](const std::string& n) {
    return n == "pods-health" ? check_pods_health(ctx) : check_application_version(ctx);
  };
  json checks = json::array();
  bool ok = true;
  for (const auto& n : names) {
    json check = run(n);
    // -enforce remediates pods-health: bring the database and the workloads
    // to what config.yaml and kubernetes/ say (also the first deploy).
    if (!check["ok"].get<bool>() && n == "pods-health" && ctx.params.value("enforce", false) &&
        !ctx.dry_run()) {
      ctx.params["target_version"] = ctx.configured_version();
      migrate_up(ctx);
      apply_workloads(ctx);
      check = run(n);
      check["enforced"] = true;
    }
    ok &= check["ok"].get<bool>();
    checks.push_back(check);
  }
  return {{"ok", ok}, {"checks", checks}};
}

json LocalPlugin::dispatch(std::string_view role, std::string_view action,
                           const std::string& input_json) {
  bool vcs = role == "vcs";
  LocalContext ctx = LocalContext::from_input(host_, config_, input_json, !vcs);
  if (role == "render" && action == "render") {
    // config.yaml is the truth (the engine bumps it before render and sets it
    // back before a rollback's render); target_version only when it has none.
    std::string version = ctx.configured_version();
    if (version.empty()) version = ctx.input.value("target_version", "");
    return {{"changed_files", render_version(ctx.instance_dir, version, !ctx.dry_run())},
            {"version", version}};
  }
  if (role == "healthcheck" && action == "check") return healthcheck(ctx);
  if (role == "apply") {
    if (action == "apply") return apply_workloads(ctx);
    if (action == "rollback") return rollback_workloads(ctx);
    if (action == "workon") {
      // Nothing to switch to locally: the commands that show the workloads.
      return {{"commands", json::array({json::array({"cat", ctx.deployment_path().string()})})}};
    }
  }
  if (role == "migrate") {
    if (action == "up") return migrate_up(ctx);
    if (action == "status") return migrate_status(ctx);
  }
  if (role == "backup") {
    if (action == "create") return backup_create(ctx);
    if (action == "list") return backup_list(ctx);
    if (action == "restore") return backup_restore(ctx);
  }
  if (vcs) return forge_action(ctx, action);
  throw sdk::not_supported("the local plugin does not serve " + std::string(role) + "." +
                           std::string(action));
}

}  // namespace mi2::local
