// What an instance's run journals say, read in one place: the state a resume
// continues from, one summary per run for `mi2 run list|show`, and the version
// a rollback returns to.
#pragma once

#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "core/base/json.h"
#include "core/base/result.h"

namespace mi2 {

struct ResumeState {
  std::string target_version, previous_version;
  bool force = false;
  std::set<std::string> completed_steps;
  std::map<std::string, Json> outputs;  // step -> {plugin: output}
};

// Reads the journal at `path` for a resume of `recipe`. Errors: no journal, a
// run of another recipe, one that already succeeded or was rolled back.
Result<ResumeState> read_resume_state(const std::filesystem::path& path, const std::string& recipe);

struct RunSummary {
  std::string id, recipe, from, to, result = "running or killed", failed_step;
  double started = 0, seconds = 0;
};

RunSummary summarize_run(const std::string& id, const std::vector<Json>& events);

// Every journal in `runs_dir`, newest first: by the start second in the run
// id, then (runs of the same second) by the time of the first event.
std::vector<std::filesystem::path> run_journals(const std::filesystem::path& runs_dir);

// The version before the newest upgrade-instance run, or "" when none names one.
std::string version_before_last_upgrade(const std::filesystem::path& runs_dir);

}  // namespace mi2
