// `mi2 env status -e ENV [-filter EXPR] [--json] [--html FILE]`: one row per
// instance (version, channel, type, last run, open upgrade PR, lock) and how
// many instances are at each version. The PR column asks the vcs plugin for
// its open `mi-upgrade` PRs when it serves `pr-list`; it stays blank otherwise.
#include <ctime>
#include <nlohmann/json.hpp>
#include <ostream>

#include "core/base/atomic_file.h"
#include "core/base/text.h"
#include "core/cli/commands.h"
#include "core/cli/output.h"
#include "core/cli/session.h"
#include "core/cli/status_html.h"
#include "core/engine/fleet_status.h"
#include "core/engine/upgrade_pr.h"

namespace mi2::cli {
namespace {

// The forge's open upgrade PRs, or an error saying why they are not shown.
Result<Json> open_upgrade_prs(Session& session) {
  auto providers =
      ProviderSet::open(session.config, *session.loader, default_host_environment(), {"vcs"});
  if (!providers) return providers.error();
  auto vcs = (*providers)->first("vcs");
  if (!vcs) return vcs.error();
  if (!(*vcs)->plugin->serves("vcs", "pr-list"))
    return make_error("the vcs plugin '" + (*vcs)->name + "' does not list pull requests");
  Json input = {{"step", "env status"},
                {"dry_run", false},
                {"fleet_root", session.fleet->root().string()},
                {"params", {{"label", kUpgradeLabel}, {"state", "open"}}}};
  CallSettings settings;
  settings.cancel_flag = install_interrupt_handler();
  InvokeResult result = ProviderSet::invoke(**vcs, "vcs", "pr-list", input, settings);
  if (!result.ok()) return make_error(result.error);
  return result.output.is_object() ? result.output.value("prs", Json::array()) : Json::array();
}

std::string lock_text(const InstanceStatus& row) {
  if (!row.lock) return "-";
  std::string text = (row.lock->stale() ? "stale: " : "held: ") + row.lock->run_id;
  if (row.lock->pid > 0) text += " (pid " + std::to_string(row.lock->pid) + ")";
  return text;
}

std::string dash(const std::string& text) {
  return text.empty() ? "-" : escape_control(text);
}

void print_status_table(std::ostream& out, const FleetStatus& status) {
  std::vector<TableRow> rows = {{"ID", "SLUG", "TYPE", "VERSION", "CHANNEL", "LAST RUN", "WHEN",
                                 "FAILED STEP", "UPGRADE PR", "LOCK"}};
  for (const auto& r : status.instances) {
    const auto& run = r.last_run;
    rows.push_back({dash(r.id), dash(r.slug), dash(r.type), dash(r.version), dash(r.channel),
                    run ? dash(run->result) : "-",
                    run && run->started > 0 ? format_utc(run->started) : "-",
                    run ? dash(run->failed_step) : "-", dash(r.pr_url), lock_text(r)});
  }
  print_table(out, rows, style_for(out), 5);
  std::string summary;
  for (const auto& [version, count] : status.versions_by_count())
    summary += (summary.empty() ? "" : ", ") + (version.empty() ? "(none)" : version) + ": " +
               std::to_string(count);
  out << '\n'
      << status.instances.size() << " instance(s)" << (summary.empty() ? "" : " - " + summary)
      << '\n';
}

std::string now_utc_text() {
  return format_utc(static_cast<double>(std::time(nullptr)));
}

}  // namespace

int env_status(CommandContext& ctx) {
  int code = 0;
  po::options_description options("Options");
  options.add_options()("environment,e", po::value<std::string>(),
                        "Environment (default: the one the current folder is in)")(
      "filter", po::value<std::string>(), "jq expression selecting instances (default: all)")(
      "html", po::value<std::string>(), "Also write a self-contained HTML page to FILE")(
      "no-prs", "Do not ask the forge for open upgrade pull requests");
  add_output_options(options);
  auto parsed =
      parse(ctx, "-e ENV [-filter EXPR] [--json | -o json | -q] [--html FILE]", options, code);
  if (!parsed) return code;
  auto mode = output_mode(ctx, *parsed, code);
  if (!mode) return code;
  if (!parsed->positional.empty())
    return usage_error(ctx, "unexpected argument '" + parsed->positional[0] + "'");

  auto session = open_session(ctx, {});
  if (!session) return fail(ctx, session.message());
  std::string env = option_string(*parsed, "environment");
  if (env.empty()) {
    auto here = session->fleet->infer(ctx.cwd);
    if (!here)
      return usage_error(ctx, "pass -e ENV or run inside environments/<env>/deployments/<id>/");
    env = here->environment;
  }
  auto status = read_fleet_status(*session->fleet, env, option_string(*parsed, "filter"));
  if (!status) return fail(ctx, status.message());
  if (!parsed->vm.count("no-prs")) {
    auto prs = open_upgrade_prs(*session);
    if (prs)
      attach_upgrade_prs(*status, *prs);
    else if (*mode != OutputMode::kQuiet)
      *ctx.err << "mi2 " << ctx.name << ": open upgrade PRs not shown: " << prs.message() << '\n';
  }

  if (std::string html = option_string(*parsed, "html"); !html.empty()) {
    std::filesystem::path path = html;
    if (path.is_relative()) path = ctx.cwd / path;
    if (auto written = write_file_atomic(path, status_html(*status, now_utc_text())); !written)
      return fail(ctx, written.message());
    if (*mode == OutputMode::kTable) *ctx.err << "Wrote " << path.string() << '\n';
  }
  if (*mode == OutputMode::kJson) {
    *ctx.out << status->to_json().dump(2) << '\n';
  } else if (*mode == OutputMode::kQuiet) {
    for (const auto& r : status->instances) *ctx.out << r.id << '\n';
  } else if (status->instances.empty()) {
    *ctx.out << "No instances in environment " << env << " match\n";
  } else {
    print_status_table(*ctx.out, *status);
  }
  return kExitOk;
}

}  // namespace mi2::cli
