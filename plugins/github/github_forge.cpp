#include "github/github_forge.h"

#include <algorithm>
#include <cctype>

#include "forge_common/forge_actions.h"
#include "forge_common/forge_text.h"

namespace mi2::github {

using forge::PullRequest;
using forge::text_of;
using forge::url_encode;

namespace {

bool valid_repository(const std::string& repo) {
  size_t slash = repo.find('/');
  if (slash == std::string::npos || slash == 0 || slash + 1 == repo.size()) return false;
  if (repo.find('/', slash + 1) != std::string::npos) return false;
  if (repo.find("..") != std::string::npos) return false;
  for (unsigned char c : repo)
    if (!std::isalnum(c) && c != '/' && c != '-' && c != '_' && c != '.') return false;
  return true;
}

bool valid_workflow(const std::string& workflow) {
  if (workflow.empty() || workflow.find("..") != std::string::npos) return false;
  for (unsigned char c : workflow)
    if (!std::isalnum(c) && c != '-' && c != '_' && c != '.') return false;
  return true;
}

std::string owner_of(const std::string& repo) {
  return repo.substr(0, repo.find('/'));
}

PullRequest pr_from(const Json& j) {
  PullRequest pr;
  pr.number = j.value("number", int64_t{0});
  pr.title = text_of(j, "title");
  pr.url = text_of(j, "html_url");
  pr.body = text_of(j, "body");
  if (j.contains("head")) pr.branch = text_of(j["head"], "ref");
  if (j.contains("base")) pr.base = text_of(j["base"], "ref");
  pr.state = text_of(j, "state");
  if (j.contains("merged_at") && !j["merged_at"].is_null()) pr.state = "merged";
  if (j.value("merged", false)) pr.state = "merged";
  pr.draft = j.value("draft", false);
  pr.auto_merge = j.contains("auto_merge") && !j["auto_merge"].is_null();
  if (j.contains("labels") && j["labels"].is_array())
    for (const auto& label : j["labels"])
      if (label.is_object()) pr.labels.push_back(text_of(label, "name"));
  return pr;
}

// GitHub's status/conclusion of a run, in mi2's words.
forge::RunInfo run_from(const Json& run) {
  forge::RunInfo info;
  info.found = true;
  info.run_id = run.value("id", int64_t{0});
  info.url = text_of(run, "html_url");
  std::string status = text_of(run, "status"), conclusion = text_of(run, "conclusion");
  info.detail = conclusion.empty() ? status : status + "/" + conclusion;
  if (status == "completed")
    info.state = conclusion == "success" ? forge::kRunSuccess : forge::kRunFailure;
  else if (status == "in_progress")
    info.state = forge::kRunInProgress;
  else
    info.state = forge::kRunQueued;  // queued, requested, waiting, pending
  return info;
}

}  // namespace

const forge::ForgeConfigSpec& github_config_spec() {
  static const forge::ForgeConfigSpec spec{
      "github", "https://api.github.com", {"GITHUB_TOKEN", "GH_TOKEN"}, "mi2_dispatch_id"};
  return spec;
}

GitHubConfig load_github_config(const sdk::Host& host, const std::string& config_json) {
  Json config = forge::parse_config_object(config_json, "github");
  GitHubConfig c;
  c.repository = forge::config_checked(config, "github", "repository", valid_repository,
                                       "'owner/name' (the deployments repository)", "", true);
  static_cast<forge::ForgeSettings&>(c) =
      forge::load_forge_settings(host, config, github_config_spec());
  c.tracking_repository = forge::config_checked(config, "github", "tracking_repository",
                                                valid_repository, "'owner/name'", c.repository);
  c.release_repository = forge::config_checked(config, "github", "release_repository",
                                               valid_repository, "'owner/name'");
  // GitHub Enterprise: https://HOST/api/v3 -> GraphQL at https://HOST/api/graphql, web at
  // https://HOST.
  bool enterprise =
      c.api_url.size() > 7 && c.api_url.compare(c.api_url.size() - 7, 7, "/api/v3") == 0;
  std::string root = enterprise ? c.api_url.substr(0, c.api_url.size() - 7) : c.api_url;
  c.graphql_url = forge::config_string(config, "github", "graphql_url",
                                       enterprise ? root + "/api/graphql" : c.api_url + "/graphql");
  std::string web = root;
  if (web == "https://api.github.com") web = "https://github.com";
  c.web_url = forge::config_string(config, "github", "web_url", web);
  if (config.contains("return_run_details")) {
    if (!config["return_run_details"].is_boolean())
      throw sdk::invalid_input(
          "mi2.yaml: plugins.github.return_run_details must be true or false.");
    c.return_run_details = config["return_run_details"].get<bool>();
  }
  return c;
}

namespace {

forge::RestShape github_shape(const GitHubConfig& c) {
  forge::RestShape shape;
  shape.forge = "GitHub";
  shape.plugin = "github";
  shape.subject = "repository";
  shape.headers = {{"Accept", "application/vnd.github+json"},
                   {"X-GitHub-Api-Version", "2022-11-28"},
                   {"User-Agent", MI2_FORGE_USER_AGENT}};
  shape.auth_header = "Authorization";
  shape.auth_prefix = "Bearer ";
  shape.missing_token =
      "no GitHub token: set GITHUB_TOKEN (or GH_TOKEN) to a token with access to the "
      "repository in mi2.yaml's plugins.github.";
  shape.token_hint = "set GITHUB_TOKEN (or GH_TOKEN) to a valid token";
  shape.refused = {422};
  shape.issues_path = "/repos/" + c.tracking_repository + "/issues";
  shape.number_key = "number";
  shape.body_key = "body";
  shape.url_key = "html_url";
  shape.update_method = "PATCH";
  shape.release_source = c.release_repository;
  shape.release_missing =
      "latest-version needs plugins.github.release_repository (owner/name) in mi2.yaml.";
  shape.tags_path = "/repos/" + c.release_repository + "/tags?per_page=100";
  return shape;
}

}  // namespace

GitHubForge::GitHubForge(sdk::Host host, GitHubConfig config)
    : RestForge(host, config, github_shape(config)), config_(std::move(config)) {}

// "/repos/owner/name/..." names the repository the request was about.
std::string GitHubForge::subject_of(const std::string& endpoint) const {
  size_t at = endpoint.find("/repos/");
  if (at == std::string::npos) return config_.repository;
  std::string rest = endpoint.substr(at + 7);
  size_t second = rest.find('/', rest.find('/') + 1);
  return rest.substr(0, second);
}

std::optional<PullRequest> GitHubForge::open_pr_for_branch(const std::string& branch) {
  std::string path = "/repos/" + config_.repository + "/pulls?state=open&head=" +
                     url_encode(owner_of(config_.repository) + ":" + branch) + "&per_page=100";
  Json list = client_.call("GET", path).json();
  if (!list.is_array() || list.empty()) return std::nullopt;
  return pr_from(list[0]);
}

PullRequest GitHubForge::open_or_update_pr(const forge::PullRequestDraft& draft, bool& created) {
  const std::string pulls = "/repos/" + config_.repository + "/pulls";
  created = false;
  std::optional<PullRequest> existing = open_pr_for_branch(draft.branch);
  PullRequest pr;
  if (!existing) {
    forge::ApiResponse response = client_.call("POST", pulls,
                                               {{"title", draft.title},
                                                {"head", draft.branch},
                                                {"base", draft.base},
                                                {"body", draft.body}},
                                               {422});
    if (response.skipped_dry_run) return pr;
    if (response.status == 422) {
      // Someone opened it between our lookup and our POST: update that one.
      existing = open_pr_for_branch(draft.branch);
      if (!existing) {
        throw sdk::failed("GitHub refused POST " + pulls + " with 422 (" +
                          forge::api_message(response.body) + ") for branch '" + draft.branch +
                          "' into '" + draft.base + "'.");
      }
    } else {
      pr = pr_from(response.json());
      created = true;
    }
  }
  if (existing) {
    forge::ApiResponse response =
        client_.call("PATCH", pulls + "/" + std::to_string(existing->number),
                     {{"title", draft.title}, {"body", draft.body}, {"base", draft.base}});
    pr = response.skipped_dry_run ? *existing : pr_from(response.json());
  }
  if (!draft.labels.empty() && pr.number > 0) {
    client_.call(
        "POST", "/repos/" + config_.repository + "/issues/" + std::to_string(pr.number) + "/labels",
        {{"labels", draft.labels}});
    for (const auto& label : draft.labels)
      if (std::find(pr.labels.begin(), pr.labels.end(), label) == pr.labels.end())
        pr.labels.push_back(label);
  }
  return pr;
}

std::vector<PullRequest> GitHubForge::list_prs(const std::string& label, const std::string& state) {
  std::string api_state = state == "merged" ? "closed" : state;
  std::vector<PullRequest> prs;
  for (const Json& item : client_.get_all("/repos/" + config_.repository +
                                          "/pulls?state=" + api_state + "&per_page=100")) {
    PullRequest pr = pr_from(item);
    if (state == "merged" && pr.state != "merged") continue;
    if (!label.empty() && std::find(pr.labels.begin(), pr.labels.end(), label) == pr.labels.end())
      continue;
    prs.push_back(std::move(pr));
  }
  return prs;
}

PullRequest GitHubForge::view_pr(int64_t number) {
  return pr_from(
      client_.call("GET", "/repos/" + config_.repository + "/pulls/" + std::to_string(number))
          .json());
}

void GitHubForge::approve_pr(int64_t number) {
  client_.call("POST",
               "/repos/" + config_.repository + "/pulls/" + std::to_string(number) + "/reviews",
               {{"event", "APPROVE"}});
}

forge::MergeOutcome GitHubForge::merge_pr(int64_t number, bool squash, bool auto_merge) {
  const std::string path = "/repos/" + config_.repository + "/pulls/" + std::to_string(number);
  Json current = client_.call("GET", path).json();
  PullRequest pr = pr_from(current);
  if (pr.state == "merged") return {true, false};
  if (pr.state == "closed")
    throw sdk::failed("GitHub PR #" + std::to_string(number) + " is closed; reopen it to merge.");

  forge::ApiResponse response = client_.call(
      "PUT", path + "/merge", {{"merge_method", squash ? "squash" : "merge"}}, {405, 409});
  if (response.skipped_dry_run) return {false, false};
  if (response.status < 300) return {response.json().value("merged", true), false};
  // 405/409: not mergeable yet (checks pending, review required, branch behind).
  std::string why = forge::api_message(response.body);
  if (!auto_merge) {
    throw sdk::failed("GitHub cannot merge PR #" + std::to_string(number) + " yet (" +
                      std::to_string(response.status) + ": " + why +
                      "); pass --auto to merge it once its checks pass.");
  }
  enable_auto_merge(pr, text_of(current, "node_id"), squash);
  return {false, true};
}

void GitHubForge::enable_auto_merge(const PullRequest& pr, const std::string& node_id,
                                    bool squash) {
  static const char* kMutation =
      "mutation($id: ID!, $method: PullRequestMergeMethod!) { enablePullRequestAutoMerge(input: "
      "{pullRequestId: $id, mergeMethod: $method}) { pullRequest { number autoMergeRequest { "
      "enabledAt } } } }";
  if (node_id.empty())
    throw sdk::failed("GitHub gave no node_id for PR #" + std::to_string(pr.number) + ".");
  forge::ApiResponse response =
      client_.call("POST", config_.graphql_url,
                   {{"query", kMutation},
                    {"variables", {{"id", node_id}, {"method", squash ? "SQUASH" : "MERGE"}}}});
  if (response.skipped_dry_run) return;
  Json result = response.json();
  if (result.is_object() && result.contains("errors") && !result["errors"].empty()) {
    throw sdk::failed("GitHub could not enable auto-merge on PR #" + std::to_string(pr.number) +
                      " (" + forge::api_message(response.body) +
                      "); is auto-merge allowed in the repository's settings?");
  }
}

std::string GitHubForge::issue_search_path(const std::string&) const {
  return shape().issues_path + "?state=all&per_page=100";
}

std::vector<std::string> GitHubForge::workflow_command(const std::string& workflow,
                                                       const std::string& ref,
                                                       const Json& inputs) const {
  std::vector<std::string> argv = {"gh", "workflow", "run", workflow, "--repo", config_.repository};
  if (!ref.empty()) argv.insert(argv.end(), {"--ref", ref});
  if (inputs.is_object())
    for (const auto& [key, value] : inputs.items())
      argv.insert(
          argv.end(),
          {"-f", key + "=" + (value.is_string() ? value.get<std::string>() : value.dump())});
  return argv;
}

std::string GitHubForge::workflow_path(const std::string& workflow) const {
  if (!valid_workflow(workflow))
    throw sdk::invalid_input("workflow '" + workflow + "' is not a workflow file name or id.");
  return "/repos/" + config_.repository + "/actions/workflows/" + workflow;
}

std::string GitHubForge::dispatch_hint(const std::string& message) const {
  if (config_.dispatch_id_input.empty() || message.find("nexpected input") == std::string::npos)
    return "";
  return "The workflow must declare the input '" + config_.dispatch_id_input +
         "' (mi2 passes each dispatch's id in it and finds the run by its run-name; see "
         "examples/fleet/.github/workflows/mi_upgrade.yml), or set "
         "plugins.github.dispatch_id_input: '' in mi2.yaml.";
}

// The run whose run-name (display_title) carries the dispatch id: the
// workflow's run-name echoes the input, so no other dispatch's run matches.
std::optional<forge::RunInfo> GitHubForge::find_run(const forge::DispatchRequest& request) {
  if (request.dispatch_id.empty() || config_.dispatch_id_input.empty()) return std::nullopt;
  std::string path = workflow_path(request.workflow) +
                     "/runs?event=workflow_dispatch&branch=" + url_encode(request.ref) +
                     "&per_page=100";
  Json runs = client_.call("GET", path).json();
  if (!runs.is_object() || !runs.contains("workflow_runs") || !runs["workflow_runs"].is_array())
    return std::nullopt;
  for (const Json& run : runs["workflow_runs"]) {
    if (forge::contains_token(text_of(run, "display_title"), request.dispatch_id) ||
        forge::contains_token(text_of(run, "name"), request.dispatch_id))
      return run_from(run);
  }
  return std::nullopt;
}

forge::RunInfo GitHubForge::dispatch_workflow(const forge::DispatchRequest& request) {
  const std::string base = workflow_path(request.workflow);
  if (!forge::valid_branch_name(request.ref))
    throw sdk::invalid_input("ref '" + request.ref + "' is not valid.");
  Json inputs = Json::object();
  for (const auto& [key, value] : request.inputs.items())
    inputs[key] = value.is_string() ? value.get<std::string>() : value.dump();
  bool tagged = !config_.dispatch_id_input.empty() && !request.dispatch_id.empty();
  if (tagged) inputs[config_.dispatch_id_input] = request.dispatch_id;
  Json body = {{"ref", request.ref}, {"inputs", inputs}};
  if (config_.return_run_details) body["return_run_details"] = true;

  forge::RunInfo run;
  run.url = config_.web_url + "/" + config_.repository + "/actions/workflows/" + request.workflow;
  forge::ApiResponse response;
  try {
    // Not retried on a 5xx: a second dispatch would start a second run.
    response = client_.call("POST", base + "/dispatches", body, {}, false);
  } catch (const sdk::Error& e) {
    forge::throw_dispatch_failure(e, client_.last_status(), run.url, dispatch_hint(e.what()));
  }
  if (response.skipped_dry_run) return run;
  // With return_run_details GitHub answers 200 {workflow_run_id, run_url, html_url}.
  Json details = response.json();
  if (details.is_object() && details.contains("workflow_run_id") &&
      details["workflow_run_id"].is_number_integer()) {
    run.found = true;
    run.run_id = details["workflow_run_id"].get<int64_t>();
    run.url = text_of(details, "html_url");
    if (run.url.empty())
      run.url = config_.web_url + "/" + config_.repository + "/actions/runs/" +
                std::to_string(run.run_id);
    run.state = forge::kRunQueued;
    return run;
  }
  if (!text_of(details, "html_url").empty()) {
    run.found = true;
    run.url = text_of(details, "html_url");
    run.run_id = details.value("id", int64_t{0});
    run.state = forge::kRunQueued;
    return run;
  }
  for (int attempt = 0; tagged && attempt < config_.run_lookup_attempts; ++attempt) {
    if (attempt > 0) client_.wait(config_.run_lookup_wait_ms);
    if (auto found = find_run(request)) return *found;
  }
  host_.info("dispatched " + request.workflow + " on " + request.ref +
             (tagged ? " (dispatch id " + request.dispatch_id + "); its run was not listed yet"
                     : "; GitHub named no run and no dispatch id input is set to find it by"));
  return run;
}

forge::RunInfo GitHubForge::run_status(const forge::DispatchRequest& request, int64_t run_id) {
  if (run_id > 0) {
    Json run =
        client_
            .call("GET", "/repos/" + config_.repository + "/actions/runs/" + std::to_string(run_id))
            .json();
    return run_from(run);
  }
  if (auto found = find_run(request)) return *found;
  forge::RunInfo none;
  none.url = config_.web_url + "/" + config_.repository + "/actions/workflows/" + request.workflow;
  return none;
}

std::string GitHubForge::ci_run_link() const {
  std::string server = forge::env_text("GITHUB_SERVER_URL");
  std::string repo = forge::env_text("GITHUB_REPOSITORY");
  std::string run = forge::env_text("GITHUB_RUN_ID");
  if (server.empty() || repo.empty() || run.empty()) return "";
  return server + "/" + repo + "/actions/runs/" + run;
}

std::string GitHubForge::latest_release_tag() {
  Json release =
      client_.call("GET", "/repos/" + config_.release_repository + "/releases/latest").json();
  std::string tag = text_of(release, "tag_name");
  if (tag.empty())
    throw sdk::failed("GitHub's latest release of " + config_.release_repository + " has no tag.");
  return tag;
}

Json GitHubForge::repository_seen(const std::string& repo) {
  forge::ApiResponse response = client_.call("GET", "/repos/" + repo, nullptr, {401, 404});
  std::string said = forge::api_message(response.body);
  said = said.empty() ? "" : ": " + said;
  if (response.status == 401) {
    throw sdk::failed("GitHub rejected the token from " + config_.token_source + " (401" + said +
                      ") when mi2 looked up repository " + repo +
                      "; set GITHUB_TOKEN (or GH_TOKEN) to a valid token that can push to it.");
  }
  if (response.status == 404) {
    throw sdk::failed("GitHub repository " + repo + " does not exist or the token from " +
                      config_.token_source + " cannot see it (404" + said +
                      "); check plugins.github in mi2.yaml and the token's access to it.");
  }
  Json seen = response.json();
  if (!seen.is_object()) {
    throw sdk::failed("GitHub answered GET /repos/" + repo +
                      " with no repository; check plugins.github.api_url in mi2.yaml.");
  }
  return seen;
}

// `permissions` is there for user tokens (classic and fine-grained) and
// missing for some app tokens: only a stated "push": false refuses.
Json GitHubForge::preflight() {
  const std::string& repo = config_.repository;
  Json seen = repository_seen(repo);
  Json out = {{"repository", repo}};
  if (seen.value("archived", false)) {
    throw sdk::failed("GitHub repository " + repo +
                      " is archived, so the upgrade cannot push its branch or open its pull "
                      "request; unarchive it or point plugins.github.repository at another.");
  }
  if (seen.contains("permissions") && seen["permissions"].is_object()) {
    bool push = seen["permissions"].value("push", false);
    out["push"] = push;
    if (!push) {
      throw sdk::failed("the token from " + config_.token_source + " can read GitHub repository " +
                        repo +
                        " but not push to it; use a token with write access (fine-grained: "
                        "Contents and Pull requests read and write), so the upgrade can push its "
                        "branch and open its pull request.");
    }
  }
  if (config_.tracking_repository != repo) {
    repository_seen(config_.tracking_repository);
    out["tracking_repository"] = config_.tracking_repository;
  }
  return out;
}

}  // namespace mi2::github
