#include "core/cli/workflow_dispatch.h"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <ostream>

#include "core/fleet/fleet.h"
#include "core/host/step_input.h"
#include "core/sys/workers.h"

namespace mi2::cli {
namespace {

bool to_send(const DispatchEntry& e) {
  return e.state == DispatchState::kPending || e.state == DispatchState::kNotDispatched;
}

// What a dispatch-workflow reply means for the entry.
void record_reply(DispatchEntry& entry, const InvokeResult& result) {
  const Json& out = result.output.is_object() ? result.output : Json::object();
  if (result.ok()) {
    entry.state = DispatchState::kDispatched;
    entry.error.clear();
    entry.run_found = out.value("found", false);
    entry.run_id = out.contains("run_id") && out["run_id"].is_number_integer()
                       ? out["run_id"].get<int64_t>()
                       : 0;
    entry.url = out.value("url", "");
    entry.run_state = out.value("state", "");
    entry.detail = out.value("detail", "");
    return;
  }
  entry.error = result.error;
  if (out.contains("url") && out["url"].is_string()) entry.url = out["url"].get<std::string>();
  const Json dispatched = out.value("dispatched", Json());
  // A run may have started unless the plugin says it did not, or refused the
  // input before sending anything.
  bool known_not = (dispatched.is_boolean() && !dispatched.get<bool>()) ||
                   result.status == MI2_INVALID_INPUT || result.status == MI2_NOT_SUPPORTED;
  entry.state = known_not ? DispatchState::kNotDispatched : DispatchState::kUncertain;
}

std::string text_line(const DispatchEntry& e) {
  if (e.state != DispatchState::kDispatched) return "";
  if (e.run_found) return e.instance + " " + e.url;
  return e.instance + " dispatched, run not yet found (dispatch id " + e.dispatch_id +
         "): " + e.url;
}

Json dispatch_input(Session& session, const DispatchBatch& batch, const DispatchEntry& entry) {
  Json params = {
      {"workflow", batch.workflow}, {"inputs", entry.inputs}, {"dispatch_id", entry.dispatch_id}};
  if (!batch.ref.empty()) params["ref"] = batch.ref;
  InstanceRef ref{batch.environment, entry.instance,
                  session.fleet->deployments_dir(batch.environment) / entry.instance};
  auto json = load_instance(ref);
  if (json) return step_input(*session.fleet, ref, *json, "env workflow run", params, false);
  Json input = {{"fleet_root", session.fleet->root().string()},
                {"environment", batch.environment},
                {"step", "env workflow run"},
                {"dry_run", false},
                {"params", params}};
  return input;
}

// Entries of earlier batches with a run of the same workflow for the same
// instance still in flight, refreshed from the forge first.
Status refuse_duplicates(CommandContext& ctx, Session& session, Provider& vcs,
                         DispatchBatch& batch) {
  auto ids = batch_ids(*session.fleet, batch.environment);
  if (!ids) return ids.error();
  RunFetcher fetch = vcs_run_fetcher(session, vcs, install_interrupt_handler());
  bool can_look = vcs.plugin->serves("vcs", "workflow-run-status");
  for (const auto& id : *ids) {
    if (id == batch.id) continue;
    auto earlier = load_batch(*session.fleet, id);
    if (!earlier || earlier->workflow != batch.workflow) continue;
    bool refreshed = false;
    for (auto& old : earlier->entries) {
      if (!in_flight(old)) continue;
      auto mine = std::find_if(batch.entries.begin(), batch.entries.end(),
                               [&](auto& e) { return e.instance == old.instance && to_send(e); });
      if (mine == batch.entries.end()) continue;
      if (can_look)
        if (auto update = fetch(*earlier, old); update) refreshed |= apply_update(old, *update);
      if (!in_flight(old)) continue;
      std::string what = old.state == DispatchState::kUncertain
                             ? "may have started a run (its reply was lost)"
                             : "has a run still " +
                                   (old.run_state.empty() ? std::string("queued") : old.run_state);
      mine->state = DispatchState::kNotDispatched;
      mine->error = "not dispatched: " + batch.workflow + " for " + old.instance + " in batch " +
                    id + " " + what + " (" + old.url +
                    "); a second dispatch would start a second run (a workflow with a "
                    "concurrency group, as mi_upgrade.yml has, would only queue it behind the "
                    "first). Wait for it ('mi2 env workflow status -e " +
                    batch.environment + " --batch " + id + "') or pass --allow-duplicate.";
      *ctx.err << "mi2 " << ctx.name << ": " << old.instance << ": " << mine->error << '\n';
    }
    if (refreshed) (void)save_batch(*session.fleet, *earlier);
  }
  return {};
}

}  // namespace

namespace {

// The advice after a batch: what to resume, what to check by hand.
int summarize(CommandContext& ctx, const DispatchBatch& batch, bool interrupted) {
  size_t dispatched = 0, not_found = 0, refused = 0, uncertain = 0, pending = 0;
  for (const auto& e : batch.entries) {
    if (e.state == DispatchState::kDispatched) ++dispatched, not_found += e.run_found ? 0 : 1;
    if (e.state == DispatchState::kNotDispatched) ++refused;
    if (e.state == DispatchState::kUncertain) ++uncertain;
    if (e.state == DispatchState::kPending) ++pending;
  }
  const std::string watch =
      "'mi2 env workflow status -e " + batch.environment + " --batch " + batch.id + "'";
  *ctx.err << "Batch " << batch.id << ": " << dispatched << " of " << batch.entries.size()
           << " dispatched"
           << (not_found ? " (" + std::to_string(not_found) + " run(s) not yet found)"
                         : std::string())
           << "; watch them with " << watch << ".\n";
  if (uncertain > 0) {
    *ctx.err << "mi2 " << ctx.name << ": " << uncertain
             << " dispatch(es) may have started a run although the reply was lost:";
    for (const auto& e : batch.entries)
      if (e.state == DispatchState::kUncertain)
        *ctx.err << "\n  " << e.instance << " (dispatch id " << e.dispatch_id
                 << (e.url.empty() ? std::string() : "; its run, if any, is listed on " + e.url)
                 << ")";
    *ctx.err << "\nDo not dispatch them again blindly: " << watch
             << " looks for their runs by dispatch id; --resume never re-dispatches them.\n";
  }
  if (refused + pending > 0) {
    return fail(ctx, std::to_string(refused + pending) + " of " +
                         std::to_string(batch.entries.size()) +
                         (interrupted ? " not dispatched (interrupted or refused)"
                                      : " not dispatched (see above)") +
                         "; no run started for them: 'mi2 env workflow run -e " +
                         batch.environment + " -exec --resume " + batch.id +
                         "' dispatches only those once the cause is fixed.");
  }
  return uncertain > 0 ? kExitFailure : kExitOk;
}

}  // namespace

int dispatch_batch(CommandContext& ctx, Session& session, DispatchBatch& batch,
                   const DispatchOptions& options) {
  std::vector<DispatchEntry*> work;
  if (!session.providers) return fail(ctx, "no vcs plugin was loaded to dispatch through");
  auto first = session.providers->first("vcs");
  if (!first) return fail(ctx, first.message());
  // Only what is known not to have started a run is sent (again).
  for (auto& e : batch.entries)
    if (to_send(e)) {
      e.state = DispatchState::kPending;
      e.error.clear();
    }
  if (!options.allow_duplicate)
    if (auto checked = refuse_duplicates(ctx, session, **first, batch); !checked)
      return fail(ctx, checked.message());
  for (auto& e : batch.entries)
    if (e.state == DispatchState::kPending) work.push_back(&e);
  if (auto saved = save_batch(*session.fleet, batch); !saved) return fail(ctx, saved.message());

  unsigned concurrency =
      std::max(1u, std::min<unsigned>(options.concurrency, static_cast<unsigned>(work.size())));
  std::vector<std::unique_ptr<ProviderSet>> sets;
  for (unsigned i = 1; i < concurrency; ++i) {
    auto set =
        ProviderSet::open(session.config, *session.loader, default_host_environment(), {"vcs"});
    if (!set) return fail(ctx, set.message());
    sets.push_back(std::move(*set));
  }
  const std::atomic<bool>* cancel = install_interrupt_handler();
  std::mutex lock;
  std::atomic<size_t> next{0};
  std::string save_error;
  auto worker = [&](Provider* vcs) {
    for (;;) {
      size_t i = next.fetch_add(1);
      if (i >= work.size() || cancel->load()) return;
      DispatchEntry copy = *work[i];
      CallSettings settings{false, std::nullopt, cancel, nullptr};
      InvokeResult result = ProviderSet::invoke(*vcs, "vcs", "dispatch-workflow",
                                                dispatch_input(session, batch, copy), settings);
      std::lock_guard guard(lock);
      record_reply(*work[i], result);
      if (auto saved = save_batch(*session.fleet, batch); !saved) save_error = saved.message();
      if (!options.json && work[i]->state == DispatchState::kDispatched)
        *ctx.out << text_line(*work[i]) << '\n' << std::flush;
      if (work[i]->state != DispatchState::kDispatched)
        *ctx.err << "mi2 " << ctx.name << ": " << work[i]->instance << ": " << work[i]->error
                 << '\n';
    }
  };
  // Worker 0 uses the session's plugin, each other worker its own instance.
  run_workers(concurrency, [&](unsigned w) {
    if (w == 0) return worker(*first);
    auto vcs = sets[w - 1]->first("vcs");
    worker(vcs ? *vcs : *first);
  });
  if (!save_error.empty()) return fail(ctx, save_error);

  if (options.json && !options.wait) {
    Json out = Json::array();
    for (const auto& e : batch.entries) out.push_back(entry_report(e));
    *ctx.out << out.dump(2, ' ', false, Json::error_handler_t::replace) << '\n';
  }
  int code = summarize(ctx, batch, cancel->load());
  if (!options.wait || cancel->load()) return code;
  int watched =
      watch_batch(ctx, session, **first, batch, options.watch, options.json, system_clock());
  return code != kExitOk ? code : watched;
}

}  // namespace mi2::cli
