// The vcs role for any Forge: reads the step input of each action (see
// docs/plugin-guide.md), calls the forge, and writes the same output shape
// for every forge.
#pragma once

#include <mi2/sdk/host.hpp>
#include <mi2/sdk/step.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "forge_common/forge.h"

namespace mi2::forge {

// The actions the vcs role serves, as a JSON array for describe().
inline constexpr const char* kVcsActionsJson =
    R"(["publish","tracking-issue","tracking-issue-check","tracking-issue-sync","pr-list",)"
    R"("pr-view","pr-approve",)"
    R"("pr-merge","dispatch-workflow","workflow-run-status","workflow-command","run-link",)"
    R"("latest-version"])";

// What a plugin's config may change in how the actions run (read with the
// rest of the config by load_forge_settings, forge_config.h).
struct VcsOptions {
  // mi2.yaml plugins.<name>.tracking_labels: the tracking issue's labels,
  // used to create and to find it, whatever labels the host asks for (so the
  // CLI and upgrade runs always agree). Unset: the host's labels (team/cloud).
  std::optional<std::vector<std::string>> tracking_labels;
};

// Runs `action` of role "vcs" with `input_json`; returns the output JSON.
// Throws sdk::Error (not_supported for another role or an unknown action).
std::string invoke_vcs(const sdk::Host& host, Forge& forge, const std::string& plugin_name,
                       const VcsOptions& options, std::string_view role, std::string_view action,
                       const std::string& input_json);

// The JSON of a PR as every vcs output shows it (`with_body` for pr-view).
Json pr_json(const PullRequest& pr, bool with_body);

// Rethrows a failed dispatch POST as sdk::Failure saying whether a run may
// have started ({"dispatched": false|"unknown", "url": page}): `last_status`
// is RestClient::last_status() after the call, `page` where runs are listed.
[[noreturn]] void throw_dispatch_failure(const sdk::Error& error, int last_status,
                                         const std::string& page, const std::string& hint = "");

// The JSON of a run as dispatch-workflow and workflow-run-status show it:
// {found, run_id (null when unknown), url, state, detail}.
Json run_json(const RunInfo& run);

}  // namespace mi2::forge
