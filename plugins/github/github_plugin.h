// The github plugin: the vcs role over GitHub's REST API. One class, as the
// SDK wants it; the work is in GitHubForge and forge_common.
#pragma once

#include <mi2/sdk/host.hpp>

#include <string>
#include <string_view>

#include "forge_common/forge_actions.h"
#include "github/github_forge.h"

namespace mi2::github {

class GitHubPlugin {
 public:
  static const char* describe();
  GitHubPlugin(sdk::Host host, const std::string& config_json);
  std::string invoke(std::string_view role, std::string_view action, const std::string& input_json);

 private:
  GitHubPlugin(sdk::Host host, GitHubConfig config);

  sdk::Host host_;
  forge::VcsOptions options_;
  GitHubForge forge_;
};

}  // namespace mi2::github
