// The plugin's one export.
#include <mi2/sdk/plugin.hpp>

#include "github/github_plugin.h"

MI2_PLUGIN(mi2::github::GitHubPlugin)
