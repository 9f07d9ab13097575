// The github plugin: the vcs role over GitHub's REST API, as the SDK's route
// table (forge_common's vcs routes); the work is in GitHubForge and forge_common.
#pragma once

#include <mi2/sdk/routes.hpp>

#include <string>
#include <vector>

#include "forge_common/forge_actions.h"
#include "github/github_forge.h"

namespace mi2::github {

class GitHubPlugin : public sdk::RoutedPlugin<GitHubPlugin> {
 public:
  static sdk::About about();
  static const std::vector<Route>& routes() { return forge::vcs_routes<GitHubPlugin>(); }

  GitHubPlugin(sdk::Host host, const std::string& config_json);

  // One route: the vcs action with this plugin's forge.
  template <forge::VcsAction Action>
  Json run(const sdk::StepInput& in) {
    return Action({host_, forge_, "github", options_, in});
  }

 private:
  GitHubPlugin(sdk::Host host, GitHubConfig config);

  sdk::Host host_;
  forge::VcsOptions options_;
  GitHubForge forge_;
};

}  // namespace mi2::github
