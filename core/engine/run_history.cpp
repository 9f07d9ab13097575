#include "core/engine/run_history.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "core/engine/journal.h"

namespace mi2 {

Result<ResumeState> read_resume_state(const std::filesystem::path& path,
                                      const std::string& recipe) {
  std::string run_id = path.stem().string();
  std::error_code ec;
  if (!std::filesystem::exists(path, ec))
    return make_error("run " + run_id + " has no journal at " + path.string() +
                      " (see 'mi2 run list')");
  auto events = RunJournal::read(path);
  if (!events) return events.error();
  ResumeState state;
  bool have_start = false;
  for (const Json& e : *events) {
    std::string kind = e.value("event", "");
    std::string result = e.value("result", "");
    if (kind == "run_started") {
      have_start = true;
      state.target_version = e.value("target_version", "");
      state.previous_version = e.value("previous_version", "");
      state.force = e.value("force", false);
      if (e.value("recipe", "") != recipe)
        return make_error("run " + run_id + " ran recipe '" + e.value("recipe", "") + "', not '" +
                          recipe + "'");
    } else if (kind == "step_finished" && (result == "ok" || result == "skipped")) {
      state.completed_steps.insert(e.value("step", ""));
      state.outputs[e.value("step", "")] = e.value("outputs", Json::object());
    } else if (kind == "step_finished") {
      state.completed_steps.erase(e.value("step", ""));
    } else if (kind == "run_finished" && result == "succeeded") {
      return make_error("run " + run_id + " already succeeded; nothing to resume");
    } else if (kind == "run_finished" && result == "rolled_back") {
      return make_error("run " + run_id +
                        " was rolled back after a failed verification; start a new upgrade");
    }
  }
  if (!have_start) return make_error("the journal " + path.string() + " has no run_started event");
  return state;
}

RunSummary summarize_run(const std::string& id, const std::vector<Json>& events) {
  RunSummary s;
  s.id = id;
  for (const Json& e : events) {
    std::string kind = e.value("event", "");
    if (kind == "run_started") {
      s.recipe = e.value("recipe", "");
      s.from = e.value("previous_version", "");
      s.to = e.value("target_version", "");
      s.started = e.value("ts", 0.0);
    } else if (kind == "run_finished") {
      s.result = e.value("result", "");
      s.failed_step = e.value("failed_step", "");
      s.seconds = e.value("seconds", 0.0);
    } else if (kind == "run_resumed") {
      s.result = "running or killed";
    }
  }
  return s;
}

std::vector<std::filesystem::path> run_journals(const std::filesystem::path& runs_dir) {
  std::vector<std::filesystem::path> journals;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(runs_dir, ec))
    if (entry.path().extension() == ".jsonl" && is_valid_run_id(entry.path().stem().string()))
      journals.push_back(entry.path());
  std::sort(journals.rbegin(), journals.rend());
  return journals;
}

std::string version_before_last_upgrade(const std::filesystem::path& runs_dir) {
  for (const auto& path : run_journals(runs_dir)) {
    auto events = RunJournal::read(path);
    if (!events || events->empty()) continue;
    RunSummary s = summarize_run(path.stem().string(), *events);
    if (s.recipe == "upgrade-instance" && !s.from.empty()) return s.from;
  }
  return "";
}

}  // namespace mi2
