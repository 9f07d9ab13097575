#include "core/cli/workflow_batch.h"

#include <algorithm>
#include <ctime>
#include <fstream>
#include <regex>
#include <sstream>

#include "core/base/atomic_file.h"
#include "core/base/text.h"
#include "core/engine/journal.h"

namespace mi2::cli {
namespace {

namespace fs = std::filesystem;

constexpr std::pair<DispatchState, const char*> kStateNames[] = {
    {DispatchState::kPending, "pending"},
    {DispatchState::kDispatched, "dispatched"},
    {DispatchState::kNotDispatched, "not-dispatched"},
    {DispatchState::kUncertain, "uncertain"},
};

Json entry_json(const DispatchEntry& e) {
  return {{"instance", e.instance},
          {"slug", e.slug},
          {"dispatch_id", e.dispatch_id},
          {"inputs", e.inputs},
          {"state", dispatch_state_name(e.state)},
          {"run_found", e.run_found},
          {"run_id", e.run_id},
          {"url", e.url},
          {"run_state", e.run_state},
          {"detail", e.detail},
          {"error", e.error}};
}

Result<DispatchEntry> entry_from(const Json& j, const std::string& where) {
  DispatchEntry e;
  if (!j.is_object()) return make_error(where + ": an entry is not an object");
  e.instance = j.value("instance", "");
  e.slug = j.value("slug", "");
  e.dispatch_id = j.value("dispatch_id", "");
  e.inputs = j.value("inputs", Json::object());
  auto state = dispatch_state_from(j.value("state", ""));
  if (e.instance.empty() || !state)
    return make_error(where + ": an entry has no instance or an unknown state");
  e.state = *state;
  e.run_found = j.value("run_found", false);
  e.run_id = j.value("run_id", int64_t{0});
  e.url = j.value("url", "");
  e.run_state = j.value("run_state", "");
  e.detail = j.value("detail", "");
  e.error = j.value("error", "");
  return e;
}

std::string utc_now() {
  return format_utc(static_cast<double>(std::time(nullptr)));
}

}  // namespace

std::string_view dispatch_state_name(DispatchState state) {
  for (const auto& [value, name] : kStateNames)
    if (value == state) return name;
  return "pending";
}

std::optional<DispatchState> dispatch_state_from(std::string_view name) {
  for (const auto& [value, text] : kStateNames)
    if (name == text) return value;
  return std::nullopt;
}

std::string new_batch_id() {
  return "wf-" + new_run_id();
}

bool valid_batch_id(const std::string& id) {
  return id.rfind("wf-", 0) == 0 && is_valid_run_id(id.substr(3));
}

std::string dispatch_id_for(const std::string& batch_id, const std::string& instance) {
  return batch_id + "-" + instance;
}

bool run_finished(const std::string& run_state) {
  return run_state == "success" || run_state == "failure";
}

bool in_flight(const DispatchEntry& entry) {
  if (entry.state == DispatchState::kUncertain) return true;
  return entry.state == DispatchState::kDispatched && !run_finished(entry.run_state);
}

fs::path batch_path(const Fleet& fleet, const std::string& batch_id) {
  return fleet.root() / ".mi2" / "workflow-batches" / (batch_id + ".json");
}

Status save_batch(const Fleet& fleet, const DispatchBatch& batch) {
  Json entries = Json::array();
  for (const auto& e : batch.entries) entries.push_back(entry_json(e));
  Json doc = {{"batch", batch.id},
              {"environment", batch.environment},
              {"workflow_name", batch.workflow_name},
              {"workflow", batch.workflow},
              {"ref", batch.ref},
              {"created", batch.created.empty() ? utc_now() : batch.created},
              {"entries", entries}};
  fs::path path = batch_path(fleet, batch.id);
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  if (ec) return make_error("cannot create " + path.parent_path().string() + ": " + ec.message());
  return write_file_atomic(path, doc.dump(2) + "\n");
}

Result<DispatchBatch> load_batch(const Fleet& fleet, const std::string& batch_id) {
  if (!valid_batch_id(batch_id))
    return make_error("'" + batch_id +
                      "' is not a workflow batch id (like wf-20261203T061500Z-3fa2c1)");
  fs::path path = batch_path(fleet, batch_id);
  std::ifstream in(path);
  if (!in) return make_error("no workflow batch " + batch_id + " (" + path.string() + ")");
  std::stringstream text;
  text << in.rdbuf();
  Json doc = Json::parse(text.str(), nullptr, false);
  if (doc.is_discarded() || !doc.is_object() || !doc.contains("entries"))
    return make_error(path.string() + " is not a workflow batch (not the JSON mi2 writes)");
  DispatchBatch batch;
  batch.id = doc.value("batch", batch_id);
  batch.environment = doc.value("environment", "");
  batch.workflow_name = doc.value("workflow_name", "");
  batch.workflow = doc.value("workflow", "");
  batch.ref = doc.value("ref", "");
  batch.created = doc.value("created", "");
  for (const auto& item : doc["entries"]) {
    auto entry = entry_from(item, path.string());
    if (!entry) return entry.error();
    batch.entries.push_back(std::move(*entry));
  }
  return batch;
}

Result<std::vector<std::string>> batch_ids(const Fleet& fleet, const std::string& environment) {
  std::vector<std::string> ids;
  fs::path dir = fleet.root() / ".mi2" / "workflow-batches";
  std::error_code ec;
  if (!fs::exists(dir, ec)) return ids;
  for (const auto& file : fs::directory_iterator(dir, ec)) {
    std::string id = file.path().stem().string();
    if (file.path().extension() != ".json" || !valid_batch_id(id)) continue;
    auto batch = load_batch(fleet, id);
    if (batch && batch->environment == environment) ids.push_back(id);
  }
  if (ec) return make_error("cannot list " + dir.string() + ": " + ec.message());
  std::sort(ids.begin(), ids.end());
  return ids;
}

Json entry_report(const DispatchEntry& e) {
  Json dispatched = e.state == DispatchState::kDispatched  ? Json(true)
                    : e.state == DispatchState::kUncertain ? Json(nullptr)
                                                           : Json(false);
  std::string state;
  switch (e.state) {
    case DispatchState::kDispatched:
      state = e.run_found ? (e.run_state.empty() ? "dispatched" : e.run_state)
                          : "dispatched, run not yet found";
      break;
    case DispatchState::kUncertain:
      state = "uncertain";
      break;
    case DispatchState::kNotDispatched:
      state = "not dispatched";
      break;
    case DispatchState::kPending:
      state = "pending";
      break;
  }
  return {{"instance", e.instance},
          {"slug", e.slug},
          {"dispatch_id", e.dispatch_id},
          {"dispatched", dispatched},
          {"run_id", e.run_found && e.run_id > 0 ? Json(e.run_id) : Json(nullptr)},
          {"run_url", e.run_found ? Json(e.url) : Json(nullptr)},
          {"state", state},
          {"error", e.error.empty() ? Json(nullptr) : Json(e.error)}};
}

}  // namespace mi2::cli
