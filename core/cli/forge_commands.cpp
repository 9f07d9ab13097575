// Forge-neutral commands, served by whichever plugin mi2.yaml binds to `vcs`:
//   mi2 env create-tracking-issue -e ENV VERSION
//   mi2 pr list [--label L] [--state S] [--json [FIELDS]] [--jq EXPR]
//   mi2 pr view N [--json]
//   mi2 pr approve N...
//   mi2 pr merge N... [--squash] [--auto]   (then ticks the tracking issue)
// (`mi2 env tracking-issue sync` is tracking_issue_command.cpp; both reach the
// forge through forge_session.h.)
// They give the runbook's `gh pr ...` steps a form that works on any forge.
#include <nlohmann/json.hpp>

#include <ostream>
#include <regex>

#include "core/cli/commands.h"
#include "core/cli/forge_session.h"
#include "core/cli/output.h"
#include "core/cli/session.h"
#include "core/engine/upgrade_pr.h"
#include "core/engine/version_policy.h"
#include "core/jq/jq_program.h"

namespace mi2::cli {
namespace {

// "12", "#12" or a PR URL ending in /12.
std::optional<int64_t> pr_number(const std::string& text) {
  static const std::regex pattern(R"(^(?:#?|.*/)([1-9][0-9]{0,15})/?$)");
  std::smatch match;
  if (!std::regex_match(text, match, pattern)) return std::nullopt;
  return std::stoll(match[1].str());
}

Result<std::vector<int64_t>> pr_numbers(const std::vector<std::string>& args) {
  std::vector<int64_t> numbers;
  for (const auto& arg : args) {
    auto number = pr_number(arg);
    if (!number) return make_error("'" + arg + "' is not a pull request number");
    numbers.push_back(*number);
  }
  if (numbers.empty()) return make_error("name at least one pull request number");
  return numbers;
}

std::string labels_text(const Json& pr) {
  std::string text;
  for (const auto& label : pr.value("labels", Json::array()))
    if (label.is_string()) text += (text.empty() ? "" : ", ") + label.get<std::string>();
  return text;
}

// Which instance a merged upgrade PR was for: its title says "<slug>: upgrade
// to <V>"; the slug is looked up in the fleet (the body's "environment `E`"
// breaks a tie between environments).
struct UpgradeTarget {
  InstanceRef instance;
  std::string version;
};

Result<UpgradeTarget> upgrade_target(const Fleet& fleet, const Json& pr) {
  static const std::regex title(R"(^(\S+): upgrade to (\S+)$)");
  std::smatch match;
  std::string pr_title = pr.value("title", "");
  if (!std::regex_match(pr_title, match, title))
    return make_error("its title '" + pr_title + "' is not '<slug>: upgrade to <version>'");
  std::string slug = match[1].str(), version = match[2].str();
  auto environments = fleet.environments();
  if (!environments) return environments.error();
  std::vector<InstanceRef> found;
  for (const auto& env : *environments)
    if (auto ref = fleet.find(env, slug); ref) found.push_back(*ref);
  if (found.empty())
    return make_error("no environment of the fleet has an instance '" + slug + "'");
  std::string body = pr.value("body", "");
  for (const auto& ref : found)
    if (body.find("environment `" + ref.environment + "`") != std::string::npos)
      return UpgradeTarget{ref, version};
  return UpgradeTarget{found.front(), version};
}

// Ticks the merged PR's instance off its tracking issue. A failure is a
// warning: the merge itself succeeded.
void tick_tracking_issue(const CommandContext& ctx, ForgeSession& forge, int64_t number) {
  auto pr = call_forge(forge, "pr merge", "pr-view", {{"number", number}});
  auto target = pr ? upgrade_target(*forge.session.fleet, pr->value("pr", Json::object()))
                   : Result<UpgradeTarget>(pr.error());
  if (!target) {
    *ctx.err << "mi2 " << ctx.name << ": merged #" << number
             << " but did not update a tracking issue: " << target.message() << ".\n";
    return;
  }
  const InstanceRef& ref = target->instance;
  Json defaults = tracking_issue_params(*forge.session.fleet, ref.environment, target->version);
  Json params = {{"version", target->version},
                 {"title", tracking_issue_title(ref.environment, target->version)},
                 {"instance", ref.id},
                 {"labels", defaults.value("labels", Json::array())}};
  auto ticked = call_forge(forge, "pr merge", "tracking-issue-check", params, ref.environment);
  if (!ticked) {
    *ctx.err << "mi2 " << ctx.name << ": merged #" << number
             << " but could not tick it off the tracking issue: " << ticked.message() << '\n';
    return;
  }
  std::string url = ticked->value("issue", Json::object()).value("url", "");
  if (ticked->value("listed", false))
    *ctx.out << "Ticked " << ref.id << " in " << url << '\n';
  else
    *ctx.err << "mi2 " << ctx.name << ": tracking issue " << url << " does not list " << ref.id
             << "; update it by hand.\n";
}

int pr_list(CommandContext& ctx) {
  int code = 0;
  po::options_description options("Options");
  options.add_options()("label", po::value<std::string>(),
                        "Only PRs with this label (e.g. mi-upgrade)")(
      "state", po::value<std::string>()->default_value("open"), "open, closed, merged or all")(
      "json", po::value<std::string>()->implicit_value(""),
      "Print a JSON array (optionally only these comma-separated fields)")(
      "jq", po::value<std::string>(), "With --json: print each output of this jq expression");
  add_output_options(options, false);
  auto parsed = parse(ctx, "[--label L] [--state S] [--json [FIELDS] | -o json] [--jq EXPR] [-q]",
                      options, code, "fields", 1);
  if (!parsed) return code;
  auto mode = output_mode(ctx, *parsed, code);
  if (!mode) return code;
  bool json = *mode == OutputMode::kJson;
  std::string fields = json && parsed->vm.count("json") ? parsed->vm["json"].as<std::string>() : "";
  // `--json number` (gh's spelling) leaves the field list as a bare word.
  if (json && fields.empty() && !parsed->positional.empty())
    fields = parsed->positional[0];
  else if (!parsed->positional.empty())
    return usage_error(ctx, "unexpected argument '" + parsed->positional[0] + "'");
  std::string jq = option_string(*parsed, "jq");
  if (!jq.empty() && !json) return usage_error(ctx, "--jq needs --json");

  auto forge = open_forge(ctx);
  if (!forge) return fail(ctx, forge.message());
  auto out = call_forge(*forge, "pr list", "pr-list",
                        {{"label", option_string(*parsed, "label")},
                         {"state", parsed->vm["state"].as<std::string>()}});
  if (!out) return fail(ctx, out.message());
  Json prs = out->value("prs", Json::array());

  if (*mode == OutputMode::kQuiet) {
    for (const auto& pr : prs) *ctx.out << pr.value("number", 0) << '\n';
    return kExitOk;
  }
  if (!json) {
    for (const auto& pr : prs)
      *ctx.out << '#' << pr.value("number", 0) << '\t' << pr.value("title", "") << '\t'
               << pr.value("branch", "") << '\t' << pr.value("url", "") << '\n';
    return kExitOk;
  }
  if (!fields.empty()) {
    Json picked = Json::array();
    std::regex comma(",");
    std::vector<std::string> names(
        std::sregex_token_iterator(fields.begin(), fields.end(), comma, -1), {});
    for (const auto& pr : prs) {
      Json item = Json::object();
      for (const auto& name : names)
        if (pr.contains(name)) item[name] = pr[name];
      picked.push_back(item);
    }
    prs = picked;
  }
  if (jq.empty()) {
    *ctx.out << prs.dump(2) << '\n';
    return kExitOk;
  }
  auto program = JqProgram::compile(jq);
  if (!program) return fail(ctx, program.message() + "; fix the --jq expression.");
  auto outputs = program->run(prs);
  if (!outputs) return fail(ctx, outputs.message());
  for (const auto& output : *outputs)
    *ctx.out << (output.is_string() ? output.get<std::string>() : output.dump()) << '\n';
  return kExitOk;
}

int pr_view(CommandContext& ctx) {
  int code = 0;
  po::options_description options("Options");
  options.add_options()("json", "Print the pull request as JSON");
  auto parsed = parse(ctx, "N [--json]", options, code, "number", 1);
  if (!parsed) return code;
  auto numbers = pr_numbers(parsed->positional);
  if (!numbers) return usage_error(ctx, numbers.message());
  auto forge = open_forge(ctx);
  if (!forge) return fail(ctx, forge.message());
  auto out = call_forge(*forge, "pr view", "pr-view", {{"number", numbers->front()}});
  if (!out) return fail(ctx, out.message());
  Json pr = out->value("pr", Json::object());
  if (parsed->vm.count("json")) {
    *ctx.out << pr.dump(2) << '\n';
    return kExitOk;
  }
  *ctx.out << pr.value("title", "") << " #" << pr.value("number", 0) << '\n'
           << pr.value("state", "") << " · " << pr.value("branch", "") << " → "
           << pr.value("base", "") << " · labels: " << labels_text(pr) << '\n'
           << pr.value("url", "") << "\n\n"
           << pr.value("body", "") << '\n';
  return kExitOk;
}

int pr_approve(CommandContext& ctx) {
  int code = 0;
  po::options_description options("Options");
  options.add_options()("approve", "Accepted for gh's `pr review --approve` spelling");
  auto parsed = parse(ctx, "N...", options, code, "numbers");
  if (!parsed) return code;
  auto numbers = pr_numbers(parsed->positional);
  if (!numbers) return usage_error(ctx, numbers.message());
  auto forge = open_forge(ctx);
  if (!forge) return fail(ctx, forge.message());
  int result = kExitOk;
  for (int64_t number : *numbers) {
    auto out = call_forge(*forge, "pr approve", "pr-approve", {{"number", number}});
    if (!out) {
      result = fail(ctx, "#" + std::to_string(number) + ": " + out.message());
      continue;
    }
    *ctx.out << "Approved #" << number << '\n';
  }
  return result;
}

int pr_merge(CommandContext& ctx) {
  int code = 0;
  po::options_description options("Options");
  options.add_options()("squash", "Squash the commits (the default)")(
      "merge", "Make a merge commit instead of squashing")(
      "auto", "If checks are still running, merge once they pass (auto-merge)");
  auto parsed = parse(ctx, "N... [--squash] [--auto]", options, code, "numbers");
  if (!parsed) return code;
  if (parsed->vm.count("squash") && parsed->vm.count("merge"))
    return usage_error(ctx, "pass --squash or --merge, not both");
  auto numbers = pr_numbers(parsed->positional);
  if (!numbers) return usage_error(ctx, numbers.message());
  auto forge = open_forge(ctx);
  if (!forge) return fail(ctx, forge.message());
  bool squash = parsed->vm.count("merge") == 0;
  bool auto_merge = parsed->vm.count("auto") > 0;
  int result = kExitOk;
  for (int64_t number : *numbers) {
    auto out = call_forge(*forge, "pr merge", "pr-merge",
                          {{"number", number}, {"squash", squash}, {"auto", auto_merge}});
    if (!out) {
      result = fail(ctx, "#" + std::to_string(number) + ": " + out.message());
      continue;
    }
    if (out->value("merged", false)) {
      *ctx.out << "Merged #" << number << '\n';
      tick_tracking_issue(ctx, *forge, number);
    } else if (out->value("auto_merge", false)) {
      *ctx.out << "Auto-merge enabled for #" << number
               << " (once it merged, 'mi2 env tracking-issue sync -e ENV VERSION' ticks it on "
                  "the tracking issue)\n";
    } else {
      *ctx.out << "#" << number << " was not merged\n";
    }
  }
  return result;
}

}  // namespace

int env_create_tracking_issue(CommandContext& ctx) {
  int code = 0;
  po::options_description options("Options");
  options.add_options()("environment,e", po::value<std::string>(), "Environment (required)")(
      "dry-run", "Show what would be created; change nothing");
  auto parsed = parse(ctx, "-e ENV VERSION|latest", options, code, "version", 1);
  if (!parsed) return code;
  std::string environment = option_string(*parsed, "environment");
  if (environment.empty()) return usage_error(ctx, "pass the environment with -e ENV");
  if (parsed->positional.empty()) return usage_error(ctx, "name the VERSION to track");
  std::string version = parsed->positional[0];
  if (version != "latest") {
    if (auto valid = validate_version(version); !valid) return usage_error(ctx, valid.message());
  }

  auto forge = open_forge(ctx);
  if (!forge) return fail(ctx, forge.message());
  forge->dry_run = parsed->vm.count("dry-run") > 0;
  if (version == "latest") {
    auto latest = call_forge(*forge, "env create-tracking-issue", "latest-version", Json::object());
    if (!latest) return fail(ctx, latest.message());
    version = latest->value("version", "");
    if (auto valid = validate_version(version); !valid)
      return fail(ctx, "the vcs plugin's latest version is not usable: " + valid.message());
  }
  if (auto instances = forge->session.fleet->instances(environment); !instances)
    return fail(ctx, instances.message());
  Json params = tracking_issue_params(*forge->session.fleet, environment, version);
  auto out = call_forge(*forge, "env create-tracking-issue", "tracking-issue", params, environment);
  if (!out) return fail(ctx, out.message());
  Json issue = out->value("issue", Json::object());
  if (forge->dry_run) {
    // Say what the read-only lookup found, never "would create" over an issue that exists.
    if (out->value("found", false) || issue.value("number", 0) > 0) {
      *ctx.err << "Dry run: tracking issue '" << params.value("title", "") << "' exists: #"
               << issue.value("number", 0) << " " << issue.value("url", "")
               << "; it would be used as it is (nothing created).\n";
      *ctx.out << issue.value("url", "") << '\n';
    } else {
      *ctx.err << "Dry run: no tracking issue titled '" << params.value("title", "")
               << "' was found; it would be created with:\n\n"
               << params.value("body", "") << '\n';
    }
    return kExitOk;
  }
  *ctx.err << (issue.value("created", false) ? "Created" : "Found") << " tracking issue #"
           << issue.value("number", 0) << " '" << params.value("title", "") << "'\n";
  *ctx.out << issue.value("url", "") << '\n';
  return kExitOk;
}

int pr_command(CommandContext& ctx) {
  static const std::vector<Subcommand> kSubcommands = {
      {"list", "List pull requests (by label) on the fleet's forge", pr_list},
      {"view", "Show a pull request with its body", pr_view},
      {"approve", "Approve pull requests", pr_approve},
      {"review", "Approve pull requests (gh's `pr review --approve`)", pr_approve},
      {"merge", "Merge pull requests (squash; --auto once checks pass), tick the tracking issue",
       pr_merge},
  };
  return run_subcommand(ctx, kSubcommands, "mi2 pr <list|view|approve|merge> [options]");
}

}  // namespace mi2::cli
