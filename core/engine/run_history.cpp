#include "core/engine/run_history.h"

#include <algorithm>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "core/engine/journal.h"

namespace mi2 {

namespace {

// An event's field, or the fallback when it is missing or of another type (a
// hand-edited journal must not throw).
std::string text_field(const Json& e, const char* key) {
  auto it = e.find(key);
  return it != e.end() && it->is_string() ? it->get<std::string>() : std::string();
}
double number_field(const Json& e, const char* key) {
  auto it = e.find(key);
  return it != e.end() && it->is_number() ? it->get<double>() : 0.0;
}
bool bool_field(const Json& e, const char* key) {
  auto it = e.find(key);
  return it != e.end() && it->is_boolean() && it->get<bool>();
}
Json object_field(const Json& e, const char* key) {
  auto it = e.find(key);
  return it != e.end() && it->is_object() ? *it : Json::object();
}

// The "ts" of a journal's first line (0 when it has none that reads).
double first_event_time(const std::filesystem::path& journal) {
  std::ifstream in(journal);
  std::string line;
  if (!std::getline(in, line)) return 0.0;
  Json event = Json::parse(line, nullptr, false);
  return event.is_object() ? number_field(event, "ts") : 0.0;
}

}  // namespace

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
    std::string kind = text_field(e, "event");
    std::string result = text_field(e, "result");
    if (kind == "run_started") {
      have_start = true;
      state.target_version = text_field(e, "target_version");
      state.previous_version = text_field(e, "previous_version");
      state.force = bool_field(e, "force");
      if (text_field(e, "recipe") != recipe)
        return make_error("run " + run_id + " ran recipe '" + text_field(e, "recipe") + "', not '" +
                          recipe + "'");
    } else if (kind == "step_finished" && (result == "ok" || result == "skipped")) {
      state.completed_steps.insert(text_field(e, "step"));
      state.outputs[text_field(e, "step")] = object_field(e, "outputs");
    } else if (kind == "step_finished") {
      state.completed_steps.erase(text_field(e, "step"));
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
    std::string kind = text_field(e, "event");
    if (kind == "run_started") {
      s.recipe = text_field(e, "recipe");
      s.from = text_field(e, "previous_version");
      s.to = text_field(e, "target_version");
      s.started = number_field(e, "ts");
    } else if (kind == "run_finished") {
      s.result = text_field(e, "result");
      s.failed_step = text_field(e, "failed_step");
      s.seconds = number_field(e, "seconds");
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
  // Run ids carry their start to the second; runs that started in the same
  // second are ordered by the time of their first event.
  auto second = [](const std::filesystem::path& p) { return p.stem().string().substr(0, 16); };
  std::map<std::filesystem::path, double> started;
  std::sort(journals.begin(), journals.end());
  for (size_t i = 0; i + 1 < journals.size(); ++i)
    if (second(journals[i]) == second(journals[i + 1]))
      for (size_t j : {i, i + 1})
        if (!started.count(journals[j])) started[journals[j]] = first_event_time(journals[j]);
  std::sort(journals.begin(), journals.end(), [&](const auto& a, const auto& b) {
    if (second(a) != second(b)) return second(a) > second(b);
    auto ta = started.find(a), tb = started.find(b);
    if (ta != started.end() && tb != started.end() && ta->second != tb->second)
      return ta->second > tb->second;
    return a > b;
  });
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
