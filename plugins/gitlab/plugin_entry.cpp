// The plugin's one export.
#include <mi2/sdk/plugin.hpp>

#include "gitlab/gitlab_plugin.h"

MI2_PLUGIN(mi2::gitlab::GitLabPlugin)
