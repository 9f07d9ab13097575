#include "github/github_plugin.h"

#include "forge_common/forge_actions.h"

namespace mi2::github {

sdk::About GitHubPlugin::about() {
  sdk::About about;
  about.name = "github";
  about.version = "1.0.0";
  about.description =
      "GitHub forge: upgrade branches and PRs, review and merge, tracking issues, workflow "
      "dispatch and run states, the CI run link, a preflight proving the token can push (REST "
      "API through the host's http service).";
  about.config_schema = Json::parse(R"json({
    "required": ["repository"],
    "properties": {
      "repository": {"type": "string", "description": "owner/name of the deployments repository (branches, PRs, workflows)"},
      "tracking_repository": {"type": "string", "description": "owner/name for tracking issues; default: repository"},
      "release_repository": {"type": "string", "description": "owner/name whose latest release latest-version reports"},
      "latest_source": {"type": "string", "default": "release", "description": "latest-version: the latest release, or main-tag: the newest main-branch build tag"},
      "api_url": {"type": "string", "default": "https://api.github.com", "description": "REST root; GitHub Enterprise: https://HOST/api/v3"},
      "graphql_url": {"type": "string", "description": "default: derived from api_url"},
      "tracking_labels": {"type": "array", "items": {"type": "string"}, "description": "labels of tracking issues (created and searched with them); default: the host's (team/cloud)"},
      "token": {"type": "string", "sensitive": true, "description": "default: $GITHUB_TOKEN, else $GH_TOKEN"},
      "max_attempts": {"type": "integer", "default": 5},
      "backoff_base_ms": {"type": "integer", "default": 500},
      "max_retry_wait_ms": {"type": "integer", "default": 60000, "description": "longest rate-limit wait honoured; longer gives up"},
      "timeout_ms": {"type": "integer", "default": 30000},
      "run_lookup_attempts": {"type": "integer", "default": 5, "description": "dispatch-workflow: looks for the run by its dispatch id this many times (when GitHub does not name it)"},
      "run_lookup_wait_ms": {"type": "integer", "default": 2000},
      "dispatch_id_input": {"type": "string", "default": "mi2_dispatch_id", "description": "the workflow input carrying each dispatch's id, echoed by the workflow's run-name; '' for none (runs are then found only when GitHub names them)"},
      "return_run_details": {"type": "boolean", "default": true, "description": "ask the dispatch API for the run's id (GitHub since 2026-02)"},
      "web_url": {"type": "string", "description": "default: derived from api_url"}
    }
  })json");
  return about;
}

GitHubPlugin::GitHubPlugin(sdk::Host host, const std::string& config_json)
    : GitHubPlugin(host, load_github_config(host, config_json)) {}

GitHubPlugin::GitHubPlugin(sdk::Host host, GitHubConfig config)
    : host_(host), options_{config.tracking_labels}, forge_(host, std::move(config)) {}

}  // namespace mi2::github
