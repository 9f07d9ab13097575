// Named workflow templates for `mi2 env workflow run`: which CI workflow to
// dispatch for an instance, with which inputs. `upgrade-instance` is built in;
// mi2.yaml may add more (or override it):
//
//   workflows:
//     reload-frontend:
//       workflow: mi_reload_frontend.yml   # the CI workflow file (or id)
//       ref: main                          # optional: the branch to run on
//       inputs:
//         customer: "{{slug}}"
//         environment: "{{environment}}"
//         channel: "{{.spec.releaseChannel}}"
//
// Placeholders: {{slug}}, {{environment}}, {{instance}} (the id),
// {{target_version}} (from -target-version or $TARGET_VERSION), and
// {{.a.b}} for a string, number or boolean field of the instance.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/base/json.h"
#include "core/base/result.h"
#include "core/base/text.h"
#include "core/fleet/fleet_config.h"

namespace mi2 {

struct WorkflowTemplate {
  std::string name;                                         // "upgrade-instance"
  std::string workflow;                                     // "mi_upgrade.yml"
  std::string ref;                                          // empty: the forge plugin's default
  std::vector<std::pair<std::string, std::string>> inputs;  // name -> template, in order
};

// The template `name`: mi2.yaml's `workflows:` first, then the built-ins. The
// error names mi2.yaml and the key, or lists the known names.
Result<WorkflowTemplate> find_workflow_template(const FleetConfig& config, const std::string& name);
// Every template name (built-in and mi2.yaml), sorted.
std::vector<std::string> workflow_template_names(const FleetConfig& config);

struct WorkflowVariables {
  std::string environment;
  std::string instance_id;
  std::string slug;
  std::optional<std::string> target_version;
  const Json* instance = nullptr;  // config.yaml as JSON
};

struct RenderedWorkflow {
  std::vector<std::pair<std::string, std::string>> inputs;
  std::vector<std::string> argv;  // gh workflow run <workflow> -f k=v ...
  std::string command;            // argv, shell-quoted, one line
};

// Fills the placeholders. Errors name the template, the input and the
// instance (a missing target version, an unknown placeholder, a field the
// instance lacks).
Result<RenderedWorkflow> render_workflow(const WorkflowTemplate& workflow,
                                         const WorkflowVariables& variables);

// True when an input uses {{target_version}}.
bool needs_target_version(const WorkflowTemplate& workflow);

// Versions, tags and refs mi2 accepts: letters, digits, . _ - + (no leading -).
bool valid_version_text(std::string_view text);

}  // namespace mi2
