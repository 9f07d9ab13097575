// The github plugin: the vcs role over GitHub's REST API. The plugin class is
// forge_common's (config, forge, the vcs actions, describe()); GitHub's own
// calls are in GitHubForge, describe()'s fields in github_plugin.cpp.
#pragma once

#include <string>

#include "forge_common/forge_plugin.h"
#include "github/github_forge.h"

namespace mi2::github {

// describe()'s fields besides the roles: the github plugin's own config keys and the shared ones.
sdk::About github_about();

using GitHubPlugin =
    forge::ForgePlugin<GitHubForge, GitHubConfig, &load_github_config, &github_about>;

}  // namespace mi2::github
