#include "github/github_forge.h"

#include <mi2/sdk/text.hpp>

#include <algorithm>
#include <cstdlib>
#include <set>

#include "forge_common/forge_text.h"

namespace mi2::github {

using forge::Issue;
using forge::PullRequest;
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

std::string text_of(const Json& object, const char* key) {
  if (!object.is_object() || !object.contains(key) || !object[key].is_string()) return "";
  return object[key].get<std::string>();
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

Issue issue_from(const Json& j) {
  Issue issue;
  issue.number = j.value("number", int64_t{0});
  issue.title = text_of(j, "title");
  issue.url = text_of(j, "html_url");
  issue.body = text_of(j, "body");
  issue.state = text_of(j, "state");
  return issue;
}

}  // namespace

GitHubConfig load_github_config(const sdk::Host& host, const std::string& config_json) {
  Json config = Json::parse(config_json, nullptr, false);
  if (config.is_discarded() || !(config.is_object() || config.is_null()))
    throw sdk::invalid_input("mi2.yaml: the github plugin's config must be a mapping.");
  if (config.is_null()) config = Json::object();

  GitHubConfig c;
  c.repository = forge::config_string(config, "github", "repository");
  if (!valid_repository(c.repository)) {
    throw sdk::invalid_input(
        "mi2.yaml: plugins.github.repository must be 'owner/name' (the deployments repository), "
        "not '" +
        c.repository + "'.");
  }
  c.tracking_repository =
      forge::config_string(config, "github", "tracking_repository", c.repository);
  if (!valid_repository(c.tracking_repository))
    throw sdk::invalid_input("mi2.yaml: plugins.github.tracking_repository must be 'owner/name'.");
  c.release_repository = forge::config_string(config, "github", "release_repository");
  if (!c.release_repository.empty() && !valid_repository(c.release_repository))
    throw sdk::invalid_input("mi2.yaml: plugins.github.release_repository must be 'owner/name'.");
  c.latest_source = forge::config_string(config, "github", "latest_source", c.latest_source);
  if (c.latest_source != "release" && c.latest_source != "main-tag")
    throw sdk::invalid_input("mi2.yaml: plugins.github.latest_source must be release or main-tag.");
  c.api_url = forge::config_string(config, "github", "api_url", c.api_url);
  while (!c.api_url.empty() && c.api_url.back() == '/') c.api_url.pop_back();
  if (c.api_url.rfind("https://", 0) != 0 && c.api_url.rfind("http://", 0) != 0)
    throw sdk::invalid_input("mi2.yaml: plugins.github.api_url must be an http(s) URL.");

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
  c.retry = forge::retry_policy_from(config);
  if (config.contains("run_lookup_attempts") && config["run_lookup_attempts"].is_number_integer())
    c.run_lookup_attempts = std::clamp(config["run_lookup_attempts"].get<int>(), 0, 30);
  if (config.contains("run_lookup_wait_ms") && config["run_lookup_wait_ms"].is_number_integer())
    c.run_lookup_wait_ms = std::clamp(config["run_lookup_wait_ms"].get<int>(), 0, 60000);

  c.token = forge::config_string(config, "github", "token");
  c.token_source = "plugins.github.token";
  for (const char* name : {"GITHUB_TOKEN", "GH_TOKEN"}) {
    if (!c.token.empty()) break;
    const char* value = std::getenv(name);
    if (value && *value) {
      c.token = value;
      c.token_source = std::string("$") + name;
    }
  }
  host.redact(c.token);
  return c;
}

GitHubForge::GitHubForge(sdk::Host host, GitHubConfig config)
    : host_(host), config_(std::move(config)), client_(host, [this] {
        forge::ClientSettings s;
        s.forge = "GitHub";
        s.base_url = config_.api_url;
        s.headers = {{"Accept", "application/vnd.github+json"},
                     {"X-GitHub-Api-Version", "2022-11-28"},
                     {"User-Agent", MI2_FORGE_USER_AGENT}};
        if (!config_.token.empty())
          s.headers.emplace_back("Authorization", "Bearer " + config_.token);
        s.retry = config_.retry;
        s.explain = [this](int status, const std::string& endpoint, const std::string& message) {
          return explain(status, endpoint, message);
        };
        bool has_token = !config_.token.empty();
        s.before_first_request = [has_token] {
          if (!has_token) {
            throw sdk::failed(
                "no GitHub token: set GITHUB_TOKEN (or GH_TOKEN) to a token with access to the "
                "repository in mi2.yaml's plugins.github.");
          }
        };
        return s;
      }()) {}

std::string GitHubForge::explain(int status, const std::string& endpoint,
                                 const std::string& message) const {
  std::string said = message.empty() ? "" : " (" + message + ")";
  // "/repos/owner/name/..." names the repository the request was about.
  std::string repo = config_.repository;
  size_t at = endpoint.find("/repos/");
  if (at != std::string::npos) {
    std::string rest = endpoint.substr(at + 7);
    size_t second = rest.find('/', rest.find('/') + 1);
    repo = rest.substr(0, second);
  }
  if (status == 401) {
    return "GitHub rejected the token from " + config_.token_source + " with 401 on " + endpoint +
           said + "; set GITHUB_TOKEN (or GH_TOKEN) to a valid token.";
  }
  if (status == 404) {
    return "GitHub answered 404 for " + endpoint + said + ": repository '" + repo +
           "' or the item does not exist, or the token from " + config_.token_source +
           " cannot see it; check mi2.yaml's plugins.github and the token's access.";
  }
  if (status == 403) {
    return "GitHub refused " + endpoint + " with 403" + said + ": the token from " +
           config_.token_source + " lacks permission on '" + repo + "'.";
  }
  if (status == 422) return "GitHub refused " + endpoint + " with 422" + said + ".";
  return "";
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
  if (state != "open" && state != "closed" && state != "merged" && state != "all")
    throw sdk::invalid_input("pr-list's state must be open, closed, merged or all, not '" + state +
                             "'.");
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

std::optional<Issue> GitHubForge::find_issue(const std::string& title,
                                             const std::vector<std::string>& labels) {
  std::string path = "/repos/" + config_.tracking_repository + "/issues?state=all&per_page=100";
  if (!labels.empty()) path += "&labels=" + url_encode(sdk::join(labels, ","));
  std::optional<Issue> oldest;
  for (const Json& item : client_.get_all(path)) {
    if (item.contains("pull_request")) continue;  // the issues API lists PRs too
    if (text_of(item, "title") != title) continue;
    Issue issue = issue_from(item);
    if (!oldest || issue.number < oldest->number) oldest = issue;
  }
  return oldest;
}

Issue GitHubForge::create_issue(const std::string& title, const std::string& body,
                                const std::vector<std::string>& labels) {
  Json request = {{"title", title}, {"body", body}};
  if (!labels.empty()) request["labels"] = labels;
  forge::ApiResponse response =
      client_.call("POST", "/repos/" + config_.tracking_repository + "/issues", request, {}, false);
  if (response.skipped_dry_run) return Issue{0, title, "", body, "open"};
  return issue_from(response.json());
}

void GitHubForge::update_issue_body(const Issue& issue, const std::string& body) {
  client_.call("PATCH",
               "/repos/" + config_.tracking_repository + "/issues/" + std::to_string(issue.number),
               {{"body", body}});
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

Json GitHubForge::dispatch_workflow(const std::string& workflow, const std::string& ref,
                                    const Json& inputs) {
  if (!valid_workflow(workflow))
    throw sdk::invalid_input("workflow '" + workflow + "' is not a workflow file name or id.");
  if (!forge::valid_branch_name(ref)) throw sdk::invalid_input("ref '" + ref + "' is not valid.");
  if (!inputs.is_object())
    throw sdk::invalid_input("dispatch-workflow's inputs must be a mapping.");
  Json string_inputs = Json::object();
  for (const auto& [key, value] : inputs.items())
    string_inputs[key] = value.is_string() ? value.get<std::string>() : value.dump();

  const std::string base = "/repos/" + config_.repository + "/actions/workflows/" + workflow;
  const std::string fallback =
      config_.web_url + "/" + config_.repository + "/actions/workflows/" + workflow;
  // The runs listed before the dispatch are not ours (ids, not clocks: ours may be skewed).
  const std::string runs_path =
      base + "/runs?event=workflow_dispatch&branch=" + url_encode(ref) + "&per_page=20";
  std::set<int64_t> earlier;
  if (config_.run_lookup_attempts > 0) {
    Json before = client_.call("GET", runs_path).json();
    if (before.is_object() && before.contains("workflow_runs"))
      for (const Json& run : before["workflow_runs"]) earlier.insert(run.value("id", int64_t{0}));
  }
  // Not retried on a 5xx: a second dispatch would start a second run.
  forge::ApiResponse response = client_.call("POST", base + "/dispatches",
                                             {{"ref", ref}, {"inputs", string_inputs}}, {}, false);
  if (response.skipped_dry_run) return {{"url", fallback}, {"found", false}, {"dry_run", true}};
  // Newer GitHub answers 200 with the run's details.
  Json details = response.json();
  if (details.is_object() && details.contains("html_url") && details["html_url"].is_string())
    return {{"url", details["html_url"]}, {"found", true}};

  for (int attempt = 0; attempt < config_.run_lookup_attempts; ++attempt) {
    if (attempt > 0) client_.wait(config_.run_lookup_wait_ms);
    Json runs = client_.call("GET", runs_path).json();
    if (!runs.is_object() || !runs.contains("workflow_runs")) continue;
    for (const Json& run : runs["workflow_runs"]) {
      if (!earlier.count(run.value("id", int64_t{0})) && !text_of(run, "html_url").empty())
        return {{"url", run["html_url"]}, {"run_id", run.value("id", int64_t{0})}, {"found", true}};
    }
  }
  host_.info("dispatched " + workflow + " on " + ref + "; its run was not listed yet");
  return {{"url", fallback}, {"found", false}};
}

std::string GitHubForge::latest_version() {
  if (config_.release_repository.empty()) {
    throw sdk::failed(
        "latest-version needs plugins.github.release_repository (owner/name) in mi2.yaml.");
  }
  if (config_.latest_source == "main-tag") {
    std::vector<std::string> names;
    for (const Json& tag :
         client_.get_all("/repos/" + config_.release_repository + "/tags?per_page=100", 20000))
      names.push_back(text_of(tag, "name"));
    std::string newest = forge::newest_main_branch_tag(names);
    if (newest.empty())
      throw sdk::failed("GitHub repository " + config_.release_repository +
                        " has no main-branch tag (like 208045_2023-04-01_5.0-0c4a8d6bb3e2).");
    return newest;
  }
  Json release =
      client_.call("GET", "/repos/" + config_.release_repository + "/releases/latest").json();
  std::string tag = text_of(release, "tag_name");
  if (tag.empty())
    throw sdk::failed("GitHub's latest release of " + config_.release_repository + " has no tag.");
  return forge::strip_v_prefix(tag);
}

}  // namespace mi2::github
