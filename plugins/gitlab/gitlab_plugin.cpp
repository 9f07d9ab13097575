#include "gitlab/gitlab_plugin.h"

namespace mi2::gitlab {

sdk::About gitlab_about() {
  return forge::forge_about(
      gitlab_config_spec(),
      "GitLab forge: upgrade branches and merge requests, approve and merge (squash, merge when "
      "the pipeline succeeds), tracking issues, pipelines with variables and their states, the CI "
      "job link, a preflight proving the token can push (REST API v4 through the host's http "
      "service).",
      "project", R"json({
      "project": {"type": "string", "description": "path (group/name) or numeric id of the deployments project"},
      "tracking_project": {"type": "string", "description": "project for tracking issues; default: project"},
      "release_project": {"type": "string", "description": "project whose latest release latest-version reports"},
      "api_url": {"type": "string", "default": "https://gitlab.com/api/v4"},
      "dispatch_id_input": {"type": "string", "default": "MI2_DISPATCH_ID", "description": "the pipeline variable carrying each dispatch's id; '' for none"},
      "web_url": {"type": "string", "description": "default: api_url without /api/v4"}
    })json");
}

}  // namespace mi2::gitlab
