// The gitlab plugin: the vcs role over GitLab's REST API v4. One class, as
// the SDK wants it; the work is in GitLabForge and forge_common.
#pragma once

#include <mi2/sdk/host.hpp>

#include <string>
#include <string_view>

#include "forge_common/forge_actions.h"
#include "gitlab/gitlab_forge.h"

namespace mi2::gitlab {

class GitLabPlugin {
 public:
  static const char* describe();
  GitLabPlugin(sdk::Host host, const std::string& config_json);
  std::string invoke(std::string_view role, std::string_view action, const std::string& input_json);

 private:
  GitLabPlugin(sdk::Host host, GitLabConfig config);

  sdk::Host host_;
  forge::VcsOptions options_;
  GitLabForge forge_;
};

}  // namespace mi2::gitlab
