#include "github/github_plugin.h"

namespace mi2::github {

sdk::About github_about() {
  return forge::forge_about(
      github_config_spec(),
      "GitHub forge: upgrade branches and PRs, review and merge, tracking issues, workflow "
      "dispatch and run states, the CI run link, a preflight proving the token can push (REST "
      "API through the host's http service).",
      "repository", R"json({
      "repository": {"type": "string", "description": "owner/name of the deployments repository (branches, PRs, workflows)"},
      "tracking_repository": {"type": "string", "description": "owner/name for tracking issues; default: repository"},
      "release_repository": {"type": "string", "description": "owner/name whose latest release latest-version reports"},
      "api_url": {"type": "string", "default": "https://api.github.com", "description": "REST root; GitHub Enterprise: https://HOST/api/v3"},
      "graphql_url": {"type": "string", "description": "default: derived from api_url"},
      "run_lookup_attempts": {"type": "integer", "default": 5, "description": "dispatch-workflow: looks for the run by its dispatch id this many times (when GitHub does not name it)"},
      "run_lookup_wait_ms": {"type": "integer", "default": 2000},
      "dispatch_id_input": {"type": "string", "default": "mi2_dispatch_id", "description": "the workflow input carrying each dispatch's id, echoed by the workflow's run-name; '' for none (runs are then found only when GitHub names them)"},
      "return_run_details": {"type": "boolean", "default": true, "description": "ask the dispatch API for the run's id (GitHub since 2026-02)"},
      "web_url": {"type": "string", "description": "default: derived from api_url"}
    })json");
}

}  // namespace mi2::github
