// mi2 env workflow status -e ENV [--batch ID]: the runs of a dispatched batch
// until they finish, with their log links.
#include "core/cli/workflow_status.h"

#include <ostream>

#include "core/cli/commands.h"
#include "core/host/step_input.h"

namespace mi2::cli {
namespace {

bool watched(const DispatchEntry& e) {
  return in_flight(e) || (e.state == DispatchState::kDispatched && !e.run_found);
}

WatchResult tally(const DispatchBatch& batch, bool timed_out) {
  WatchResult result;
  result.timed_out = timed_out;
  for (const auto& e : batch.entries) {
    if (e.state == DispatchState::kPending || e.state == DispatchState::kNotDispatched)
      ++result.not_dispatched;
    else if (e.state == DispatchState::kUncertain)
      ++result.uncertain;
    else if (e.run_state == "success")
      ++result.succeeded;
    else if (e.run_state == "failure")
      ++result.failed;
    else
      ++result.unfinished;
  }
  return result;
}

std::string line_for(const DispatchEntry& e) {
  std::string state;
  if (e.state == DispatchState::kUncertain)
    state = "uncertain (no run found with dispatch id " + e.dispatch_id + ")";
  else if (e.state != DispatchState::kDispatched)
    state = std::string(dispatch_state_name(e.state));
  else if (!e.run_found)
    state = "dispatched, run not yet found";
  else
    state = e.run_state.empty() ? "dispatched" : e.run_state;
  return e.instance + "\t" + state + "\t" + e.url;
}

}  // namespace

bool apply_update(DispatchEntry& entry, const RunUpdate& update) {
  if (!update.found) return false;
  bool changed = !entry.run_found || entry.run_state != update.state ||
                 entry.state != DispatchState::kDispatched;
  entry.run_found = true;
  entry.state = DispatchState::kDispatched;  // an uncertain dispatch whose run was found
  if (update.run_id > 0) entry.run_id = update.run_id;
  if (!update.url.empty()) entry.url = update.url;
  entry.run_state = update.state;
  entry.detail = update.detail;
  return changed;
}

WatchResult watch_runs(DispatchBatch& batch, const RunFetcher& fetch, Clock& clock,
                       const WatchOptions& options,
                       const std::function<void(const DispatchEntry&)>& on_change,
                       const std::function<void()>& after_round,
                       const std::function<bool()>& cancelled) {
  const Clock::TimePoint deadline = clock.now() + options.timeout;
  for (;;) {
    size_t open = 0;
    for (auto& entry : batch.entries) {
      if (!watched(entry) || cancelled()) continue;
      auto update = fetch(batch, entry);
      if (update && apply_update(entry, *update)) on_change(entry);
      if (!update && entry.error != update.message()) {
        entry.error = update.message();
        on_change(entry);
      }
      if (watched(entry)) ++open;
    }
    after_round();
    if (open == 0 || !options.wait || cancelled()) return tally(batch, false);
    if (clock.now() + options.interval > deadline) return tally(batch, true);
    clock.sleep_for(options.interval, cancelled);
  }
}

RunFetcher vcs_run_fetcher(Session& session, Provider& vcs, const std::atomic<bool>* cancel) {
  return [&session, &vcs, cancel](const DispatchBatch& batch,
                                  const DispatchEntry& entry) -> Result<RunUpdate> {
    Json params = {{"workflow", batch.workflow}, {"dispatch_id", entry.dispatch_id}};
    if (!batch.ref.empty()) params["ref"] = batch.ref;
    if (entry.run_found && entry.run_id > 0) params["run_id"] = entry.run_id;
    Json input = {{"step", "env workflow status"},
                  {"dry_run", false},
                  {"fleet_root", session.fleet->root().string()},
                  {"environment", batch.environment},
                  {"params", params}};
    CallSettings settings{false, std::nullopt, cancel, nullptr};
    InvokeResult reply = ProviderSet::invoke(vcs, "vcs", "workflow-run-status", input, settings);
    if (!reply.ok()) return make_error(reply.error);
    const Json& out = reply.output.is_object() ? reply.output : Json::object();
    RunUpdate update;
    update.found = out.value("found", false);
    if (out.contains("run_id") && out["run_id"].is_number_integer())
      update.run_id = out["run_id"].get<int64_t>();
    update.url = out.value("url", "");
    update.state = out.value("state", "");
    update.detail = out.value("detail", "");
    return update;
  };
}

int watch_batch(CommandContext& ctx, Session& session, Provider& vcs, DispatchBatch& batch,
                const WatchOptions& options, bool json, Clock& clock) {
  const std::atomic<bool>* cancel = install_interrupt_handler();
  if (!vcs.plugin->serves("vcs", "workflow-run-status"))
    return fail(ctx, "the " + vcs.name +
                         " plugin cannot report run states (no vcs "
                         "workflow-run-status action)");
  std::string save_error;
  // Progress (each change) on stderr; the final state of every run on stdout.
  auto on_change = [&](const DispatchEntry& e) {
    *ctx.err << line_for(e) << (e.error.empty() ? "" : "\t(" + e.error + ")") << '\n' << std::flush;
  };
  auto after_round = [&] {
    if (auto saved = save_batch(*session.fleet, batch); !saved) save_error = saved.message();
  };
  WatchResult result = watch_runs(batch, vcs_run_fetcher(session, vcs, cancel), clock, options,
                                  on_change, after_round, [cancel] { return cancel->load(); });
  if (json) {
    Json out = Json::array();
    for (const auto& e : batch.entries) out.push_back(entry_report(e));
    *ctx.out << out.dump(2) << '\n';
  } else {
    for (const auto& e : batch.entries) *ctx.out << line_for(e) << '\n';
  }
  *ctx.err << "Batch " << batch.id << ": " << result.succeeded << " succeeded, " << result.failed
           << " failed, " << result.unfinished << " not finished, " << result.uncertain
           << " uncertain, " << result.not_dispatched << " not dispatched.\n";
  if (!save_error.empty()) return fail(ctx, save_error);
  if (result.timed_out)
    return fail(ctx,
                "runs still unfinished when the watch ended; look again with 'mi2 env "
                "workflow status -e " +
                    batch.environment + " --batch " + batch.id + "'");
  if (result.uncertain > 0)
    return fail(ctx, std::to_string(result.uncertain) +
                         " dispatch(es) may or may not have started a run (no run carries their "
                         "dispatch id yet); look on the forge's page named above before "
                         "dispatching them again");
  if (result.failed > 0 || result.not_dispatched > 0 || (result.unfinished > 0 && options.wait))
    return kExitFailure;
  return kExitOk;
}

int env_workflow_status(CommandContext& ctx) {
  int code = 0;
  po::options_description options("Options");
  options.add_options()("environment,e", po::value<std::string>(), "Environment (e.g. prod)")(
      "batch", po::value<std::string>(), "The batch id (default: the environment's newest)")(
      "no-wait", po::bool_switch(), "Look once and report; do not wait for the runs to finish")(
      "interval", po::value<unsigned>()->default_value(15), "Seconds between looks")(
      "timeout", po::value<unsigned>()->default_value(10800), "Seconds to wait at most")(
      "format", po::value<std::string>()->default_value("text"), "text or json");
  auto parsed = parse(ctx, "-e ENV [--batch ID] [--no-wait] [-format text|json]", options, code);
  if (!parsed) return code;
  std::string env = option_string(*parsed, "environment");
  std::string format = parsed->vm["format"].as<std::string>();
  if (env.empty()) return usage_error(ctx, "pass -e ENV (the environment of the batch)");
  if (format != "text" && format != "json")
    return usage_error(ctx, "-format takes 'text' or 'json', not '" + format + "'");
  WatchOptions watch;
  watch.wait = !parsed->vm["no-wait"].as<bool>();
  watch.interval = std::chrono::seconds(parsed->vm["interval"].as<unsigned>());
  watch.timeout = std::chrono::seconds(parsed->vm["timeout"].as<unsigned>());

  auto session = open_session(ctx, {"vcs"});
  if (!session) return fail(ctx, session.message());
  std::string id = option_string(*parsed, "batch");
  if (id.empty()) {
    auto ids = batch_ids(*session->fleet, env);
    if (!ids) return fail(ctx, ids.message());
    if (ids->empty())
      return fail(ctx, "no workflow batch of " + env + " yet; 'mi2 env workflow run -e " + env +
                           " ... -exec' starts one");
    id = ids->back();
  }
  auto batch = load_batch(*session->fleet, id);
  if (!batch) return fail(ctx, batch.message());
  if (batch->environment != env)
    return fail(ctx, "batch " + id + " is of environment " + batch->environment + ", not " + env);
  auto vcs = session->providers->first("vcs");
  if (!vcs) return fail(ctx, vcs.message());
  return watch_batch(ctx, *session, **vcs, *batch, watch, format == "json", system_clock());
}

}  // namespace mi2::cli
