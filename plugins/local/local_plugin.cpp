#include "local_plugin.h"

#include "backups.h"
#include "forge.h"
#include "migrations.h"
#include "render.h"
#include "workloads.h"

namespace mi2::local {
namespace {

constexpr const char* kPodsHealth = "pods-health";
constexpr const char* kApplicationVersion = "src-application-version";

json render(LocalContext& ctx) {
  // config.yaml is the truth (the engine bumps it before render and sets it
  // back before a rollback's render); target_version only when it has none.
  std::string version = ctx.configured_version();
  if (version.empty()) version = ctx.in.target_version;
  return {{"changed_files", render_version(ctx.instance_dir, version, !ctx.dry_run())},
          {"version", version}};
}

json healthcheck(LocalContext& ctx) {
  std::vector<std::string> names;
  for (const auto& n : ctx.in.params.value("checks", json::array())) names.push_back(n);
  if (names.empty()) names = {kPodsHealth, kApplicationVersion};
  for (const auto& n : names)
    if (n != kPodsHealth && n != kApplicationVersion)
      throw sdk::invalid_input(
          "the local plugin provides the checks pods-health and "
          "src-application-version, not '" +
          n + "'");
  auto run = [&](const std::string& n) {
    return n == kPodsHealth ? check_pods_health(ctx) : check_application_version(ctx);
  };
  json checks = json::array();
  bool ok = true;
  for (const auto& n : names) {
    json check = run(n);
    // -enforce remediates pods-health: bring the database and the workloads
    // to what config.yaml and kubernetes/ say (also the first deploy).
    if (!check["ok"].get<bool>() && n == kPodsHealth && ctx.in.params.value("enforce", false) &&
        !ctx.dry_run()) {
      ctx.in.params["target_version"] = ctx.configured_version();
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

// Nothing to switch to locally: the commands that show the workloads.
// Before the bump: the target version must be in the release catalog the
// migrations come from (read-only).
json preflight(LocalContext& ctx) {
  const std::string& target = ctx.in.target_version;
  if (target.empty()) return json::object();
  ctx.catalog().get(target);  // throws the sentence naming the versions it has
  return {{"catalogued", target}};
}

json workon(LocalContext& ctx) {
  return {{"commands", json::array({json::array({"cat", ctx.deployment_path().string()})})}};
}

}  // namespace

sdk::About LocalPlugin::about() {
  const char* summary =
      "Every role on one machine: workloads as local processes, SQLite migrations and backups, "
      "git with a local forge folder";
  return {"local",
          "1.0.0",
          summary,
          {kPodsHealth, kApplicationVersion},
          sdk::settings_schema<LocalConfig>("local"),
          {{"summary", summary}},
          {kApplicationVersion}};
}

const std::vector<LocalPlugin::Route>& LocalPlugin::routes() {
  static const std::vector<Route> table = {
      {"render", "render", &LocalPlugin::run<&render>},
      {"healthcheck", "check", &LocalPlugin::run<&healthcheck>},
      {"backup", "create", &LocalPlugin::run<&backup_create>},
      {"backup", "list", &LocalPlugin::run<&backup_list>},
      {"backup", "restore", &LocalPlugin::run<&backup_restore>},
      {"migrate", "up", &LocalPlugin::run<&migrate_up>},
      {"migrate", "status", &LocalPlugin::run<&migrate_status>},
      {"migrate", "preflight", &LocalPlugin::run<&preflight>},
      {"apply", "apply", &LocalPlugin::run<&apply_workloads>},
      {"apply", "rollback", &LocalPlugin::run<&rollback_workloads>},
      {"apply", "workon", &LocalPlugin::run<&workon>},
      {"vcs", "publish", &LocalPlugin::run<&publish, false>},
      {"vcs", "tracking-issue", &LocalPlugin::run<&tracking_issue, false>},
      {"vcs", "tracking-issue-check", &LocalPlugin::run<&tracking_issue_check, false>},
      {"vcs", "pr-list", &LocalPlugin::run<&pr_list, false>},
      {"vcs", "pr-view", &LocalPlugin::run<&pr_view, false>},
      {"vcs", "pr-approve", &LocalPlugin::run<&pr_approve, false>},
      {"vcs", "pr-merge", &LocalPlugin::run<&pr_merge, false>},
      {"vcs", "latest-version", &LocalPlugin::run<&latest_version, false>},
  };
  return table;
}

LocalPlugin::LocalPlugin(sdk::Host host, const std::string& config_json)
    : host_(host), config_(LocalConfig::parse(config_json)) {}

}  // namespace mi2::local
