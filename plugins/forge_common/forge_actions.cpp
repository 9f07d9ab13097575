#include "forge_common/forge_actions.h"

#include <cctype>
#include <filesystem>

#include "forge_common/forge_text.h"
#include "forge_common/git_publisher.h"
#include "forge_common/tracking_checklist.h"

namespace mi2::forge {

namespace {

std::string string_param(const Json& params, const char* key, const std::string& fallback = "") {
  if (!params.contains(key) || params[key].is_null()) return fallback;
  if (!params[key].is_string())
    throw sdk::invalid_input(std::string("param '") + key + "' must be a string.");
  return params[key].get<std::string>();
}

std::string required(const Json& params, const char* key, std::string_view action) {
  std::string value = string_param(params, key);
  if (value.empty())
    throw sdk::invalid_input("vcs " + std::string(action) + " needs the param '" + key + "'.");
  return value;
}

std::vector<std::string> strings_param(const Json& params, const char* key) {
  std::vector<std::string> values;
  if (!params.contains(key) || params[key].is_null()) return values;
  if (params[key].is_string()) return {params[key].get<std::string>()};
  if (!params[key].is_array())
    throw sdk::invalid_input(std::string("param '") + key + "' must be a list of strings.");
  for (const auto& item : params[key]) {
    if (!item.is_string())
      throw sdk::invalid_input(std::string("param '") + key + "' must be a list of strings.");
    values.push_back(item.get<std::string>());
  }
  return values;
}

Json issue_json(const Issue& issue, bool created) {
  return {
      {"number", issue.number}, {"url", issue.url}, {"title", issue.title}, {"created", created}};
}

Json publish(const sdk::Host& host, Forge& forge, const std::string& plugin_name, const Json& input,
             const Json& params) {
  GitPublishRequest git;
  git.branch = required(params, "branch", "publish");
  git.commit_message = required(params, "commit_message", "publish");
  git.paths = strings_param(params, "paths");
  git.remote = string_param(params, "remote", "origin");
  git.work_dir = input.value("instance_dir", input.value("fleet_root", ""));
  if (git.work_dir.empty())
    throw sdk::invalid_input("vcs publish needs instance_dir or fleet_root in its input.");
  std::string state_dir = input.value("state_dir", "");
  git.scratch_dir = state_dir.empty()
                        ? (std::filesystem::path(input.value("fleet_root", git.work_dir)) / ".mi2" /
                           "state" / plugin_name)
                              .string()
                        : (std::filesystem::path(state_dir) / plugin_name).string();

  PullRequestDraft draft;
  draft.branch = git.branch;
  draft.base = string_param(params, "base", "main");
  draft.title = required(params, "title", "publish");
  draft.body = string_param(params, "body");
  draft.labels = strings_param(params, "labels");
  if (!valid_branch_name(draft.base))
    throw sdk::invalid_input("base branch '" + draft.base + "' is not a valid branch name.");

  GitPublishResult pushed = commit_and_push(host, git);
  bool created = false;
  PullRequest pr = forge.open_or_update_pr(draft, created);
  bool found = !created && pr.number > 0;
  Json out = {{"branch", git.branch},
              {"commit", pushed.commit},
              {"pr", {{"number", pr.number}, {"url", pr.url}, {"created", created}}},
              {"found", found}};
  if (host.dry_run()) {
    out["dry_run"] = true;
    out["would"] = found ? "update" : "open";
    host.info(found ? "dry run: pull request #" + std::to_string(pr.number) + " (" + pr.url +
                          ") is open for " + git.branch + "; it would be updated"
                    : "dry run: no open pull request for " + git.branch + "; one would be opened");
  }
  return out;
}

std::vector<std::string> tracking_labels(const VcsOptions& options, const Json& params) {
  return options.tracking_labels ? *options.tracking_labels : strings_param(params, "labels");
}

Json tracking_issue(const sdk::Host& host, Forge& forge, const VcsOptions& options,
                    const Json& params) {
  std::string title = required(params, "title", "tracking-issue");
  std::vector<std::string> labels = tracking_labels(options, params);
  // create_issue does not retry a 5xx itself: the issue may exist anyway, so
  // look again before each new try (idempotent by title).
  for (int attempt = 1;; ++attempt) {
    if (auto found = forge.find_issue(title, labels)) {
      Json out = {{"issue", issue_json(*found, false)}, {"found", true}};
      if (host.dry_run()) {
        host.info("dry run: tracking issue #" + std::to_string(found->number) + " '" + title +
                  "' exists (" + found->url + "); it would be used as it is");
        out["dry_run"] = true;
        out["would"] = "use";
      }
      return out;
    }
    try {
      Issue issue = forge.create_issue(title, string_param(params, "body"), labels);
      Json out = {{"issue", issue_json(issue, !host.dry_run())}, {"found", false}};
      if (host.dry_run()) {
        host.info("dry run: no tracking issue titled '" + title + "'; it would be created");
        out["dry_run"] = true;
        out["would"] = "create";
      }
      return out;
    } catch (const sdk::Error& e) {
      if (e.status() != MI2_RETRYABLE || attempt >= 3) throw;
      host.warn(std::string(e.what()) + " Looking for the issue before trying again.");
    }
  }
}

Json tracking_issue_check(const sdk::Host& host, Forge& forge, const VcsOptions& options,
                          const Json& params) {
  std::string title = required(params, "title", "tracking-issue-check");
  std::string instance = required(params, "instance", "tracking-issue-check");
  auto issue = forge.find_issue(title, tracking_labels(options, params));
  if (!issue) {
    throw sdk::failed("there is no tracking issue titled '" + title +
                      "'; create it with 'mi2 env create-tracking-issue'.");
  }
  std::string body = issue->body;
  TickResult ticked = tick_checklist(body, instance);
  if (ticked == TickResult::kTicked) forge.update_issue_body(*issue, body);
  if (ticked == TickResult::kNotListed)
    host.warn("tracking issue #" + std::to_string(issue->number) + " does not list " + instance);
  return {{"issue", issue_json(*issue, false)},
          {"listed", ticked != TickResult::kNotListed},
          {"checked", ticked != TickResult::kNotListed}};
}

// The runbook's "Finally, update the tracking issue": one read of the issue,
// one of the upgrade PRs (every state), at most one write, none when nothing
// changed or in a dry run.
Json tracking_issue_sync(const sdk::Host& host, Forge& forge, const VcsOptions& options,
                         const Json& params) {
  std::string title = required(params, "title", "tracking-issue-sync");
  TrackingSyncRequest request = read_tracking_sync_request(params);
  auto issue = forge.find_issue(title, tracking_labels(options, params));
  if (!issue) throw_no_tracking_issue(title, request);
  std::vector<PullRequest> prs = forge.list_prs(string_param(params, "label", "mi-upgrade"), "all");
  TrackingSync sync = sync_tracking_checklist(issue->body, request, prs);
  bool update = sync.changed && !host.dry_run();
  if (update) forge.update_issue_body(*issue, sync.body);
  return tracking_sync_json(*issue, sync, host.dry_run(), update);
}

Json pr_list(Forge& forge, const Json& params) {
  std::string state = string_param(params, "state", "open");
  if (state != "open" && state != "closed" && state != "merged" && state != "all")
    throw sdk::invalid_input("pr-list's state must be open, closed, merged or all, not '" + state +
                             "'.");
  Json prs = Json::array();
  for (const auto& pr : forge.list_prs(string_param(params, "label"), state))
    prs.push_back(pr_json(pr, false));
  return {{"prs", prs}};
}

Json pr_merge(Forge& forge, const Json& params) {
  int64_t number = parse_number(params.value("number", Json()), "pr-merge's number");
  bool squash = params.value("squash", true);
  bool auto_merge = params.value("auto", false);
  MergeOutcome outcome = forge.merge_pr(number, squash, auto_merge);
  return {{"number", number}, {"merged", outcome.merged}, {"auto_merge", outcome.auto_merge}};
}

DispatchRequest dispatch_request(const Json& params, std::string_view action) {
  DispatchRequest request;
  request.workflow = required(params, "workflow", action);
  request.ref = string_param(params, "ref", "main");
  request.inputs = params.value("inputs", Json::object());
  request.dispatch_id = string_param(params, "dispatch_id");
  if (!request.inputs.is_object())
    throw sdk::invalid_input("vcs " + std::string(action) + "'s inputs must be a mapping.");
  for (unsigned char c : request.dispatch_id)
    if (!std::isalnum(c) && c != '-' && c != '_' && c != '.')
      throw sdk::invalid_input("dispatch id '" + request.dispatch_id +
                               "' must be letters, digits, '.', '_' or '-'.");
  return request;
}

Json dispatch(const sdk::Host& host, Forge& forge, const Json& params) {
  DispatchRequest request = dispatch_request(params, "dispatch-workflow");
  RunInfo run = forge.dispatch_workflow(request);
  Json out = run_json(run);
  out["dispatched"] = !host.dry_run();
  out["dispatch_id"] = request.dispatch_id;
  if (host.dry_run()) out["dry_run"] = true;
  return out;
}

Json run_status(Forge& forge, const Json& params) {
  DispatchRequest request = dispatch_request(params, "workflow-run-status");
  int64_t run_id = 0;
  if (params.contains("run_id") && !params["run_id"].is_null())
    run_id = parse_number(params["run_id"], "workflow-run-status's run_id");
  if (run_id == 0 && request.dispatch_id.empty())
    throw sdk::invalid_input("vcs workflow-run-status needs the param 'run_id' or 'dispatch_id'.");
  return run_json(forge.run_status(request, run_id));
}

}  // namespace

Json pr_json(const PullRequest& pr, bool with_body) {
  Json out = {{"number", pr.number}, {"title", pr.title}, {"url", pr.url},
              {"branch", pr.branch}, {"base", pr.base},   {"labels", pr.labels},
              {"state", pr.state},   {"draft", pr.draft}, {"auto_merge", pr.auto_merge}};
  if (with_body) out["body"] = pr.body;
  return out;
}

[[noreturn]] void throw_dispatch_failure(const sdk::Error& error, int last_status,
                                         const std::string& page, const std::string& hint) {
  std::string message = error.what();
  if (!hint.empty()) message += " " + hint;
  // Nothing sent, or a definite 4xx answer: no run started. A 5xx or no
  // answer at all: the forge may have started the run before failing.
  bool refused = last_status < 0 || (last_status >= 400 && last_status < 500);
  if (refused) throw sdk::Failure(error.status(), message, {{"dispatched", false}, {"url", page}});
  throw sdk::Failure(MI2_FAILED,
                     message + " No trustworthy answer came back: the run may have started.",
                     {{"dispatched", "unknown"}, {"url", page}});
}

Json run_json(const RunInfo& run) {
  return {{"found", run.found},
          {"run_id", run.run_id > 0 ? Json(run.run_id) : Json(nullptr)},
          {"url", run.url},
          {"state", run.state},
          {"detail", run.detail}};
}

namespace vcs {

Json publish(const VcsCall& c) {
  return forge::publish(c.host, c.forge, c.plugin_name, c.in.raw, c.in.params);
}

Json tracking_issue(const VcsCall& c) {
  return forge::tracking_issue(c.host, c.forge, c.options, c.in.params);
}

Json tracking_issue_check(const VcsCall& c) {
  return forge::tracking_issue_check(c.host, c.forge, c.options, c.in.params);
}

Json tracking_issue_sync(const VcsCall& c) {
  return forge::tracking_issue_sync(c.host, c.forge, c.options, c.in.params);
}

Json pr_list(const VcsCall& c) {
  return forge::pr_list(c.forge, c.in.params);
}

Json pr_view(const VcsCall& c) {
  int64_t number = parse_number(c.in.params.value("number", Json()), "pr-view's number");
  return {{"pr", pr_json(c.forge.view_pr(number), true)}};
}

Json pr_approve(const VcsCall& c) {
  c.forge.approve_pr(parse_number(c.in.params.value("number", Json()), "pr-approve's number"));
  return Json::object();
}

Json pr_merge(const VcsCall& c) {
  return forge::pr_merge(c.forge, c.in.params);
}

Json dispatch_workflow(const VcsCall& c) {
  return dispatch(c.host, c.forge, c.in.params);
}

Json workflow_run_status(const VcsCall& c) {
  return run_status(c.forge, c.in.params);
}

Json workflow_command(const VcsCall& c) {
  const Json& params = c.in.params;
  return {{"argv", c.forge.workflow_command(required(params, "workflow", "workflow-command"),
                                            string_param(params, "ref", ""),
                                            params.value("inputs", Json::object()))}};
}

Json run_link(const VcsCall& c) {
  std::string link = c.forge.ci_run_link();
  return {{"url", link.empty() ? Json(nullptr) : Json(link)}};
}

Json latest_version(const VcsCall& c) {
  return {{"version", c.forge.latest_version()}};
}

// Read-only, so it runs as it is in a dry run: the token is proven before
// the bump, and a bad one never leaves a pushed branch without its PR.
Json preflight(const VcsCall& c) {
  return c.forge.preflight();
}

}  // namespace vcs

}  // namespace mi2::forge
