// What the GitHub and GitLab forges do alike over their REST APIs, written
// once: the client built from the shared settings (auth header, retries, the
// missing-token sentence), the sentences for 401/403/404 and refused
// requests, the tracking issue's calls (find by title, create, update: the
// two APIs differ there only in names, which RestShape holds) and
// latest-version's choice between the latest release and the newest
// main-branch tag. A forge derives from RestForge and implements the rest of
// Forge, where the REST shapes really differ.
#pragma once

#include <mi2/sdk/host.hpp>

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "forge_common/forge.h"
#include "forge_common/forge_config.h"
#include "forge_common/rest_client.h"

namespace mi2::forge {

// The names one forge's API gives to the same things.
struct RestShape {
  std::string forge;          // "GitHub": starts every sentence
  std::string plugin;         // "github": mi2.yaml's plugins.<plugin>
  std::string subject;        // "repository" or "project", as errors call it
  sdk::Headers headers;       // Accept, API version, User-Agent
  std::string auth_header;    // "Authorization" or "PRIVATE-TOKEN"
  std::string auth_prefix;    // "Bearer " or ""
  std::string missing_token;  // the sentence when no token is set
  std::string token_hint;     // "set GITHUB_TOKEN (or GH_TOKEN) to a valid token"
  std::set<int> refused;      // 4xx statuses explained as "<forge> refused E with S"
  // Issues: the tracking repository's or project's issues collection.
  std::string issues_path;     // "/repos/acme/customer/issues"
  std::string number_key;      // "number" or "iid"
  std::string body_key;        // "body" or "description"
  std::string url_key;         // "html_url" or "web_url"
  std::string update_method;   // "PATCH" or "PUT"
  bool labels_joined = false;  // labels as "a,b" (GitLab) instead of a list
  // latest-version
  std::string release_source;   // the repository or project releases come from; "" none
  std::string release_missing;  // the sentence when release_source is not set
  std::string tags_path;        // its tags, all pages
};

// "opened", "reopened", "locked" -> "open"; other states as they are.
std::string open_state(const std::string& state);

class RestForge : public Forge {
 public:
  RestForge(sdk::Host host, const ForgeSettings& settings, RestShape shape);
  RestForge(const RestForge&) = delete;  // the client's callbacks point at this object
  RestForge& operator=(const RestForge&) = delete;

  std::optional<Issue> find_issue(const std::string& title,
                                  const std::vector<std::string>& labels) override;
  Issue create_issue(const std::string& title, const std::string& body,
                     const std::vector<std::string>& labels) override;
  void update_issue_body(const Issue& issue, const std::string& body) override;
  std::string latest_version() override;

  // "github": the plugin's name in mi2.yaml.
  const std::string& plugin_name() const { return shape_.plugin; }

 protected:
  // The issues list that holds the issue titled `title` (more may match).
  virtual std::string issue_search_path(const std::string& title) const = 0;
  // The tag of the latest release of shape().release_source.
  virtual std::string latest_release_tag() = 0;
  // Which repository or project `endpoint` is about, for error sentences.
  virtual std::string subject_of(const std::string& endpoint) const = 0;

  const RestShape& shape() const { return shape_; }
  Issue issue_from(const Json& item) const;

  sdk::Host host_;
  RestClient client_;

 private:
  std::string explain(int status, const std::string& endpoint, const std::string& message) const;

  ForgeSettings settings_;
  RestShape shape_;
};

}  // namespace mi2::forge
