#include "core/fleet/workflow_template.h"

#include <algorithm>
#include <nlohmann/json.hpp>

namespace mi2 {

namespace {

WorkflowTemplate builtin_upgrade_instance() {
  return WorkflowTemplate{"upgrade-instance",
                          "mi_upgrade.yml",
                          "",
                          {{"customer", "{{slug}}"},
                           {"environment", "{{environment}}"},
                           {"target_src_version", "{{target_version}}"}}};
}

std::string where(const std::string& name, const std::string& key = "") {
  return "mi2.yaml: workflows." + name + (key.empty() ? "" : "." + key);
}

Result<std::string> field_text(const Json& instance, std::string_view path) {
  const Json* node = &instance;
  size_t pos = 1;  // after the leading '.'
  while (pos <= path.size()) {
    size_t dot = path.find('.', pos);
    std::string key(
        path.substr(pos, dot == std::string_view::npos ? std::string_view::npos : dot - pos));
    if (key.empty() || !node->is_object() || !node->contains(key)) return make_error("");
    node = &(*node)[key];
    if (dot == std::string_view::npos) break;
    pos = dot + 1;
  }
  if (node->is_string()) return node->get<std::string>();
  if (node->is_number() || node->is_boolean()) return node->dump();
  return make_error("");
}

}  // namespace

std::vector<std::string> workflow_template_names(const FleetConfig& config) {
  std::vector<std::string> names = {"upgrade-instance"};
  if (config.raw.is_object() && config.raw.contains("workflows") &&
      config.raw["workflows"].is_object()) {
    for (const auto& [name, value] : config.raw["workflows"].items()) {
      (void)value;
      if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
    }
  }
  std::sort(names.begin(), names.end());
  return names;
}

Result<WorkflowTemplate> find_workflow_template(const FleetConfig& config,
                                                const std::string& name) {
  const Json* defined = nullptr;
  if (config.raw.is_object() && config.raw.contains("workflows")) {
    const Json& workflows = config.raw["workflows"];
    if (!workflows.is_object())
      return make_error("mi2.yaml: workflows: expected a mapping of name to workflow template.");
    if (workflows.contains(name)) defined = &workflows[name];
  }
  if (!defined) {
    if (name == "upgrade-instance") return builtin_upgrade_instance();
    std::string known;
    for (const auto& n : workflow_template_names(config)) known += (known.empty() ? "" : ", ") + n;
    return make_error("no workflow named '" + name + "'; the workflows are " + known +
                      " (add more under 'workflows:' in mi2.yaml).");
  }
  if (!defined->is_object())
    return make_error(where(name) + ": expected a mapping with workflow and inputs.");
  WorkflowTemplate out;
  out.name = name;
  for (const auto& [key, value] : defined->items()) {
    if (key != "workflow" && key != "ref" && key != "inputs")
      return make_error(where(name, key) + ": unknown field (expected workflow, ref, inputs).");
    if (key != "inputs" && !value.is_string())
      return make_error(where(name, key) + ": expected a string.");
  }
  out.workflow = defined->value("workflow", "");
  if (out.workflow.empty())
    return make_error(where(name, "workflow") +
                      ": name the CI workflow file, e.g. mi_upgrade.yml.");
  out.ref = defined->value("ref", "");
  if (defined->contains("inputs")) {
    const Json& inputs = (*defined)["inputs"];
    if (!inputs.is_object() && !inputs.is_null())
      return make_error(where(name, "inputs") + ": expected a mapping of input name to value.");
    if (inputs.is_object()) {
      for (const auto& [key, value] : inputs.items()) {
        if (value.is_string())
          out.inputs.emplace_back(key, value.get<std::string>());
        else if (value.is_number() || value.is_boolean())
          out.inputs.emplace_back(key, value.dump());
        else
          return make_error(where(name, "inputs." + key) + ": expected a single value.");
      }
    }
  }
  return out;
}

Result<RenderedWorkflow> render_workflow(const WorkflowTemplate& workflow,
                                         const WorkflowVariables& vars) {
  RenderedWorkflow out;
  out.argv = {"gh", "workflow", "run", workflow.workflow};
  if (!workflow.ref.empty()) {
    out.argv.push_back("--ref");
    out.argv.push_back(workflow.ref);
  }
  for (const auto& [name, text] : workflow.inputs) {
    std::string value;
    size_t pos = 0;
    while (pos < text.size()) {
      size_t open = text.find("{{", pos);
      if (open == std::string::npos) {
        value += text.substr(pos);
        break;
      }
      size_t close = text.find("}}", open + 2);
      if (close == std::string::npos) {
        return make_error("workflow " + workflow.name + ": input " + name +
                          " has '{{' without '}}'.");
      }
      value += text.substr(pos, open - pos);
      std::string key = text.substr(open + 2, close - open - 2);
      key.erase(0, key.find_first_not_of(' '));
      key.erase(key.find_last_not_of(' ') + 1);
      if (key == "slug") {
        value += vars.slug;
      } else if (key == "environment") {
        value += vars.environment;
      } else if (key == "instance") {
        value += vars.instance_id;
      } else if (key == "target_version") {
        if (!vars.target_version) {
          return make_error("workflow " + workflow.name +
                            " needs a target version: pass -target-version V or set "
                            "TARGET_VERSION.");
        }
        value += *vars.target_version;
      } else if (!key.empty() && key[0] == '.' && vars.instance) {
        auto field = field_text(*vars.instance, key);
        if (!field) {
          return make_error("workflow " + workflow.name + ": input " + name + " uses " + key +
                            ", which instance " + vars.instance_id +
                            " lacks (or is not a single value).");
        }
        value += *field;
      } else {
        return make_error("workflow " + workflow.name + ": input " + name +
                          " uses unknown placeholder {{" + key +
                          "}} (known: slug, environment, instance, target_version, .field.path).");
      }
      pos = close + 2;
    }
    out.inputs.emplace_back(name, value);
    out.argv.push_back("-f");
    out.argv.push_back(name + "=" + value);
  }
  for (const auto& word : out.argv) {
    if (!out.command.empty()) out.command += ' ';
    out.command += shell_quote(word);
  }
  return out;
}

bool needs_target_version(const WorkflowTemplate& workflow) {
  for (const auto& [name, text] : workflow.inputs) {
    for (size_t open = text.find("{{"); open != std::string::npos;
         open = text.find("{{", open + 2)) {
      size_t close = text.find("}}", open);
      if (close == std::string::npos) break;
      std::string key = text.substr(open + 2, close - open - 2);
      key.erase(0, key.find_first_not_of(' '));
      key.erase(key.find_last_not_of(' ') + 1);
      if (key == "target_version") return true;
    }
  }
  return false;
}

bool valid_version_text(std::string_view text) {
  if (text.empty() || text.size() > 128 || text[0] == '-') return false;
  return std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-' || c == '+';
  });
}

}  // namespace mi2
