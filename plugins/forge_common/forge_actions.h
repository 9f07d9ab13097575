// The vcs role for any Forge: reads the step input of each action (see
// docs/plugin-guide.md), calls the forge, and writes the same output shape
// for every forge.
#pragma once

#include <mi2/sdk/host.hpp>

#include <string>
#include <string_view>

#include "forge_common/forge.h"

namespace mi2::forge {

// The actions the vcs role serves, as a JSON array for describe().
inline constexpr const char* kVcsActionsJson =
    R"(["publish","tracking-issue","tracking-issue-check","pr-list","pr-view","pr-approve",)"
    R"("pr-merge","dispatch-workflow","latest-version"])";

// Runs `action` of role "vcs" with `input_json`; returns the output JSON.
// Throws sdk::Error (not_supported for another role or an unknown action).
std::string invoke_vcs(const sdk::Host& host, Forge& forge, const std::string& plugin_name,
                       std::string_view role, std::string_view action,
                       const std::string& input_json);

// The JSON of a PR as every vcs output shows it (`with_body` for pr-view).
Json pr_json(const PullRequest& pr, bool with_body);

}  // namespace mi2::forge
