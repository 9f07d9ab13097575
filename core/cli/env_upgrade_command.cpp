// `mi2 env upgrade`: the upgrade recipe (mi2.yaml's recipes.upgrade-instance
// when it has one, as `mi2 instance upgrade` runs) on the instances the fleet
// scan selects, in waves, from this machine.
#include <sys/ioctl.h>
#include <unistd.h>

#include <boost/algorithm/string/split.hpp>
#include <nlohmann/json.hpp>

#include "core/cli/commands.h"
#include "core/cli/output.h"
#include "core/cli/session.h"
#include "core/engine/batch_upgrade.h"

namespace mi2::cli {

int env_upgrade_batch(CommandContext& ctx) {
  int code = 0;
  po::options_description options("Options");
  options.add_options()("environment,e", po::value<std::string>(), "Environment to upgrade")(
      "filter", po::value<std::string>(), "jq expression selecting instances (default: all)")(
      "target-version", po::value<std::string>(), "Version to upgrade to")(
      "max-parallel", po::value<int>()->default_value(4), "Instances upgraded at the same time")(
      "waves", po::value<std::string>()->default_value("100%"),
      "Wave sizes, e.g. 1,5,25%,100% (the last repeats); a wave starts when the previous one is "
      "done")("max-fail-percentage", po::value<double>()->default_value(0),
              "Stop starting instances once more than this share of the batch has failed")(
      "dry-run", "Show the selection and the waves; start nothing")(
      "force", "Allow version skips of more than one minor")("resume", po::value<std::string>(),
                                                             "Continue the batch BATCH_ID")(
      "json", "Print the report as JSON (the same as -o json)")(
      "recipe", po::value<std::string>()->default_value("upgrade-instance"),
      "Recipe each instance runs (mi2.yaml recipes.<name> overrides the built-in one)");
  add_output_options(options, false);
  auto parsed =
      parse(ctx, "-e ENV -filter EXPR -target-version V [--waves 1,5,25%,100%] [--max-parallel N]",
            options, code);
  if (!parsed) return code;
  auto mode = output_mode(ctx, *parsed, code);
  if (!mode) return code;

  BatchOptions batch;
  batch.environment = option_string(*parsed, "environment");
  batch.filter = option_string(*parsed, "filter");
  batch.target_version = option_string(*parsed, "target-version");
  if (batch.target_version.empty())
    if (const char* env = std::getenv("TARGET_VERSION"); env && *env) batch.target_version = env;
  batch.resume_batch_id = option_string(*parsed, "resume");
  batch.max_parallel = parsed->vm["max-parallel"].as<int>();
  batch.max_fail_percentage = parsed->vm["max-fail-percentage"].as<double>();
  batch.dry_run = parsed->vm.count("dry-run") > 0;
  batch.force = parsed->vm.count("force") > 0;
  std::string waves = parsed->vm["waves"].as<std::string>();
  batch.waves.clear();
  boost::split(batch.waves, waves, [](char c) { return c == ','; });
  if (batch.resume_batch_id.empty()) {
    if (batch.environment.empty()) return usage_error(ctx, "pass -e ENV");
    if (batch.target_version.empty()) return usage_error(ctx, "pass -target-version V");
  }
  if (batch.max_parallel < 1) return usage_error(ctx, "--max-parallel must be at least 1");
  if (batch.max_fail_percentage < 0 || batch.max_fail_percentage > 100)
    return usage_error(ctx, "--max-fail-percentage takes a number from 0 to 100");
  bool json = *mode == OutputMode::kJson;
  bool quiet = *mode == OutputMode::kQuiet;  // only the batch id
  batch.out = json ? ctx.err : quiet ? nullptr : ctx.out;
  batch.live = !json && !quiet && is_live_terminal(*ctx.out);
  if (winsize size{};
      batch.live && ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 20)
    batch.live_width = size.ws_col - 1u;  // a full last column would wrap on some terminals
  batch.cancel_flag = install_interrupt_handler();

  auto session = open_session(ctx, {});
  if (!session) return fail(ctx, session.message());
  auto recipe = find_recipe(session->config.raw, parsed->vm["recipe"].as<std::string>());
  if (!recipe) return fail(ctx, recipe.message());
  auto report =
      run_batch_upgrade(*session->fleet, session->config, *session->loader, *recipe, batch);
  if (!report) return fail(ctx, report.message());
  if (json) {
    *ctx.out << report->to_json().dump(2) << '\n';
  } else if (quiet) {
    *ctx.out << report->batch_id << '\n';
  } else if (!batch.dry_run) {
    *ctx.out << '\n' << report->recap_table();
    if (!report->stop_reason.empty())
      *ctx.out << "\nStopped: " << report->stop_reason << ". Resume with: mi2 env upgrade --resume "
               << report->batch_id << '\n';
  }
  if (batch.dry_run) return kExitOk;
  return report->ok() ? kExitOk : kExitFailure;
}

}  // namespace mi2::cli
