// The vcs role for any Forge: the route table both forge plugins serve, and
// the actions it runs: each reads its step input (see docs/plugin-guide.md),
// calls the forge, and writes the same output shape for every forge.
#pragma once

#include <mi2/sdk/host.hpp>
#include <mi2/sdk/routes.hpp>
#include <mi2/sdk/step.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "forge_common/forge.h"

namespace mi2::forge {

// What a plugin's config may change in how the actions run (read with the
// rest of the config by load_forge_settings, forge_config.h).
struct VcsOptions {
  // mi2.yaml plugins.<name>.tracking_labels: the tracking issue's labels,
  // used to create and to find it, whatever labels the host asks for (so the
  // CLI and upgrade runs always agree). Unset: the host's labels (team/cloud).
  std::optional<std::vector<std::string>> tracking_labels;
};

// One vcs call, as a forge plugin's route hands it over.
struct VcsCall {
  const sdk::Host& host;
  Forge& forge;
  const char* plugin_name;  // "github": its state folder is state_dir/<plugin_name>
  const VcsOptions& options;
  const sdk::StepInput& in;
};
using VcsAction = Json (*)(const VcsCall&);

// The actions of the vcs role: each reads its params from the step input,
// calls the forge and returns the output shape every forge shares. Throws
// sdk::Error with one sentence.
namespace vcs {
Json publish(const VcsCall& call);
Json tracking_issue(const VcsCall& call);
Json tracking_issue_check(const VcsCall& call);
Json tracking_issue_sync(const VcsCall& call);
Json pr_list(const VcsCall& call);
Json pr_view(const VcsCall& call);
Json pr_approve(const VcsCall& call);
Json pr_merge(const VcsCall& call);
Json dispatch_workflow(const VcsCall& call);
Json workflow_run_status(const VcsCall& call);
Json workflow_command(const VcsCall& call);
Json run_link(const VcsCall& call);
Json latest_version(const VcsCall& call);
// Before the bump (read-only): the token works and can push to the repository.
Json preflight(const VcsCall& call);
}  // namespace vcs

// The route table of a forge plugin: every vcs action, in describe() order.
// `Plugin` has `template <VcsAction A> Json run(const sdk::StepInput&)`,
// which calls A with its host, forge, name and options.
template <class Plugin>
const std::vector<sdk::Route<Plugin>>& vcs_routes() {
  static const std::vector<sdk::Route<Plugin>> table = {
      {"vcs", "publish", &Plugin::template run<&vcs::publish>},
      {"vcs", "tracking-issue", &Plugin::template run<&vcs::tracking_issue>},
      {"vcs", "tracking-issue-check", &Plugin::template run<&vcs::tracking_issue_check>},
      {"vcs", "tracking-issue-sync", &Plugin::template run<&vcs::tracking_issue_sync>},
      {"vcs", "pr-list", &Plugin::template run<&vcs::pr_list>},
      {"vcs", "pr-view", &Plugin::template run<&vcs::pr_view>},
      {"vcs", "pr-approve", &Plugin::template run<&vcs::pr_approve>},
      {"vcs", "pr-merge", &Plugin::template run<&vcs::pr_merge>},
      {"vcs", "dispatch-workflow", &Plugin::template run<&vcs::dispatch_workflow>},
      {"vcs", "workflow-run-status", &Plugin::template run<&vcs::workflow_run_status>},
      {"vcs", "workflow-command", &Plugin::template run<&vcs::workflow_command>},
      {"vcs", "run-link", &Plugin::template run<&vcs::run_link>},
      {"vcs", "latest-version", &Plugin::template run<&vcs::latest_version>},
      {"vcs", "preflight", &Plugin::template run<&vcs::preflight>},
  };
  return table;
}

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
