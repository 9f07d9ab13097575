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
//   POST  /repos/REPO/actions/workflows/W/dispatches         workflow_dispatch
//   GET   /repos/REPO/actions/workflows/W/runs?event=workflow_dispatch&branch=REF  before and
//   after: the new run GET   /repos/RELEASES/releases/latest                    latest-version
//   (latest_source: release) GET   /repos/RELEASES/tags?per_page=100 (all pages) latest-version
//   (latest_source: main-tag)
#pragma once

#include <mi2/sdk/host.hpp>

#include <string>

#include "forge_common/forge.h"
#include "forge_common/rest_client.h"

namespace mi2::github {

using forge::Json;

struct GitHubConfig {
  std::string repository;                 // owner/name: branches, PRs, workflows
  std::string tracking_repository;        // owner/name: issues
  std::string release_repository;         // owner/name: latest-version (optional)
  std::string latest_source = "release";  // latest-version: "release" or "main-tag"
  std::string api_url = "https://api.github.com";
  std::string graphql_url;   // derived from api_url when empty
  std::string web_url;       // derived from api_url when empty
  std::string token;         // config 'token', GITHUB_TOKEN or GH_TOKEN
  std::string token_source;  // where the token came from, for error sentences
  forge::RetryPolicy retry;
  int run_lookup_attempts = 5;
  uint32_t run_lookup_wait_ms = 2000;
};

// Reads the plugin config; the token from config, else $GITHUB_TOKEN, else
// $GH_TOKEN. Registers the token with the host's redactor at once.
GitHubConfig load_github_config(const sdk::Host& host, const std::string& config_json);

class GitHubForge : public forge::Forge {
 public:
  GitHubForge(sdk::Host host, GitHubConfig config);
  GitHubForge(const GitHubForge&) = delete;  // the client's callbacks point at this object
  GitHubForge& operator=(const GitHubForge&) = delete;

  forge::PullRequest open_or_update_pr(const forge::PullRequestDraft& draft,
                                       bool& created) override;
  std::vector<forge::PullRequest> list_prs(const std::string& label,
                                           const std::string& state) override;
  forge::PullRequest view_pr(int64_t number) override;
  void approve_pr(int64_t number) override;
  forge::MergeOutcome merge_pr(int64_t number, bool squash, bool auto_merge) override;
  std::optional<forge::Issue> find_issue(const std::string& title,
                                         const std::vector<std::string>& labels) override;
  forge::Issue create_issue(const std::string& title, const std::string& body,
                            const std::vector<std::string>& labels) override;
  void update_issue_body(const forge::Issue& issue, const std::string& body) override;
  std::vector<std::string> workflow_command(const std::string& workflow, const std::string& ref,
                                            const Json& inputs) const override;
  Json dispatch_workflow(const std::string& workflow, const std::string& ref,
                         const Json& inputs) override;
  std::string latest_version() override;

 private:
  std::optional<forge::PullRequest> open_pr_for_branch(const std::string& branch);
  void enable_auto_merge(const forge::PullRequest& pr, const std::string& node_id, bool squash);
  std::string explain(int status, const std::string& endpoint, const std::string& message) const;

  sdk::Host host_;
  GitHubConfig config_;
  forge::RestClient client_;
};

}  // namespace mi2::github
