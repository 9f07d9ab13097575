// mi2 env workflow run: one CI workflow run per selected instance, printed as
// runnable commands (text), as JSON, or dispatched through the vcs plugin
// (workflow_dispatch.cpp; `env workflow status` in workflow_status.cpp).
#include <spdlog/spdlog.h>
#include <algorithm>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <ostream>

#include "core/cli/commands.h"
#include "core/cli/session.h"
#include "core/cli/workflow_dispatch.h"
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

// A new batch: one pending entry per run, each with its own dispatch id.
DispatchBatch new_batch(const std::string& env, const WorkflowTemplate& workflow,
                        const std::vector<PlannedRun>& runs) {
  DispatchBatch batch;
  batch.id = new_batch_id();
  batch.environment = env;
  batch.workflow_name = workflow.name;
  batch.workflow = workflow.workflow;
  batch.ref = workflow.ref;
  for (const auto& run : runs) {
    DispatchEntry entry;
    entry.instance = run.instance->ref.id;
    entry.slug = run.slug;
    entry.dispatch_id = dispatch_id_for(batch.id, entry.instance);
    for (const auto& [name, value] : run.rendered.inputs) entry.inputs[name] = value;
    batch.entries.push_back(std::move(entry));
  }
  return batch;
}

// -exec --resume BATCH: the recorded batch, its recorded inputs.
int resume_dispatch(CommandContext& ctx, const std::string& env, const std::string& id,
                    const std::vector<std::string>& positional, const DispatchOptions& options) {
  auto session = open_session(ctx, {"vcs"});
  if (!session) return fail(ctx, session.message());
  auto batch = load_batch(*session->fleet, id);
  if (!batch) return fail(ctx, batch.message());
  if (batch->environment != env)
    return fail(ctx, "batch " + id + " is of environment " + batch->environment + ", not " + env);
  if (!positional.empty() && positional[0] != batch->workflow_name)
    return fail(ctx,
                "batch " + id + " dispatched " + batch->workflow_name + ", not " + positional[0]);
  return dispatch_batch(ctx, *session, *batch, options);
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

void add_workflow_run_options(po::options_description& options) {
  options.add_options()("environment,e", po::value<std::string>(), "Environment (e.g. prod)")(
      "filter", po::value<std::string>(),
      "jq expression, true for the instances to select (same object as 'mi2 instance get')")(
      "format", po::value<std::string>()->default_value("text"),
      "text: one runnable command per instance; json: an array of runs")(
      "target-version", po::value<std::string>(),
      "Version for {{target_version}} (default: $TARGET_VERSION)")(
      "exec", po::bool_switch(), "Dispatch the runs through the vcs plugin and print their URLs")(
      "exec.concurrency", po::value<unsigned>()->default_value(1),
      "With -exec: dispatches in flight at once")(
      "resume", po::value<std::string>(),
      "With -exec: re-dispatch only the instances of batch ID known not to have started a run")(
      "allow-duplicate", po::bool_switch(),
      "With -exec: dispatch even where an earlier run of the workflow is still in flight")(
      "wait", po::bool_switch(), "With -exec: then watch the runs until they finish")(
      "interval", po::value<unsigned>()->default_value(15), "With --wait: seconds between looks")(
      "timeout", po::value<unsigned>()->default_value(10800), "With --wait: seconds at most");
}

// The -exec options; an error sentence for a usage mistake.
Status dispatch_options(const Parsed& parsed, bool exec, DispatchOptions& out) {
  out.concurrency = parsed.vm["exec.concurrency"].as<unsigned>();
  out.json = parsed.vm["format"].as<std::string>() == "json";
  out.allow_duplicate = parsed.vm["allow-duplicate"].as<bool>();
  out.wait = parsed.vm["wait"].as<bool>();
  out.watch.interval = std::chrono::seconds(parsed.vm["interval"].as<unsigned>());
  out.watch.timeout = std::chrono::seconds(parsed.vm["timeout"].as<unsigned>());
  if (out.concurrency == 0) return make_error("-exec.concurrency must be at least 1");
  if ((parsed.vm.count("resume") || out.wait || out.allow_duplicate) && !exec)
    return make_error("--resume, --wait and --allow-duplicate go with -exec");
  return {};
}

std::optional<std::string> target_version_of(const Parsed& parsed) {
  if (parsed.vm.count("target-version")) return parsed.vm["target-version"].as<std::string>();
  if (const char* from_env = std::getenv("TARGET_VERSION"); from_env && *from_env)
    return std::string(from_env);
  return std::nullopt;
}

void print_runs(CommandContext& ctx, const WorkflowTemplate& workflow,
                const std::vector<PlannedRun>& runs, bool json) {
  if (json) {
    Json out = Json::array();
    for (const auto& run : runs) out.push_back(plan_json(run, workflow));
    *ctx.out << out.dump(2, ' ', false, Json::error_handler_t::replace) << '\n';
    return;
  }
  std::string text;
  for (const auto& run : runs) text += run.rendered.command + '\n';
  *ctx.out << text;
}

}  // namespace

int env_workflow_run(CommandContext& ctx) {
  int code = 0;
  po::options_description options("Options");
  add_workflow_run_options(options);
  auto parsed = parse(ctx,
                      "-e ENV -filter EXPR [-format text|json] [-exec [--wait]] WORKFLOW\n"
                      "       -e ENV -exec --resume BATCH_ID",
                      options, code, "workflow", 1);
  if (!parsed) return code;

  std::string env = option_string(*parsed, "environment");
  std::string filter = option_string(*parsed, "filter");
  std::string format = parsed->vm["format"].as<std::string>();
  bool exec = parsed->vm["exec"].as<bool>();
  if (env.empty()) return usage_error(ctx, "pass -e ENV (the environment to select from)");
  if (format != "text" && format != "json")
    return usage_error(ctx, "-format takes 'text' or 'json', not '" + format + "'");
  DispatchOptions dispatching;
  if (auto read = dispatch_options(*parsed, exec, dispatching); !read)
    return usage_error(ctx, read.message());
  std::string resume = option_string(*parsed, "resume");
  if (!resume.empty()) {
    if (!filter.empty())
      return usage_error(ctx, "--resume takes the batch's instances; drop -filter");
    return resume_dispatch(ctx, env, resume, parsed->positional, dispatching);
  }
  if (filter.empty())
    return usage_error(ctx, "pass -filter EXPR (a jq expression; 'true' selects every instance)");
  if (parsed->positional.size() != 1)
    return usage_error(ctx, "name one workflow, e.g. upgrade-instance");

  std::optional<std::string> target_version = target_version_of(*parsed);
  if (target_version && !valid_version_text(*target_version)) {
    return usage_error(ctx, "target version '" + *target_version +
                                "' is not a version (letters, digits, . _ - + only)");
  }

  auto session =
      open_session(ctx, exec ? std::vector<std::string>{"vcs"} : std::vector<std::string>{});
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

  if (exec) {
    if (runs.empty()) return kExitOk;
    DispatchBatch batch = new_batch(env, *workflow, runs);
    return dispatch_batch(ctx, *session, batch, dispatching);
  }
  if (auto forged = forge_commands(*session, *workflow, runs); !forged)
    return fail(ctx, forged.message());
  print_runs(ctx, *workflow, runs, format == "json");
  return kExitOk;
}

}  // namespace mi2::cli
