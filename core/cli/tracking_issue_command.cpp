// `mi2 env tracking-issue sync -e ENV VERSION`: the runbook's "Finally, update
// the tracking issue". The host reads each instance's newest run to VERSION
// from the journals (fleet_status); the vcs plugin's `tracking-issue-sync`
// lists the `mi-upgrade` PRs in every state, ticks the instances whose PR
// merged (auto-merged too), marks those whose last run failed, clears a mark
// once the instance merged or succeeded, and writes the issue only when its
// body changed.
#include <nlohmann/json.hpp>

#include <ostream>

#include "core/base/text.h"
#include "core/cli/commands.h"
#include "core/cli/forge_session.h"
#include "core/cli/output.h"
#include "core/engine/fleet_status.h"
#include "core/engine/upgrade_pr.h"
#include "core/engine/version_policy.h"

namespace mi2::cli {
namespace {

constexpr const char* kSyncAction = "tracking-issue-sync";

// {id, slug, run} for every instance of the environment, run being the newest
// run to the version (null when there is none).
Json tracked_instances(const FleetStatus& status) {
  Json instances = Json::array();
  for (const auto& row : status.instances) {
    Json run = nullptr;
    if (row.last_run)
      run = {{"run_id", row.last_run->id},
             {"result", row.last_run->result},
             {"failed_step", row.last_run->failed_step}};
    instances.push_back({{"id", row.id}, {"slug", row.slug}, {"run", run}});
  }
  return instances;
}

std::string pr_text(const Json& pr) {
  if (!pr.is_object()) return "";
  std::string text =
      "#" + std::to_string(pr.value("number", int64_t{0})) + " " + pr.value("state", "");
  if (pr.value("state", "") == "merged" && pr.value("auto_merge", false)) text += " (auto-merge)";
  return text;
}

// One line per instance the sync changed or could not record, then the summary.
void print_sync(std::ostream& out, const Json& result, bool dry_run) {
  const Json issue = result.value("issue", Json::object());
  out << (dry_run ? "Dry run, nothing written: tracking issue #" : "Tracking issue #")
      << issue.value("number", int64_t{0}) << " '" << escape_control(issue.value("title", ""))
      << "' " << escape_control(issue.value("url", "")) << '\n';
  std::vector<TableRow> rows;
  for (const auto& instance : result.value("instances", Json::array())) {
    std::string change = instance.value("change", "none");
    std::string state = instance.value("state", "");
    std::string what;
    if (!instance.value("listed", false) && (state == "merged" || state == "failed"))
      what = "not listed";
    else if (change == "ticked")
      what = dry_run ? "would tick" : "ticked";
    else if (change == "marked")
      what = dry_run ? "would mark" : "marked";
    else if (change == "cleared")
      what = dry_run ? "would clear" : "cleared";
    else
      continue;
    std::string detail =
        state == "failed" ? instance.value("mark", "") : pr_text(instance.value("pr", Json()));
    if (state == "failed" && detail.empty()) detail = "last run failed";
    if (change == "cleared" && state == "succeeded") detail = "last run succeeded";
    if (what == "not listed") detail += "; add it to the issue by hand";
    rows.push_back(
        {"  " + what,
         escape_control(instance.value("slug", "") + " (" + instance.value("id", "") + ")"),
         escape_control(detail)});
  }
  print_table(out, rows, Style{});
  const Json summary = result.value("summary", Json::object());
  out << "ticked " << summary.value("ticked", 0) << ", failed " << summary.value("failed", 0);
  if (summary.value("cleared", 0) > 0) out << ", cleared " << summary.value("cleared", 0);
  out << ", unchanged " << summary.value("unchanged", 0) << ", not listed "
      << summary.value("not_listed", 0) << '\n';
}

int tracking_issue_sync(CommandContext& ctx) {
  int code = 0;
  po::options_description options("Options");
  options.add_options()("environment,e", po::value<std::string>(),
                        "Environment (default: the one the current folder is in)")(
      "dry-run", "Print what would be ticked and marked; write nothing");
  add_output_options(options);
  auto parsed =
      parse(ctx,
            "-e ENV VERSION [--dry-run] [--json | -o json | -q]\n\n"
            "Ticks every instance whose upgrade PR for VERSION merged (auto-merged too),\n"
            "marks those whose last run to VERSION failed ('❌ failed at STEP (run ID)',\n"
            "replaced on the next sync, gone once the instance merges or succeeds), and\n"
            "leaves every other line. Counts are of this sync's changes; a second sync\n"
            "writes nothing.",
            options, code, "version", 1);
  if (!parsed) return code;
  auto mode = output_mode(ctx, *parsed, code);
  if (!mode) return code;
  if (parsed->positional.empty()) return usage_error(ctx, "name the VERSION whose issue to sync");
  std::string version = parsed->positional[0];
  if (auto valid = validate_version(version); !valid) return usage_error(ctx, valid.message());

  auto forge = open_forge(ctx);
  if (!forge) return fail(ctx, forge.message());
  const Fleet& fleet = *forge->session.fleet;
  std::string environment = option_string(*parsed, "environment");
  if (environment.empty()) {
    auto here = fleet.infer(ctx.cwd);
    if (!here)
      return usage_error(ctx, "pass -e ENV or run inside environments/<env>/deployments/<id>/");
    environment = here->environment;
  }
  if (!forge->vcs->plugin->serves("vcs", kSyncAction))
    return fail(ctx, "the vcs plugin '" + forge->vcs->name + "' does not serve " + kSyncAction +
                         "; update it, or tick the tracking issue by hand.");
  forge->dry_run = parsed->vm.count("dry-run") > 0;
  auto status = read_fleet_status(fleet, environment, "", version);
  if (!status) return fail(ctx, status.message());

  Json defaults = tracking_issue_params(fleet, environment, version);
  std::string title = defaults.value("title", "");
  Json params = {{"environment", environment},
                 {"version", version},
                 {"title", title},
                 {"labels", defaults.value("labels", Json::array())},
                 {"label", kUpgradeLabel},
                 {"instances", tracked_instances(*status)}};
  InvokeResult result =
      invoke_forge(*forge, "env tracking-issue sync", kSyncAction, params, environment);
  if (!result.ok()) {
    if (result.output.is_object() && result.output.value("found", true) == false)
      return fail(ctx, "there is no tracking issue for " + version + " in " + environment +
                           " (titled '" + title + "'); create it with 'mi2 env " +
                           "create-tracking-issue -e " + environment + " " + version + "'.");
    return fail(ctx, result.error);
  }
  Json out = result.output.is_object() ? result.output : Json::object();
  if (*mode == OutputMode::kJson) {
    out["environment"] = environment;
    out["version"] = version;
    *ctx.out << out.dump(2) << '\n';
  } else if (*mode == OutputMode::kQuiet) {
    const Json summary = out.value("summary", Json::object());
    *ctx.out << "ticked " << summary.value("ticked", 0) << ", failed " << summary.value("failed", 0)
             << ", unchanged " << summary.value("unchanged", 0) << ", not listed "
             << summary.value("not_listed", 0) << '\n';
  } else {
    print_sync(*ctx.out, out, forge->dry_run);
  }
  return kExitOk;
}

}  // namespace

int env_tracking_issue(CommandContext& ctx) {
  static const std::vector<Subcommand> kSubcommands = {
      {"sync", "Tick merged instances and mark failed runs on the version's tracking issue",
       tracking_issue_sync},
  };
  return run_subcommand(ctx, kSubcommands,
                        "mi2 env tracking-issue sync -e ENV VERSION [options] (create the issue "
                        "with 'mi2 env create-tracking-issue -e ENV VERSION')");
}

}  // namespace mi2::cli
