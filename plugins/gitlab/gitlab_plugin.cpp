#include "gitlab/gitlab_plugin.h"

#include "forge_common/forge_actions.h"

namespace mi2::gitlab {

sdk::About GitLabPlugin::about() {
  sdk::About about;
  about.name = "gitlab";
  about.version = "1.0.0";
  about.description =
      "GitLab forge: upgrade branches and merge requests, approve and merge (squash, merge when "
      "the pipeline succeeds), tracking issues, pipelines with variables and their states, the "
      "CI job link, a preflight proving the token can push (REST API v4 through the host's http "
      "service).";
  about.config_schema = Json::parse(R"json({
    "required": ["project"],
    "properties": {
      "project": {"type": "string", "description": "path (group/name) or numeric id of the deployments project"},
      "tracking_project": {"type": "string", "description": "project for tracking issues; default: project"},
      "release_project": {"type": "string", "description": "project whose latest release latest-version reports"},
      "api_url": {"type": "string", "default": "https://gitlab.com/api/v4"},
      "latest_source": {"type": "string", "default": "release", "description": "latest-version: the latest release, or main-tag: the newest main-branch build tag"},
      "tracking_labels": {"type": "array", "items": {"type": "string"}, "description": "labels of tracking issues (created and searched with them); default: the host's (team/cloud)"},
      "token": {"type": "string", "sensitive": true, "description": "default: $GITLAB_TOKEN"},
      "max_attempts": {"type": "integer", "default": 5},
      "backoff_base_ms": {"type": "integer", "default": 500},
      "max_retry_wait_ms": {"type": "integer", "default": 60000, "description": "longest rate-limit wait honoured; longer gives up"},
      "timeout_ms": {"type": "integer", "default": 30000},
      "dispatch_id_input": {"type": "string", "default": "MI2_DISPATCH_ID", "description": "the pipeline variable carrying each dispatch's id; '' for none"},
      "web_url": {"type": "string", "description": "default: api_url without /api/v4"}
    }
  })json");
  return about;
}

GitLabPlugin::GitLabPlugin(sdk::Host host, const std::string& config_json)
    : GitLabPlugin(host, load_gitlab_config(host, config_json)) {}

GitLabPlugin::GitLabPlugin(sdk::Host host, GitLabConfig config)
    : host_(host), options_{config.tracking_labels}, forge_(host, std::move(config)) {}

}  // namespace mi2::gitlab
