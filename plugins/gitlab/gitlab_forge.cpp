#include "gitlab/gitlab_forge.h"

#include <mi2/sdk/text.hpp>

#include <algorithm>

#include "forge_common/forge_actions.h"
#include "forge_common/forge_text.h"

namespace mi2::gitlab {

using forge::PullRequest;
using forge::text_of;
using forge::url_encode;

namespace {

bool valid_project(const std::string& project) {
  if (project.empty() || project.front() == '/' || project.back() == '/') return false;
  if (project.find("..") != std::string::npos || project.find("//") != std::string::npos)
    return false;
  for (unsigned char c : project)
    if (!std::isalnum(c) && c != '/' && c != '-' && c != '_' && c != '.') return false;
  return true;
}

bool valid_variable_name(const std::string& name) {
  if (name.empty() || name.size() > 255) return false;
  for (unsigned char c : name)
    if (!std::isalnum(c) && c != '_') return false;
  return true;
}

// A pipeline's status in mi2's words.
forge::RunInfo pipeline_from(const Json& pipeline) {
  forge::RunInfo info;
  info.found = true;
  info.run_id = pipeline.value("id", int64_t{0});
  info.url = text_of(pipeline, "web_url");
  info.detail = text_of(pipeline, "status");
  const std::string& status = info.detail;
  if (status == "success")
    info.state = forge::kRunSuccess;
  else if (status == "failed" || status == "canceled" || status == "skipped")
    info.state = forge::kRunFailure;
  else if (status == "running")
    info.state = forge::kRunInProgress;
  else
    info.state = forge::kRunQueued;  // created, waiting_for_resource, preparing, pending, manual
  return info;
}

PullRequest mr_from(const Json& j) {
  PullRequest pr;
  pr.number = j.value("iid", int64_t{0});
  pr.title = text_of(j, "title");
  pr.url = text_of(j, "web_url");
  pr.body = text_of(j, "description");
  pr.branch = text_of(j, "source_branch");
  pr.base = text_of(j, "target_branch");
  pr.state = forge::open_state(text_of(j, "state"));
  pr.draft = j.value("draft", j.value("work_in_progress", false));
  pr.auto_merge = j.value("merge_when_pipeline_succeeds", false);
  if (j.contains("labels") && j["labels"].is_array())
    for (const auto& label : j["labels"])
      pr.labels.push_back(label.is_string() ? label.get<std::string>() : text_of(label, "name"));
  return pr;
}

// "/projects/<url-encoded path or id>".
std::string project_path(const std::string& project) {
  return "/projects/" + url_encode(project);
}

forge::RestShape gitlab_shape(const GitLabConfig& c) {
  forge::RestShape shape;
  shape.forge = "GitLab";
  shape.plugin = "gitlab";
  shape.subject = "project";
  shape.headers = {{"Accept", "application/json"}, {"User-Agent", MI2_FORGE_USER_AGENT}};
  shape.auth_header = "PRIVATE-TOKEN";
  shape.missing_token =
      "no GitLab token: set GITLAB_TOKEN to a token with the api scope on the project in "
      "mi2.yaml's plugins.gitlab.";
  shape.token_hint = "set GITLAB_TOKEN to a valid token with the api scope";
  shape.refused = {400, 409, 422};
  shape.issues_path = project_path(c.tracking_project) + "/issues";
  shape.number_key = "iid";
  shape.body_key = "description";
  shape.url_key = "web_url";
  shape.update_method = "PUT";
  shape.labels_joined = true;
  shape.release_source = c.release_project;
  shape.release_missing = "latest-version needs plugins.gitlab.release_project in mi2.yaml.";
  shape.tags_path = project_path(c.release_project) + "/repository/tags?per_page=100";
  return shape;
}

}  // namespace

const forge::ForgeConfigSpec& gitlab_config_spec() {
  static const forge::ForgeConfigSpec spec{
      "gitlab", "https://gitlab.com/api/v4", {"GITLAB_TOKEN"}, "MI2_DISPATCH_ID"};
  return spec;
}

GitLabConfig load_gitlab_config(const sdk::Host& host, const std::string& config_json) {
  Json config = forge::parse_config_object(config_json, "gitlab");
  GitLabConfig c;
  // A numeric id may come as a YAML integer.
  for (const char* key : {"project", "tracking_project", "release_project"})
    if (config.contains(key) && config[key].is_number_integer())
      config[key] = std::to_string(config[key].get<int64_t>());
  c.project =
      forge::config_checked(config, "gitlab", "project", valid_project,
                            "the deployments project's path (group/name) or numeric id", "", true);
  static_cast<forge::ForgeSettings&>(c) =
      forge::load_forge_settings(host, config, gitlab_config_spec());
  c.tracking_project = forge::config_checked(config, "gitlab", "tracking_project", valid_project,
                                             "a project path or id", c.project);
  c.release_project = forge::config_checked(config, "gitlab", "release_project", valid_project,
                                            "a project path or id");
  std::string web = c.api_url;
  if (web.size() > 7 && web.compare(web.size() - 7, 7, "/api/v4") == 0) web.resize(web.size() - 7);
  c.web_url = forge::config_string(config, "gitlab", "web_url", web);
  if (!c.dispatch_id_input.empty() && !valid_variable_name(c.dispatch_id_input))
    throw sdk::invalid_input(
        "mi2.yaml: plugins.gitlab.dispatch_id_input must be a variable name (letters, digits, _).");
  return c;
}

GitLabForge::GitLabForge(sdk::Host host, GitLabConfig config)
    : RestForge(host, config, gitlab_shape(config)), config_(std::move(config)) {}

std::string GitLabForge::subject_of(const std::string& endpoint) const {
  if (endpoint.find(url_encode(config_.tracking_project)) != std::string::npos)
    return config_.tracking_project;
  return config_.project;
}

std::optional<PullRequest> GitLabForge::open_mr_for_branch(const std::string& branch) {
  Json list =
      client_
          .call("GET", project_path(config_.project) +
                           "/merge_requests?state=opened&source_branch=" + url_encode(branch) +
                           "&per_page=100")
          .json();
  if (!list.is_array() || list.empty()) return std::nullopt;
  return mr_from(list[0]);
}

PullRequest GitLabForge::open_or_update_pr(const forge::PullRequestDraft& draft, bool& created) {
  const std::string mrs = project_path(config_.project) + "/merge_requests";
  created = false;
  std::optional<PullRequest> existing = open_mr_for_branch(draft.branch);
  if (!existing) {
    Json request = {{"source_branch", draft.branch},
                    {"target_branch", draft.base},
                    {"title", draft.title},
                    {"description", draft.body}};
    if (!draft.labels.empty()) request["labels"] = sdk::join(draft.labels, ",");
    forge::ApiResponse response = client_.call("POST", mrs, request, {409});
    if (response.skipped_dry_run) return {};
    if (response.status != 409) {
      created = true;
      return mr_from(response.json());
    }
    // Opened between our lookup and our POST: update that one.
    existing = open_mr_for_branch(draft.branch);
    if (!existing) {
      throw sdk::failed("GitLab refused POST " + mrs + " with 409 (" +
                        forge::api_message(response.body) + ") for branch '" + draft.branch + "'.");
    }
  }
  Json update = {
      {"title", draft.title}, {"description", draft.body}, {"target_branch", draft.base}};
  if (!draft.labels.empty()) update["add_labels"] = sdk::join(draft.labels, ",");
  forge::ApiResponse response =
      client_.call("PUT", mrs + "/" + std::to_string(existing->number), update);
  return response.skipped_dry_run ? *existing : mr_from(response.json());
}

std::vector<PullRequest> GitLabForge::list_prs(const std::string& label, const std::string& state) {
  std::string api_state = state == "open" ? "opened" : state;
  std::string path =
      project_path(config_.project) + "/merge_requests?state=" + api_state + "&per_page=100";
  if (!label.empty()) path += "&labels=" + url_encode(label);
  std::vector<PullRequest> prs;
  for (const Json& item : client_.get_all(path)) prs.push_back(mr_from(item));
  return prs;
}

PullRequest GitLabForge::view_pr(int64_t number) {
  return mr_from(
      client_
          .call("GET", project_path(config_.project) + "/merge_requests/" + std::to_string(number))
          .json());
}

void GitLabForge::approve_pr(int64_t number) {
  client_.call("POST", project_path(config_.project) + "/merge_requests/" + std::to_string(number) +
                           "/approve");
}

forge::MergeOutcome GitLabForge::merge_pr(int64_t number, bool squash, bool auto_merge) {
  const std::string path =
      project_path(config_.project) + "/merge_requests/" + std::to_string(number);
  PullRequest mr = mr_from(client_.call("GET", path).json());
  if (mr.state == "merged") return {true, false};
  if (mr.state == "closed")
    throw sdk::failed("GitLab MR !" + std::to_string(number) + " is closed; reopen it to merge.");

  Json request = {{"squash", squash}};
  if (auto_merge) request["merge_when_pipeline_succeeds"] = true;
  forge::ApiResponse response = client_.call("PUT", path + "/merge", request, {405, 406, 409, 422});
  if (response.skipped_dry_run) return {false, false};
  if (response.status < 300) {
    PullRequest merged = mr_from(response.json());
    return {merged.state == "merged", merged.state != "merged" && merged.auto_merge};
  }
  std::string why = forge::api_message(response.body);
  throw sdk::failed("GitLab cannot merge MR !" + std::to_string(number) + " yet (" +
                    std::to_string(response.status) + ": " + why + ")" +
                    (auto_merge ? "; check its pipeline and approvals."
                                : "; pass --auto to merge it when its pipeline succeeds."));
}

std::string GitLabForge::issue_search_path(const std::string& title) const {
  return shape().issues_path + "?search=" + url_encode(title) + "&in=title&per_page=100";
}

std::vector<std::string> GitLabForge::workflow_command(const std::string& workflow,
                                                       const std::string& ref,
                                                       const Json& inputs) const {
  std::vector<std::string> argv = {"glab", "ci", "run", "--repo", config_.project};
  if (!ref.empty()) argv.insert(argv.end(), {"--branch", ref});
  argv.insert(argv.end(), {"--variables", "MI2_WORKFLOW:" + workflow});
  if (inputs.is_object())
    for (const auto& [key, value] : inputs.items())
      argv.insert(argv.end(),
                  {"--variables",
                   key + ":" + (value.is_string() ? value.get<std::string>() : value.dump())});
  return argv;
}

std::string GitLabForge::pipelines_page() const {
  return config_.web_url + "/" + config_.project + "/-/pipelines";
}

forge::RunInfo GitLabForge::dispatch_workflow(const forge::DispatchRequest& request) {
  if (!forge::valid_branch_name(request.ref))
    throw sdk::invalid_input("ref '" + request.ref + "' is not valid.");
  // GitLab has no named workflows: the pipeline gets MI2_WORKFLOW, which the
  // project's .gitlab-ci.yml rules select jobs by, and the dispatch id.
  Json variables = Json::array({{{"key", "MI2_WORKFLOW"}, {"value", request.workflow}}});
  if (!config_.dispatch_id_input.empty() && !request.dispatch_id.empty())
    variables.push_back({{"key", config_.dispatch_id_input}, {"value", request.dispatch_id}});
  for (const auto& [key, value] : request.inputs.items()) {
    if (!valid_variable_name(key))
      throw sdk::invalid_input("pipeline variable '" + key + "' must be letters, digits or _.");
    variables.push_back(
        {{"key", key}, {"value", value.is_string() ? value.get<std::string>() : value.dump()}});
  }
  forge::ApiResponse response;
  try {
    // Not retried on a 5xx: a second request would start a second pipeline.
    response = client_.call("POST", project_path(config_.project) + "/pipeline",
                            {{"ref", request.ref}, {"variables", variables}}, {}, false);
  } catch (const sdk::Error& e) {
    forge::throw_dispatch_failure(e, client_.last_status(), pipelines_page());
  }
  forge::RunInfo run;
  run.url = pipelines_page();
  if (response.skipped_dry_run) return run;
  // The create call answers with the pipeline itself: its id is the run's.
  Json pipeline = response.json();
  if (!pipeline.is_object() || pipeline.value("id", int64_t{0}) <= 0) {
    host_.warn("GitLab created a pipeline on " + request.ref + " but named no id");
    return run;
  }
  run = pipeline_from(pipeline);
  if (run.url.empty()) run.url = pipelines_page() + "/" + std::to_string(run.run_id);
  return run;
}

// The pipeline created for a dispatch whose answer was lost: the newest API
// pipelines on the ref whose variables carry the dispatch id.
std::optional<forge::RunInfo> GitLabForge::find_pipeline(const forge::DispatchRequest& request) {
  if (request.dispatch_id.empty() || config_.dispatch_id_input.empty()) return std::nullopt;
  const std::string base = project_path(config_.project) + "/pipelines";
  Json list = client_
                  .call("GET", base + "?ref=" + url_encode(request.ref) +
                                   "&source=api&order_by=id&sort=desc&per_page=20")
                  .json();
  if (!list.is_array()) return std::nullopt;
  for (const Json& pipeline : list) {
    int64_t id = pipeline.value("id", int64_t{0});
    if (id <= 0) continue;
    Json variables = client_.call("GET", base + "/" + std::to_string(id) + "/variables").json();
    if (!variables.is_array()) continue;
    for (const Json& variable : variables)
      if (text_of(variable, "key") == config_.dispatch_id_input &&
          text_of(variable, "value") == request.dispatch_id)
        return pipeline_from(pipeline);
  }
  return std::nullopt;
}

forge::RunInfo GitLabForge::run_status(const forge::DispatchRequest& request, int64_t run_id) {
  if (run_id > 0) {
    return pipeline_from(
        client_.call("GET", project_path(config_.project) + "/pipelines/" + std::to_string(run_id))
            .json());
  }
  if (auto found = find_pipeline(request)) return *found;
  forge::RunInfo none;
  none.url = pipelines_page();
  return none;
}

std::string GitLabForge::ci_run_link() const {
  std::string job = forge::env_text("CI_JOB_URL");
  return job.empty() ? forge::env_text("CI_PIPELINE_URL") : job;
}

std::string GitLabForge::latest_release_tag() {
  Json releases = client_
                      .call("GET", project_path(config_.release_project) +
                                       "/releases?order_by=released_at&sort=desc&per_page=1")
                      .json();
  std::string tag =
      releases.is_array() && !releases.empty() ? text_of(releases[0], "tag_name") : "";
  if (tag.empty())
    throw sdk::failed("GitLab project " + config_.release_project + " has no release.");
  return tag;
}

Json GitLabForge::project_seen(const std::string& project) {
  forge::ApiResponse response = client_.call("GET", project_path(project), nullptr, {401, 404});
  std::string said = forge::api_message(response.body);
  said = said.empty() ? "" : ": " + said;
  if (response.status == 401) {
    throw sdk::failed("GitLab rejected the token from " + config_.token_source + " (401" + said +
                      ") when mi2 looked up project " + project +
                      "; set GITLAB_TOKEN to a valid token with the api scope.");
  }
  if (response.status == 404) {
    throw sdk::failed("GitLab project " + project + " does not exist or the token from " +
                      config_.token_source + " cannot see it (404" + said +
                      "); check plugins.gitlab in mi2.yaml and the token's membership.");
  }
  Json seen = response.json();
  if (!seen.is_object()) {
    throw sdk::failed("GitLab answered GET /projects/" + url_encode(project) +
                      " with no project; check plugins.gitlab.api_url in mi2.yaml.");
  }
  return seen;
}

namespace {

// The highest access level `permissions` grants (project or group), 0 when
// neither says (an administrator, or no membership).
int access_level(const Json& project) {
  int level = 0;
  const Json permissions = project.value("permissions", Json::object());
  if (!permissions.is_object()) return 0;
  for (const char* key : {"project_access", "group_access"}) {
    const Json access = permissions.value(key, Json());
    if (access.is_object() && access.value("access_level", Json()).is_number_integer())
      level = std::max(level, access["access_level"].get<int>());
  }
  return level;
}

std::string role_name(int level) {
  switch (level) {
    case 5:
      return "Minimal access";
    case 10:
      return "Guest";
    case 15:
      return "Planner";
    case 20:
      return "Reporter";
    case 30:
      return "Developer";
    case 40:
      return "Maintainer";
    case 50:
      return "Owner";
  }
  return "access level " + std::to_string(level);
}

}  // namespace

// Developer (30) pushes a branch and opens a merge request. No membership
// shown is let through with a warning: administrators see none.
Json GitLabForge::preflight() {
  const std::string& project = config_.project;
  Json seen = project_seen(project);
  Json out = {{"project", project}};
  if (seen.value("archived", false)) {
    throw sdk::failed("GitLab project " + project +
                      " is archived, so the upgrade cannot push its branch or open its merge "
                      "request; unarchive it or point plugins.gitlab.project at another.");
  }
  int level = access_level(seen);
  out["access_level"] = level;
  if (level > 0 && level < 30) {
    throw sdk::failed("the token from " + config_.token_source + " has the " + role_name(level) +
                      " role (" + std::to_string(level) + ") in GitLab project " + project +
                      ", which cannot push a branch; it needs Developer (30) or more, so the "
                      "upgrade can push its branch and open its merge request.");
  }
  if (level == 0) {
    host_.warn("GitLab shows no membership of the token from " + config_.token_source +
               " in project " + project +
               "; pushing the upgrade branch works only if it is an "
               "administrator's.");
  }
  if (config_.tracking_project != project) {
    project_seen(config_.tracking_project);
    out["tracking_project"] = config_.tracking_project;
  }
  return out;
}

}  // namespace mi2::gitlab
