// GitHub's REST API (and one GraphQL mutation, for auto-merge) as a Forge.
//
// Endpoints (REPO = repository, TRACK = tracking_repository):
//   GET   /repos/REPO/pulls?state=open&head=OWNER:BRANCH      find the open PR of a branch
//   POST  /repos/REPO/pulls                                  open a PR
//   PATCH /repos/REPO/pulls/N                                update its title, body, base
//   POST  /repos/REPO/issues/N/labels                        add labels to a PR
//   GET   /repos/REPO/pulls?state=S&per_page=100 (all pages)  list PRs (label filtered here)
//   GET   /repos/REPO/pulls/N                                view a PR
//   POST  /repos/REPO/pulls/N/reviews                        approve
//   PUT   /repos/REPO/pulls/N/merge                          merge (squash)
//   POST  GRAPHQL enablePullRequestAutoMerge                 auto-merge when checks are pending
//   GET   /repos/TRACK/issues?state=all&labels=L (all pages)  find the tracking issue by title
//   POST  /repos/TRACK/issues                                create it
//   PATCH /repos/TRACK/issues/N                              tick its checklist
//   POST  /repos/REPO/actions/workflows/W/dispatches         workflow_dispatch (the
//         dispatch id in input dispatch_id_input; return_run_details)
//   GET   /repos/REPO/actions/workflows/W/runs?event=workflow_dispatch&branch=REF
//         the run whose run-name (display_title) carries the dispatch id
//   GET   /repos/REPO/actions/runs/ID                       a run's status
//   GET   /repos/RELEASES/releases/latest                    latest-version (release)
//   GET   /repos/RELEASES/tags?per_page=100 (all pages)      latest-version (main-tag)
//   GET   /repos/REPO, GET /repos/TRACK                       preflight: the token works, can push
#pragma once

#include <mi2/sdk/host.hpp>

#include <string>

#include "forge_common/forge.h"
#include "forge_common/forge_config.h"
#include "forge_common/rest_forge.h"

namespace mi2::github {

using forge::Json;

// The shared keys (api_url, token, retries, run lookup, tracking labels)
// come from forge_common; these are GitHub's own.
struct GitHubConfig : forge::ForgeSettings {
  std::string repository;           // owner/name: branches, PRs, workflows
  std::string tracking_repository;  // owner/name: issues
  std::string release_repository;   // owner/name: latest-version (optional)
  std::string graphql_url;          // derived from api_url when empty
  std::string web_url;              // derived from api_url when empty
  bool return_run_details = true;   // ask the dispatch API for the run's id
};

// How GitHub reads the shared keys: api.github.com, $GITHUB_TOKEN then
// $GH_TOKEN, the dispatch id in the workflow input mi2_dispatch_id.
const forge::ForgeConfigSpec& github_config_spec();

// Reads the plugin config; the token from config, else $GITHUB_TOKEN, else
// $GH_TOKEN. Registers the token with the host's redactor at once. The
// dispatch id goes in the workflow input mi2_dispatch_id unless
// dispatch_id_input says another (or '' for none).
GitHubConfig load_github_config(const sdk::Host& host, const std::string& config_json);

// The tracking issue's calls, latest-version and the error sentences are
// forge_common's RestForge; GitHub's PR, review, merge and Actions calls are here.
class GitHubForge : public forge::RestForge {
 public:
  GitHubForge(sdk::Host host, GitHubConfig config);

  forge::PullRequest open_or_update_pr(const forge::PullRequestDraft& draft,
                                       bool& created) override;
  std::vector<forge::PullRequest> list_prs(const std::string& label,
                                           const std::string& state) override;
  forge::PullRequest view_pr(int64_t number) override;
  void approve_pr(int64_t number) override;
  forge::MergeOutcome merge_pr(int64_t number, bool squash, bool auto_merge) override;
  std::vector<std::string> workflow_command(const std::string& workflow, const std::string& ref,
                                            const Json& inputs) const override;
  forge::RunInfo dispatch_workflow(const forge::DispatchRequest& request) override;
  forge::RunInfo run_status(const forge::DispatchRequest& request, int64_t run_id) override;
  std::string ci_run_link() const override;
  Json preflight() override;

 protected:
  std::string issue_search_path(const std::string& title) const override;
  std::string latest_release_tag() override;
  std::string subject_of(const std::string& endpoint) const override;

 private:
  std::string workflow_path(const std::string& workflow) const;
  std::optional<forge::RunInfo> find_run(const forge::DispatchRequest& request);
  std::string dispatch_hint(const std::string& message) const;
  std::optional<forge::PullRequest> open_pr_for_branch(const std::string& branch);
  void enable_auto_merge(const forge::PullRequest& pr, const std::string& node_id, bool squash);

  // GET /repos/REPO: the repository as the token sees it; 401 and 404 as sentences.
  Json repository_seen(const std::string& repo);

  GitHubConfig config_;
};

}  // namespace mi2::github
