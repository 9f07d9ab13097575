// What an upgrade publishes, composed by the host so every forge gets the same
// pull request and tracking issue: titles, bodies, labels, branch and paths.
#pragma once

#include <map>
#include <string>

#include <nlohmann/json.hpp>
#include "core/fleet/fleet.h"

#include "core/base/json.h"

namespace mi2 {

struct UpgradePrContext {
  const Fleet* fleet = nullptr;
  const InstanceRef* instance = nullptr;
  const Json* instance_json = nullptr;
  std::string target_version;
  std::string previous_version;
  std::string run_log;             // journal path
  std::string ci_run_link;         // the CI run's page (from vcs.run-link); replaces run_log
  std::string tracking_issue_url;  // empty when unknown
  std::string tracking_issue_error;
  Json health_outputs;  // the verify step's outputs: {plugin: {ok, checks: [...]}}
  // Every finished step's outputs, step -> {plugin: output}. A plugin output
  // with "pr_summary": {"title": "Terraform", "lines": ["app: 1 to add ..."]}
  // becomes a section of the PR body (one bullet per line).
  std::map<std::string, Json> step_outputs;
};

inline constexpr const char* kUpgradeLabel = "mi-upgrade";

// vcs.publish params: {branch, base, commit_message, title, body, labels, paths}.
Json pr_params(const UpgradePrContext& ctx);

// The health summary as a Markdown table (for PR bodies and `mi2 instance check`).
std::string health_summary_markdown(const Json& health_outputs);

// "Upgrade <env> to <V>".
std::string tracking_issue_title(const std::string& environment, const std::string& version);
// vcs.tracking-issue params: {version, environment, title, body, labels}; the
// body is a checklist of every instance of `environment` the version applies to
// (not already on it, release channel not insiders or pause).
Json tracking_issue_params(const Fleet& fleet, const std::string& environment,
                           const std::string& version);

// The run-log link of the PR body: the CI run's page when the vcs plugin
// named one (vcs.run-link: the forge reads its own CI's variables), else the
// journal's path.
std::string run_log_link(const UpgradePrContext& ctx);

}  // namespace mi2
