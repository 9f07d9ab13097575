// The gitlab plugin: the vcs role over GitLab's REST API v4, as the SDK's route
// table (forge_common's vcs routes); the work is in GitLabForge and forge_common.
#pragma once

#include <mi2/sdk/routes.hpp>

#include <string>
#include <vector>

#include "forge_common/forge_actions.h"
#include "gitlab/gitlab_forge.h"

namespace mi2::gitlab {

class GitLabPlugin : public sdk::RoutedPlugin<GitLabPlugin> {
 public:
  static sdk::About about();
  static const std::vector<Route>& routes() { return forge::vcs_routes<GitLabPlugin>(); }

  GitLabPlugin(sdk::Host host, const std::string& config_json);

  // One route: the vcs action with this plugin's forge.
  template <forge::VcsAction Action>
  Json run(const sdk::StepInput& in) {
    return Action({host_, forge_, "gitlab", options_, in});
  }

 private:
  GitLabPlugin(sdk::Host host, GitLabConfig config);

  sdk::Host host_;
  forge::VcsOptions options_;
  GitLabForge forge_;
};

}  // namespace mi2::gitlab
