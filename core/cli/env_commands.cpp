// mi2 env workflow run: one CI workflow run per selected instance, printed as
// runnable commands (text), as JSON, or dispatched through the vcs plugin.
#include <spdlog/spdlog.h>
#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <mutex>
#include <nlohmann/json.hpp>
#include <ostream>
#include <thread>

#include "core/cli/commands.h"
#include "core/cli/session.h"
#include "core/fleet/fleet_scan.h"
#include "core/fleet/workflow_template.h"
#include "core/host/step_input.h"

namespace mi2::cli {
namespace {

struct PlannedRun {
  const ScannedInstance* instance;
  std::string slug;
  RenderedWorkflow rendered;
};

std::string slug_of(const ScannedInstance& scanned) {
  return mi2::slug_of(scanned.instance, scanned.ref.id);
}

Json plan_json(const PlannedRun& run, const WorkflowTemplate& workflow) {
  Json inputs = Json::object();
  for (const auto& [name, value] : run.rendered.inputs) inputs[name] = value;
  return Json{{"instance", run.instance->ref.id},
              {"slug", run.slug},
              {"environment", run.instance->ref.environment},
              {"workflow", workflow.name},
              {"workflow_file", workflow.workflow},
              {"inputs", inputs},
              {"command", run.rendered.command}};
}

// Dispatches every run through the vcs plugin, `concurrency` at a time (one
// plugin instance per worker). Prints "<instance> <url>" as each returns.
int dispatch(CommandContext& ctx, Session& session, const WorkflowTemplate& workflow,
             const std::vector<PlannedRun>& runs, unsigned concurrency) {
  concurrency = std::max(1u, std::min<unsigned>(concurrency, static_cast<unsigned>(runs.size())));
  std::vector<std::unique_ptr<ProviderSet>> sets;
  for (unsigned i = 0; i < concurrency; ++i) {
    auto set =
        ProviderSet::open(session.config, *session.loader, default_host_environment(), {"vcs"});
    if (!set) return fail(ctx, set.message());
    sets.push_back(std::move(*set));
  }
  const std::atomic<bool>* cancel = install_interrupt_handler();
  std::mutex output;
  std::atomic<size_t> next{0};
  std::atomic<size_t> failures{0};
  auto worker = [&](ProviderSet* set) {
    auto provider = set->first("vcs");
    for (;;) {
      size_t i = next.fetch_add(1);
      if (i >= runs.size() || cancel->load()) return;
      const PlannedRun& run = runs[i];
      std::string error;
      std::string url;
      if (!provider) {
        error = provider.message();
      } else {
        Json params = Json::object();
        params["workflow"] = workflow.workflow;
        if (!workflow.ref.empty()) params["ref"] = workflow.ref;
        Json inputs = Json::object();
        for (const auto& [name, value] : run.rendered.inputs) inputs[name] = value;
        params["inputs"] = inputs;
        Json input = step_input(*session.fleet, run.instance->ref, run.instance->instance,
                                "env workflow run", params, false);
        CallSettings settings{false, std::nullopt, cancel, nullptr};
        InvokeResult result =
            ProviderSet::invoke(**provider, "vcs", "dispatch-workflow", input, settings);
        if (!result.ok())
          error = result.error;
        else if (result.output.is_object() && result.output.contains("url") &&
                 result.output["url"].is_string())
          url = result.output["url"].get<std::string>();
        else
          error = "the vcs plugin returned no url for the dispatched run";
      }
      std::lock_guard lock(output);
      if (error.empty()) {
        *ctx.out << run.instance->ref.id << ' ' << url << '\n' << std::flush;
      } else {
        ++failures;
        *ctx.err << "mi2 " << ctx.name << ": " << run.instance->ref.id << ": " << error << '\n';
      }
    }
  };
  std::vector<std::thread> pool;
  for (unsigned i = 1; i < concurrency; ++i) pool.emplace_back(worker, sets[i].get());
  worker(sets[0].get());
  for (auto& thread : pool) thread.join();

  size_t dispatched = std::min(next.load(), runs.size());
  if (cancel->load() && dispatched < runs.size()) {
    return fail(ctx, "interrupted: " + std::to_string(runs.size() - dispatched) +
                         " run(s) not dispatched; run the command again with a filter that "
                         "excludes the instances already dispatched.");
  }
  if (failures.load() > 0) {
    return fail(ctx, std::to_string(failures.load()) + " of " + std::to_string(runs.size()) +
                         " dispatches failed (see above); fix the cause and run again.");
  }
  return kExitOk;
}

// The runnable command of each run comes from the vcs plugin (gh for GitHub,
// glab for GitLab, ...) through its `workflow-command` action; the built-in gh
// template stays only when no bound vcs plugin offers one.
Status forge_commands(Session& session, const WorkflowTemplate& workflow,
                      std::vector<PlannedRun>& runs) {
  if (runs.empty() || !session.config.roles.count("vcs")) return {};
  auto set =
      ProviderSet::open(session.config, *session.loader, default_host_environment(), {"vcs"});
  if (!set) return set.error();
  Provider* vcs = nullptr;
  for (Provider* p : (*set)->for_role("vcs"))
    if (!vcs && p->plugin->serves("vcs", "workflow-command")) vcs = p;
  if (!vcs) return {};
  for (PlannedRun& run : runs) {
    Json inputs = Json::object();
    for (const auto& [name, value] : run.rendered.inputs) inputs[name] = value;
    Json params = {{"workflow", workflow.workflow}, {"inputs", inputs}};
    if (!workflow.ref.empty()) params["ref"] = workflow.ref;
    Json input = step_input(*session.fleet, run.instance->ref, run.instance->instance,
                            "env workflow run", params, true);
    auto reply = ProviderSet::invoke(*vcs, "vcs", "workflow-command", input, CallSettings{});
    if (!reply.ok()) return make_error(reply.error);
    const Json& argv = reply.output.is_object() ? reply.output.value("argv", Json()) : Json();
    if (!argv.is_array() || argv.empty())
      return make_error("the " + vcs->name +
                        " plugin's workflow-command gave no argv list for instance " +
                        run.instance->ref.id);
    run.rendered.argv.clear();
    run.rendered.command.clear();
    for (const auto& word : argv) {
      std::string text = word.is_string() ? word.get<std::string>() : word.dump();
      run.rendered.argv.push_back(text);
      run.rendered.command += (run.rendered.command.empty() ? "" : " ") + shell_quote(text);
    }
  }
  return {};
}

}  // namespace

int env_workflow_run(CommandContext& ctx) {
  int code = 0;
  po::options_description options("Options");
  options.add_options()("environment,e", po::value<std::string>(), "Environment (e.g. prod)")(
      "filter", po::value<std::string>(),
      "jq expression, true for the instances to select (same object as 'mi2 instance get')")(
      "format", po::value<std::string>()->default_value("text"),
      "text: one runnable command per instance; json: an array of runs")(
      "target-version", po::value<std::string>(),
      "Version for {{target_version}} (default: $TARGET_VERSION)")(
      "exec", po::bool_switch(), "Dispatch the runs through the vcs plugin and print their URLs")(
      "exec.concurrency", po::value<unsigned>()->default_value(1),
      "With -exec: dispatches in flight at once");
  auto parsed = parse(ctx, "-e ENV -filter EXPR [-format text|json] [-exec] WORKFLOW", options,
                      code, "workflow", 1);
  if (!parsed) return code;

  std::string env = option_string(*parsed, "environment");
  std::string filter = option_string(*parsed, "filter");
  std::string format = parsed->vm["format"].as<std::string>();
  bool exec = parsed->vm["exec"].as<bool>();
  unsigned concurrency = parsed->vm["exec.concurrency"].as<unsigned>();
  if (env.empty()) return usage_error(ctx, "pass -e ENV (the environment to select from)");
  if (filter.empty())
    return usage_error(ctx, "pass -filter EXPR (a jq expression; 'true' selects every instance)");
  if (format != "text" && format != "json")
    return usage_error(ctx, "-format takes 'text' or 'json', not '" + format + "'");
  if (parsed->positional.size() != 1)
    return usage_error(ctx, "name one workflow, e.g. upgrade-instance");
  if (concurrency == 0) return usage_error(ctx, "-exec.concurrency must be at least 1");

  std::optional<std::string> target_version;
  if (parsed->vm.count("target-version")) {
    target_version = parsed->vm["target-version"].as<std::string>();
  } else if (const char* from_env = std::getenv("TARGET_VERSION"); from_env && *from_env) {
    target_version = from_env;
  }
  if (target_version && !valid_version_text(*target_version)) {
    return usage_error(ctx, "target version '" + *target_version +
                                "' is not a version (letters, digits, . _ - + only)");
  }

  auto session = open_session(ctx, {});
  if (!session) return fail(ctx, session.message());
  auto workflow = find_workflow_template(session->config, parsed->positional[0]);
  if (!workflow) return fail(ctx, workflow.message());
  if (!target_version && needs_target_version(*workflow)) {
    return fail(ctx, "workflow " + workflow->name +
                         " needs a target version: pass -target-version V or set TARGET_VERSION.");
  }

  ScanOptions scan;
  scan.filter = filter;
  ScanStats stats;
  scan.stats = &stats;
  auto selected = scan_instances(*session->fleet, env, scan);
  if (!selected) return fail(ctx, selected.message());
  spdlog::debug(
      "scanned {} instances of {} in {:.1f} ms (listing {:.1f} ms, {} threads); {} selected",
      stats.instances, env, stats.scan_ms + stats.list_ms, stats.list_ms, stats.threads,
      stats.selected);

  std::vector<PlannedRun> runs;
  runs.reserve(selected->size());
  for (const auto& instance : *selected) {
    PlannedRun run{&instance, slug_of(instance), {}};
    WorkflowVariables vars{env, instance.ref.id, run.slug, target_version, &instance.instance};
    auto rendered = render_workflow(*workflow, vars);
    if (!rendered) return fail(ctx, rendered.message());
    run.rendered = std::move(*rendered);
    runs.push_back(std::move(run));
  }
  if (runs.empty())
    *ctx.err << "mi2 " << ctx.name << ": no instance of " << env << " matched the filter.\n";

  if (exec) return runs.empty() ? kExitOk : dispatch(ctx, *session, *workflow, runs, concurrency);
  if (auto forged = forge_commands(*session, *workflow, runs); !forged)
    return fail(ctx, forged.message());
  if (format == "json") {
    Json out = Json::array();
    for (const auto& run : runs) out.push_back(plan_json(run, *workflow));
    *ctx.out << out.dump(2, ' ', false, Json::error_handler_t::replace) << '\n';
    return kExitOk;
  }
  std::string text;
  for (const auto& run : runs) text += run.rendered.command + '\n';
  *ctx.out << text;
  return kExitOk;
}

}  // namespace mi2::cli
