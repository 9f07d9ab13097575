#include "forge_common/rest_forge.h"

#include <mi2/sdk/text.hpp>

#include "forge_common/forge_text.h"

namespace mi2::forge {
namespace {

ClientSettings client_settings(const ForgeSettings& settings, const RestShape& shape) {
  ClientSettings s;
  s.forge = shape.forge;
  s.base_url = settings.api_url;
  s.headers = shape.headers;
  if (!settings.token.empty())
    s.headers.emplace_back(shape.auth_header, shape.auth_prefix + settings.token);
  s.retry = settings.retry;
  bool has_token = !settings.token.empty();
  s.before_first_request = [has_token, sentence = shape.missing_token] {
    if (!has_token) throw sdk::failed(sentence);
  };
  return s;
}

Json labels_json(const std::vector<std::string>& labels, bool joined) {
  if (joined) return join(labels, ",");
  return labels;
}

}  // namespace

std::string open_state(const std::string& state) {
  if (state == "opened" || state == "locked" || state == "reopened") return "open";
  return state;
}

RestForge::RestForge(sdk::Host host, const ForgeSettings& settings, RestShape shape)
    : host_(host),
      client_(host,
              [&] {
                ClientSettings s = client_settings(settings, shape);
                s.explain = [this](int status, const std::string& endpoint,
                                   const std::string& message) {
                  return explain(status, endpoint, message);
                };
                return s;
              }()),
      settings_(settings),
      shape_(std::move(shape)) {}

std::string RestForge::explain(int status, const std::string& endpoint,
                               const std::string& message) const {
  const std::string said = message.empty() ? "" : " (" + message + ")";
  const std::string& forge = shape_.forge;
  const std::string& source = settings_.token_source;
  if (status == 401) {
    return forge + " rejected the token from " + source + " with 401 on " + endpoint + said + "; " +
           shape_.token_hint + ".";
  }
  if (status == 404) {
    return forge + " answered 404 for " + endpoint + said + ": " + shape_.subject + " '" +
           subject_of(endpoint) + "' or the item does not exist, or the token from " + source +
           " cannot see it; check mi2.yaml's plugins." + shape_.plugin + " and the token's access.";
  }
  if (status == 403) {
    return forge + " refused " + endpoint + " with 403" + said + ": the token from " + source +
           " lacks permission on '" + subject_of(endpoint) + "'.";
  }
  if (shape_.refused.count(status))
    return forge + " refused " + endpoint + " with " + std::to_string(status) + said + ".";
  return "";
}

Issue RestForge::issue_from(const Json& item) const {
  Issue issue;
  issue.number = item.value(shape_.number_key, int64_t{0});
  issue.title = text_of(item, "title");
  issue.url = text_of(item, shape_.url_key.c_str());
  issue.body = text_of(item, shape_.body_key.c_str());
  issue.state = open_state(text_of(item, "state"));
  return issue;
}

std::optional<Issue> RestForge::find_issue(const std::string& title,
                                           const std::vector<std::string>& labels) {
  std::string path = issue_search_path(title);
  if (!labels.empty()) path += "&labels=" + url_encode(sdk::join(labels, ","));
  std::optional<Issue> oldest;
  for (const Json& item : client_.get_all(path)) {
    if (item.contains("pull_request")) continue;    // GitHub's issues list holds PRs too
    if (text_of(item, "title") != title) continue;  // a search may match more
    Issue issue = issue_from(item);
    if (!oldest || issue.number < oldest->number) oldest = issue;
  }
  return oldest;
}

Issue RestForge::create_issue(const std::string& title, const std::string& body,
                              const std::vector<std::string>& labels) {
  Json request = {{"title", title}, {shape_.body_key, body}};
  if (!labels.empty()) request["labels"] = labels_json(labels, shape_.labels_joined);
  // Not retried on a 5xx: the issue may exist anyway (tracking-issue looks again).
  ApiResponse response = client_.call("POST", shape_.issues_path, request, {}, false);
  if (response.skipped_dry_run) return Issue{0, title, "", body, "open"};
  return issue_from(response.json());
}

void RestForge::update_issue_body(const Issue& issue, const std::string& body) {
  client_.call(shape_.update_method, shape_.issues_path + "/" + std::to_string(issue.number),
               {{shape_.body_key, body}});
}

std::string RestForge::latest_version() {
  if (shape_.release_source.empty()) throw sdk::failed(shape_.release_missing);
  if (settings_.latest_source != "main-tag") return strip_v_prefix(latest_release_tag());
  std::vector<std::string> names;
  for (const Json& tag : client_.get_all(shape_.tags_path, 20000))
    names.push_back(text_of(tag, "name"));
  std::string newest = newest_main_branch_tag(names);
  if (newest.empty())
    throw sdk::failed(shape_.forge + " " + shape_.subject + " " + shape_.release_source +
                      " has no main-branch tag (like 208045_2023-04-01_5.0-0c4a8d6bb3e2).");
  return newest;
}

}  // namespace mi2::forge
