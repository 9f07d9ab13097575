// Commands that act on one instance through its plugins: upgrade, check,
// rollback, unlock, workon, backup, restore (db: instance_db_command.cpp).
#include <iostream>
#include <nlohmann/json.hpp>

#include "core/cli/commands.h"
#include "core/cli/output.h"
#include "core/cli/session.h"
#include "core/engine/engine.h"
#include "core/engine/instance_lock.h"
#include "core/engine/journal.h"
#include "core/engine/run_history.h"
#include "core/engine/upgrade_pr.h"
#include "core/host/step_input.h"
#include "core/sys/process_runner.h"

namespace mi2::cli {
namespace {

// The journal, the PR and the result; with --quiet only the run id.
int report_outcome(const CommandContext& ctx, const RunOutcome& outcome, const std::string& verb) {
  if (outcome.result == RunResult::kRefused) return fail(ctx, outcome.error);
  if (ctx.global.quiet && outcome.ok()) {
    if (!outcome.run_id.empty()) *ctx.out << outcome.run_id << '\n';
    return kExitOk;
  }
  Style style = style_for(*ctx.out);
  if (!outcome.journal_path.empty())
    *ctx.out << "Journal: " << outcome.journal_path.string() << '\n';
  if (outcome.ok()) {
    if (outcome.pr.is_object() && outcome.pr.contains("url"))
      *ctx.out << "Pull request: " << outcome.pr.value("url", "") << '\n';
    if (outcome.result == RunResult::kSucceeded)
      *ctx.out << style.green(verb + " succeeded") << " (run " << outcome.run_id << ")\n";
    return kExitOk;
  }
  return fail(ctx,
              "run " + outcome.run_id + " " + to_string(outcome.result) + ": " + outcome.error);
}

void print_json(const CommandContext& ctx, const Json& json) {
  *ctx.out << json.dump(2) << '\n';
}

}  // namespace

int instance_upgrade(CommandContext& ctx) {
  int code = 0;
  po::options_description options("Options");
  add_instance_options(options);
  options.add_options()("target-version", po::value<std::string>(),
                        "Version to upgrade to: a release, a release candidate, or 'latest'")(
      "dry-run", "Print the plan (every command and request) and change nothing")(
      "resume", po::value<std::string>(), "Continue the failed or interrupted run RUN_ID")(
      "force", "Allow a version skip of more than one minor")(
      "recipe", po::value<std::string>()->default_value("upgrade-instance"), "Recipe to run");
  auto parsed = parse(ctx, "-target-version V [--dry-run] [--resume RUN_ID]", options, code);
  if (!parsed) return code;
  std::string target = option_string(*parsed, "target-version");
  std::string resume = option_string(*parsed, "resume");
  if (target.empty() && resume.empty()) {
    if (const char* env = std::getenv("TARGET_VERSION"); env && *env) target = env;
  }
  if (target.empty() && resume.empty())
    return usage_error(ctx, "pass -target-version V (or --resume RUN_ID to continue a run)");

  auto session = open_instance_session(
      ctx, option_string(*parsed, "environment"), option_string(*parsed, "slug"),
      {"render", "healthcheck", "backup", "migrate", "apply", "vcs"});
  if (!session) return fail(ctx, session.message());
  auto recipe = find_recipe(session->config.raw, parsed->vm["recipe"].as<std::string>());
  if (!recipe) return fail(ctx, recipe.message());

  RunOptions run;
  run.target_version = target;
  run.dry_run = parsed->vm.count("dry-run") > 0;
  run.resume_run_id = resume;
  run.force = parsed->vm.count("force") > 0;
  run.out = ctx.global.quiet ? nullptr : ctx.out;
  run.live = run.out && !run.dry_run && is_live_terminal(*run.out);
  run.cancel_flag = install_interrupt_handler();
  RunEngine engine(*session->fleet, *session->providers);
  return report_outcome(ctx, engine.run(session->instance, *recipe, run), "Upgrade");
}

int instance_check(CommandContext& ctx) {
  int code = 0;
  po::options_description options("Options");
  add_instance_options(options);
  add_output_options(options);
  auto parsed = parse(ctx,
                      "[CHECK...] [--json | -o json | -q]  (no names: every check the bound "
                      "plugins provide; -q prints only the failing ones)",
                      options, code, "checks");
  if (!parsed) return code;
  auto mode = output_mode(ctx, *parsed, code);
  if (!mode) return code;
  auto session = open_instance_session(ctx, option_string(*parsed, "environment"),
                                       option_string(*parsed, "slug"), {"healthcheck"});
  if (!session) return fail(ctx, session.message());
  auto providers = session->providers->for_role("healthcheck");
  if (providers.empty())
    return fail(ctx, "no plugin serves role 'healthcheck': bind one in mi2.yaml under roles:");

  // Every name must be provided by some bound plugin.
  std::vector<std::string> known;
  for (Provider* p : providers)
    for (const auto& c : p->plugin->description().checks) known.push_back(c);
  for (const auto& name : parsed->positional) {
    if (std::find(known.begin(), known.end(), name) == known.end()) {
      std::string list;
      for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
      return usage_error(ctx,
                         "no bound plugin provides the check '" + name + "' (known: " + list + ")");
    }
  }

  auto json = load_instance(session->instance);
  if (!json) return fail(ctx, json.message());
  Json outputs = Json::object();
  bool ok = true;
  for (Provider* provider : providers) {
    Json checks = Json::array();
    for (const auto& name : parsed->positional) {
      const auto& provided = provider->plugin->description().checks;
      if (std::find(provided.begin(), provided.end(), name) != provided.end())
        checks.push_back(name);
    }
    if (!parsed->positional.empty() && checks.empty()) continue;
    Json input =
        step_input(*session->fleet, session->instance, *json, "check", {{"checks", checks}}, false);
    auto result = ProviderSet::invoke(
        *provider, "healthcheck", "check", input,
        CallSettings{false, std::nullopt, install_interrupt_handler(), nullptr});
    if (!result.ok()) return fail(ctx, result.error);
    outputs[provider->name] = result.output;
    ok = ok && result.output.value("ok", false);
  }
  if (*mode == OutputMode::kJson) {
    print_json(ctx, outputs);
  } else {
    Style style = style_for(*ctx.out);
    for (const auto& [plugin, output] : outputs.items()) {
      for (const auto& check : output.value("checks", Json::array())) {
        bool passed = check.value("ok", false);
        if (passed && *mode == OutputMode::kQuiet) continue;
        *ctx.out << (passed ? style.green("ok") + "     " : style.red("FAILED") + " ")
                 << check.value("name", "?") << ": " << check.value("summary", "") << '\n';
        for (const auto& detail : check.value("details", Json::array()))
          *ctx.out << "         "
                   << (detail.is_string() ? detail.get<std::string>() : detail.dump()) << '\n';
      }
    }
  }
  return ok ? kExitOk : kExitFailure;
}

int instance_rollback(CommandContext& ctx) {
  int code = 0;
  po::options_description options("Options");
  add_instance_options(options);
  options.add_options()("to", po::value<std::string>(),
                        "Version to return to (default: the version before the last upgrade run)")(
      "mode", po::value<std::string>(),
      "How the apply plugin rolls back (e.g. undo, restore-origin-main)")(
      "dry-run", "Print the plan and change nothing");
  auto parsed = parse(ctx, "[--to VERSION] [--mode MODE]", options, code);
  if (!parsed) return code;
  auto session =
      open_instance_session(ctx, option_string(*parsed, "environment"),
                            option_string(*parsed, "slug"), {"render", "healthcheck", "apply"});
  if (!session) return fail(ctx, session.message());

  std::string to = option_string(*parsed, "to");
  if (to.empty()) to = version_before_last_upgrade(runs_dir(*session->fleet, session->instance));
  if (to.empty())
    return fail(ctx,
                "no earlier upgrade run of this instance names a version to return to; pass --to "
                "VERSION");
  Json rollback_params = Json::object();
  if (auto mode = option_string(*parsed, "mode"); !mode.empty()) rollback_params["mode"] = mode;
  auto upgrade = find_recipe(session->config.raw, "upgrade-instance");
  if (!upgrade) return fail(ctx, upgrade.message());
  Recipe recipe = rollback_instance_recipe(rollback_params, verification_step(*upgrade));

  RunOptions run;
  run.target_version = to;
  run.force = true;
  run.dry_run = parsed->vm.count("dry-run") > 0;
  run.out = ctx.global.quiet ? nullptr : ctx.out;
  run.cancel_flag = install_interrupt_handler();
  if (session->providers->for_role("apply").empty())
    return fail(ctx, "no plugin serves role 'apply': bind one in mi2.yaml to roll back");
  RunEngine engine(*session->fleet, *session->providers);
  return report_outcome(ctx, engine.run(session->instance, recipe, run), "Rollback");
}

int instance_unlock(CommandContext& ctx) {
  int code = 0;
  po::options_description options("Options");
  add_instance_options(options);
  auto parsed = parse(ctx, "LOCK_ID", options, code, "lock-id", 1);
  if (!parsed) return code;
  if (parsed->positional.size() != 1)
    return usage_error(ctx, "pass the LOCK_ID the lock error named");
  auto session = open_instance_session(ctx, option_string(*parsed, "environment"),
                                       option_string(*parsed, "slug"), {});
  if (!session) return fail(ctx, session.message());
  auto state = session->fleet->state_dir(session->instance);
  if (auto unlocked = InstanceLock::force_unlock(state, parsed->positional[0]); !unlocked)
    return fail(ctx, unlocked.message());
  *ctx.out << "Unlocked " << session->instance.environment << '/' << session->instance.id << '\n';
  return kExitOk;
}

int instance_workon(CommandContext& ctx) {
  int code = 0;
  po::options_description options("Options");
  add_instance_options(options);
  options.add_options()("exec", "Run the commands instead of printing them");
  auto parsed = parse(ctx, "[-exec]", options, code);
  if (!parsed) return code;
  auto session = open_instance_session(ctx, option_string(*parsed, "environment"),
                                       option_string(*parsed, "slug"), {"apply"});
  if (!session) return fail(ctx, session.message());
  auto output = invoke_first(*session, "apply", "workon", Json::object(), "workon");
  if (!output) return fail(ctx, output.message());
  SystemProcessRunner runner;
  for (const auto& command : output->value("commands", Json::array())) {
    std::vector<std::string> argv = command.get<std::vector<std::string>>();
    std::string line;
    for (const auto& a : argv) line += (line.empty() ? "" : " ") + shell_quote(a);
    *ctx.out << line << '\n';
    if (!parsed->vm.count("exec") || argv.empty()) continue;
    ProcessRequest request;
    request.argv = argv;
    auto result = runner.run(request);
    *ctx.out << result.out;
    *ctx.err << result.err;
    if (!result.ok())
      return fail(ctx, "'" + line + "' failed" +
                           (result.spawn_error.empty()
                                ? " with exit code " + std::to_string(result.exit_code)
                                : ": " + result.spawn_error));
  }
  return kExitOk;
}

namespace {

struct ProviderReply {
  std::string provider;
  Result<Json> output;
  mi2_status status = MI2_OK;
};

// Invokes role.action on every provider of `role` that serves it (or only on
// `only` when given), in mi2.yaml's order. Errors when none does.
Result<std::vector<ProviderReply>> invoke_each(Session& session, const std::string& role,
                                               const std::string& action, const Json& params,
                                               const std::string& step, const std::string& only,
                                               bool stop_on_failure) {
  auto json = load_instance(session.instance);
  if (!json) return json.error();
  std::vector<ProviderReply> replies;
  for (Provider* provider : session.providers->for_role(role)) {
    if (!only.empty() && provider->name != only) continue;
    if (!provider->plugin->serves(role, action)) continue;
    Json input = step_input(*session.fleet, session.instance, *json, step, params, false);
    auto result = ProviderSet::invoke(*provider, role, action, input, CallSettings{});
    if (result.ok())
      replies.push_back(
          {provider->name, result.output.is_null() ? Json::object() : result.output, MI2_OK});
    else
      replies.push_back({provider->name, make_error(result.error), result.status});
    if (!result.ok() && stop_on_failure) break;
  }
  if (replies.empty())
    return make_error(only.empty() ? "no plugin bound to role '" + role + "' in mi2.yaml serves '" +
                                         action + "'"
                                   : "'" + only + "' is not a plugin bound to role '" + role +
                                         "' that serves '" + action + "' (see mi2.yaml)");
  return replies;
}

std::string backup_field(const Json& b, std::initializer_list<const char*> keys) {
  for (const char* k : keys)
    if (b.contains(k) && b[k].is_string())
      return b[k].get<std::string>();
    else if (b.contains(k) && b[k].is_number())
      return b[k].dump();
  return "";
}

bool backup_matches(const Json& b, const std::string& name) {
  for (const char* k : {"id", "name", "description", "backup_id"})
    if (backup_field(b, {k}) == name) return true;
  return false;
}

int backup_list(CommandContext& ctx, Session& session, const std::string& only, OutputMode mode) {
  auto replies = invoke_each(session, "backup", "list", Json::object(), "backup list", only, false);
  if (!replies) return fail(ctx, replies.message());
  Json all = Json::array();
  Json errors = Json::array();
  for (auto& reply : *replies) {
    if (!reply.output) {
      errors.push_back({{"provider", reply.provider}, {"error", reply.output.message()}});
      continue;
    }
    for (const auto& b : reply.output->value("backups", Json::array())) {
      Json row = b;
      row["provider"] = reply.provider;
      all.push_back(row);
    }
  }
  if (mode == OutputMode::kJson) {
    *ctx.out << Json{{"backups", all}, {"errors", errors}}.dump(2) << '\n';
  } else if (mode == OutputMode::kQuiet) {
    for (const auto& b : all) *ctx.out << backup_field(b, {"id", "name"}) << '\n';
  } else {
    std::vector<std::vector<std::string>> rows = {
        {"PROVIDER", "ID", "CREATED", "STATUS", "DESCRIPTION"}};
    for (const auto& b : all)
      rows.push_back({b.value("provider", ""), backup_field(b, {"id", "name"}),
                      b.contains("created") && b["created"].is_number()
                          ? format_utc(b["created"].get<double>())
                          : backup_field(b, {"created", "windowStartTime", "started"}),
                      backup_field(b, {"status"}),
                      escape_control(backup_field(b, {"description", "name"}))});
    print_table(*ctx.out, rows, style_for(*ctx.out));
  }
  if (mode != OutputMode::kJson) {
    for (const auto& e : errors)
      *ctx.err << "mi2 " << ctx.name << ": " << e["provider"].get<std::string>() << ": "
               << e["error"].get<std::string>() << '\n';
  }
  return errors.empty() ? kExitOk : kExitFailure;
}

}  // namespace

// `backup list` shows every bound backup provider's backups; `backup create`
// takes one checkpoint across all of them, as the recipe's checkpoint step does.
int instance_backup(CommandContext& ctx) {
  int code = 0;
  po::options_description options("Options");
  add_instance_options(options);
  options.add_options()("name", po::value<std::string>(), "Name of the checkpoint to create")(
      "provider", po::value<std::string>(), "Only this backup plugin");
  add_output_options(options);
  auto parsed = parse(ctx, "list|create [--name N] [--provider P] [--json | -o json | -q]", options,
                      code, "subcommand", 1);
  if (!parsed) return code;
  auto mode = output_mode(ctx, *parsed, code);
  if (!mode) return code;
  std::string sub = parsed->positional.empty() ? "" : parsed->positional[0];
  if (sub != "list" && sub != "create")
    return usage_error(ctx, "say 'backup list' or 'backup create'");
  auto session = open_instance_session(ctx, option_string(*parsed, "environment"),
                                       option_string(*parsed, "slug"), {"backup"});
  if (!session) return fail(ctx, session.message());
  std::string only = option_string(*parsed, "provider");
  if (sub == "list") return backup_list(ctx, *session, only, *mode);

  Json params = Json::object();
  if (auto name = option_string(*parsed, "name"); !name.empty()) params["name"] = name;
  auto replies = invoke_each(*session, "backup", "create", params, "backup create", only, true);
  if (!replies) return fail(ctx, replies.message());
  Json checkpoints = Json::object();
  for (auto& reply : *replies) {
    if (!reply.output) {
      std::string made;
      for (const auto& [p, c] : checkpoints.items()) made += (made.empty() ? "" : ", ") + p;
      return fail(ctx, "the checkpoint is incomplete: " + reply.provider + " failed (" +
                           reply.output.message() + ")" +
                           (made.empty() ? "" : "; made by " + made + " before it"));
    }
    checkpoints[reply.provider] = reply.output->value("checkpoint", *reply.output);
  }
  print_json(ctx, {{"checkpoints", checkpoints}});
  return kExitOk;
}

// Restores checkpoint N from the provider(s) that hold it (or --provider P).
// Explicit only: no run ever restores data by itself.
int instance_restore(CommandContext& ctx) {
  int code = 0;
  po::options_description options("Options");
  add_instance_options(options);
  options.add_options()("backup-name", po::value<std::string>(), "Checkpoint to restore")(
      "restore-type", po::value<std::string>(),
      "What to restore (plugin-specific, e.g. full-replace)")(
      "provider", po::value<std::string>(), "Restore from this backup plugin only");
  auto parsed = parse(ctx, "create --backup-name N [--provider P] [--restore-type T]", options,
                      code, "subcommand", 1);
  if (!parsed) return code;
  if (parsed->positional.empty() || parsed->positional[0] != "create")
    return usage_error(ctx, "say 'restore create --backup-name N'");
  std::string name = option_string(*parsed, "backup-name");
  if (name.empty())
    return usage_error(ctx, "pass --backup-name N (see 'mi2 instance backup list')");
  auto session = open_instance_session(ctx, option_string(*parsed, "environment"),
                                       option_string(*parsed, "slug"), {"backup"});
  if (!session) return fail(ctx, session.message());
  std::string only = option_string(*parsed, "provider");
  std::vector<std::string> holders;
  if (only.empty()) {
    auto lists = invoke_each(*session, "backup", "list", Json::object(), "restore", "", false);
    if (!lists) return fail(ctx, lists.message());
    for (auto& reply : *lists) {
      if (!reply.output) continue;
      for (const auto& b : reply.output->value("backups", Json::array()))
        if (backup_matches(b, name)) {
          holders.push_back(reply.provider);
          break;
        }
    }
    if (holders.empty())
      return fail(ctx, "no bound backup plugin holds a backup named '" + escape_control(name) +
                           "'; see 'mi2 instance backup list'");
  } else {
    holders.push_back(only);
  }
  Json params = {{"backup_name", name}};
  if (auto type = option_string(*parsed, "restore-type"); !type.empty())
    params["restore_type"] = type;
  // A holder that does not do this restore type (kubectl's manifests for a
  // database plugin) is skipped and named, not a failure after others restored.
  Json restored = Json::object();
  Json skipped = Json::object();
  for (const std::string& provider : holders) {
    auto replies = invoke_each(*session, "backup", "restore", params, "restore", provider, true);
    if (!replies) return fail(ctx, replies.message());
    auto& reply = replies->front();
    if (!reply.output && reply.status == MI2_NOT_SUPPORTED) {
      skipped[reply.provider] = reply.output.message();
      continue;
    }
    if (!reply.output) return fail(ctx, reply.provider + ": " + reply.output.message());
    restored[reply.provider] = *reply.output;
  }
  if (restored.empty())
    return fail(ctx, "no backup plugin that holds '" + escape_control(name) +
                         "' can do this restore: " + skipped.dump());
  if (!skipped.empty()) {
    print_json(ctx, {{"restored", restored}, {"skipped", skipped}});
    return kExitOk;
  }
  print_json(ctx, {{"restored", restored}});
  return kExitOk;
}

}  // namespace mi2::cli
