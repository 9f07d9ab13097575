// The github plugin: the vcs role over GitHub's REST API. The plugin class is
// forge_common's (config, forge, the vcs actions, describe()); GitHub's own
// calls are in GitHubForge, its describe() document in github_plugin.cpp.
#pragma once

#include <string>

#include "forge_common/forge_plugin.h"
#include "github/github_forge.h"

namespace mi2::github {

// describe()'s document: the github plugin's own config keys and the shared ones.
std::string github_describe();

using GitHubPlugin =
    forge::ForgePlugin<GitHubForge, GitHubConfig, &load_github_config, &github_describe>;

}  // namespace mi2::github
