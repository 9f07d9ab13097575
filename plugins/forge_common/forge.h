// What a forge (GitHub, GitLab, ...) must do for the vcs role, in forge-neutral
// terms. A plugin implements Forge over its REST API; forge_actions.h turns
// step inputs into these calls and shapes every output the same way, so the
// two forges are interchangeable behind `vcs:` in mi2.yaml.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace mi2::forge {

using Json = nlohmann::json;

// A pull request (GitHub) or merge request (GitLab).
struct PullRequest {
  int64_t number = 0;  // GitHub number, GitLab iid
  std::string title;
  std::string url;     // the web page
  std::string branch;  // head / source branch
  std::string base;    // base / target branch
  std::string state;   // open, closed, merged
  std::string body;
  std::vector<std::string> labels;
  bool draft = false;
  bool auto_merge = false;  // auto-merge / merge-when-pipeline-succeeds is set
};

struct Issue {
  int64_t number = 0;
  std::string title;
  std::string url;
  std::string body;
  std::string state;  // open, closed
};

struct PullRequestDraft {
  std::string branch;
  std::string base;
  std::string title;
  std::string body;
  std::vector<std::string> labels;
};

struct MergeOutcome {
  bool merged = false;
  bool auto_merge = false;
};

// One CI run to start. `dispatch_id` is unique per dispatch: the forge passes
// it to the run (a workflow input echoed by the run's name on GitHub, a
// pipeline variable on GitLab) so the run can be told from every other one.
struct DispatchRequest {
  std::string workflow;
  std::string ref;
  Json inputs = Json::object();
  std::string dispatch_id;  // may be empty: then only an id the API returns finds the run
};

// A CI run as mi2 reports it, whatever the forge.
struct RunInfo {
  bool found = false;  // the run itself is known (else url is the workflow's page)
  int64_t run_id = 0;  // the forge's run / pipeline id
  std::string url;     // the run's web page (its logs), or the workflow's page
  std::string state;   // queued, in_progress, success, failure; "" when not found
  std::string detail;  // the forge's own words (e.g. "completed/cancelled", "manual")
};

// The run states every forge maps its own to.
inline constexpr const char* kRunQueued = "queued";
inline constexpr const char* kRunInProgress = "in_progress";
inline constexpr const char* kRunSuccess = "success";
inline constexpr const char* kRunFailure = "failure";

class Forge {
 public:
  virtual ~Forge() = default;

  // Opens a PR for draft.branch, or updates the open one (title, body, base,
  // labels). `created` says which. In a dry run returns an empty PullRequest.
  virtual PullRequest open_or_update_pr(const PullRequestDraft& draft, bool& created) = 0;
  // `state`: open, closed, merged or all (the caller checks it); merged ones
  // include those merged by auto-merge.
  virtual std::vector<PullRequest> list_prs(const std::string& label, const std::string& state) = 0;
  virtual PullRequest view_pr(int64_t number) = 0;
  virtual void approve_pr(int64_t number) = 0;
  virtual MergeOutcome merge_pr(int64_t number, bool squash, bool auto_merge) = 0;

  // The issue with exactly this title (open or closed), if any.
  virtual std::optional<Issue> find_issue(const std::string& title,
                                          const std::vector<std::string>& labels) = 0;
  virtual Issue create_issue(const std::string& title, const std::string& body,
                             const std::vector<std::string>& labels) = 0;
  virtual void update_issue_body(const Issue& issue, const std::string& body) = 0;

  // Starts a CI run. Returns the run when the API names it or it is found by
  // its dispatch id within the lookup deadline; else found=false and the
  // workflow's (or pipelines') page. Never another dispatch's run. Throws
  // sdk::Failure whose output says {"dispatched": false} when the forge
  // refused the request (no run started) or {"dispatched": "unknown"} when
  // the reply was lost (a run may have started).
  virtual RunInfo dispatch_workflow(const DispatchRequest& request) = 0;
  // The run's current state: by `run_id` when known, else looked up by its
  // dispatch id. found=false when neither names a run (yet).
  virtual RunInfo run_status(const DispatchRequest& request, int64_t run_id) = 0;
  // The web page of the CI run this process runs inside, from the forge's CI
  // environment variables; empty outside that forge's CI.
  virtual std::string ci_run_link() const = 0;
  virtual std::string latest_version() = 0;
  // Before an upgrade changes anything: read-only requests proving that the
  // token works and reaches the repository (project) with the right to push
  // the upgrade branch and open its PR, and that the tracking repository is
  // reachable. Returns what it learnt; throws sdk::Error with one sentence
  // naming the forge, the repository and what to fix (never the token).
  virtual Json preflight() = 0;
  // The command an operator runs by hand to start the same CI run
  // (`env workflow run -format text`): gh for GitHub, glab for GitLab.
  virtual std::vector<std::string> workflow_command(const std::string& workflow,
                                                    const std::string& ref,
                                                    const Json& inputs) const = 0;
};

}  // namespace mi2::forge
