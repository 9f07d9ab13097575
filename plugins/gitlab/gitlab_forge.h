// GitLab's REST API v4 as a Forge.
//
// Endpoints (P = project, T = tracking_project, R = release_project; each a
// numeric id or a URL-encoded path):
//   GET  /projects/P/merge_requests?state=opened&source_branch=B  find the open MR of a branch
//   POST /projects/P/merge_requests                              open an MR (labels)
//   PUT  /projects/P/merge_requests/IID                          update title, description,
//                                                                target, labels
//   GET  /projects/P/merge_requests?state=S&labels=L (all pages) list MRs
//   GET  /projects/P/merge_requests/IID                          view an MR
//   POST /projects/P/merge_requests/IID/approve                  approve
//   PUT  /projects/P/merge_requests/IID/merge                    merge (squash,
//                                                                merge_when_pipeline_succeeds)
//   GET  /projects/T/issues?search=TITLE&in=title (all pages)    find the tracking issue
//   POST /projects/T/issues                                      create it
//   PUT  /projects/T/issues/IID                                  tick its checklist
//   POST /projects/P/pipeline                                    run a pipeline with variables
//                                                                (MI2_WORKFLOW, MI2_DISPATCH_ID)
//   GET  /projects/P/pipelines/ID                                a pipeline's status
//   GET  /projects/P/pipelines?ref=REF&source=api, then
//   GET  /projects/P/pipelines/ID/variables                      find a pipeline by dispatch id
//   GET  /projects/R/releases?per_page=1                         latest-version
//   GET  /projects/P, GET /projects/T                            preflight: the token works, its
//                                                                access level can push
#pragma once

#include <mi2/sdk/host.hpp>

#include <string>

#include "forge_common/forge.h"
#include "forge_common/forge_config.h"
#include "forge_common/rest_forge.h"

namespace mi2::gitlab {

using forge::Json;

// The shared keys (api_url, token, retries, tracking labels) come from
// forge_common; these are GitLab's own.
struct GitLabConfig : forge::ForgeSettings {
  std::string project;           // path (group/name) or numeric id
  std::string tracking_project;  // issues; default: project
  std::string release_project;   // latest-version (optional)
  std::string web_url;           // derived from api_url when empty
};

// How GitLab reads the shared keys: gitlab.com, $GITLAB_TOKEN, the dispatch
// id in the pipeline variable MI2_DISPATCH_ID.
const forge::ForgeConfigSpec& gitlab_config_spec();

// Reads the plugin config; the token from config, else $GITLAB_TOKEN.
// Registers the token with the host's redactor at once.
GitLabConfig load_gitlab_config(const sdk::Host& host, const std::string& config_json);

// The tracking issue's calls, latest-version and the error sentences are
// forge_common's RestForge; GitLab's merge request and pipeline calls are here.
class GitLabForge : public forge::RestForge {
 public:
  GitLabForge(sdk::Host host, GitLabConfig config);

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
  std::string pipelines_page() const;
  std::optional<forge::RunInfo> find_pipeline(const forge::DispatchRequest& request);
  std::optional<forge::PullRequest> open_mr_for_branch(const std::string& branch);

  // GET /projects/P: the project as the token sees it; 401 and 404 as sentences.
  Json project_seen(const std::string& project);

  GitLabConfig config_;
};

}  // namespace mi2::gitlab
