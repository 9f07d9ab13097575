// The gitlab plugin: the vcs role over GitLab's REST API v4. The plugin class is
// forge_common's (config, forge, the vcs actions, describe()); GitLab's own
// calls are in GitLabForge, describe()'s fields in gitlab_plugin.cpp.
#pragma once

#include <string>

#include "forge_common/forge_plugin.h"
#include "gitlab/gitlab_forge.h"

namespace mi2::gitlab {

// describe()'s fields besides the roles: the gitlab plugin's own config keys and the shared ones.
sdk::About gitlab_about();

using GitLabPlugin =
    forge::ForgePlugin<GitLabForge, GitLabConfig, &load_gitlab_config, &gitlab_about>;

}  // namespace mi2::gitlab
