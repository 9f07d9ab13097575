#include "plugins/terraform/settings.h"

#include <filesystem>
#include <regex>

namespace mi2::terraform {

void Settings::read(sdk::ConfigReader& cfg) {
  stacks_dir = cfg.string(
      "stacks_dir", stacks_dir,
      "the folder of stack folders, relative to the instance folder (default terraform/stacks)");
  stacks = cfg.strings("stacks", stacks,
                       "stack folder names in the order to plan and apply them (default: every "
                       "folder under stacks_dir holding *.tf or *.tf.json, by name)");
  terraform_binary =
      cfg.string("terraform_binary", terraform_binary,
                 "the terraform program, a name on PATH or an absolute path (default terraform)");
  apply =
      cfg.boolean("apply", apply,
                  "false: plan only and report, for workspaces that apply on merge (default true)");
  allow_destroy = cfg.boolean("allow_destroy", allow_destroy,
                              "allow plans that delete or replace a resource (default false; "
                              "replacing a tainted one is always allowed)");
  lock_timeout_s = cfg.integer("lock_timeout_s", lock_timeout_s,
                               "terraform -lock-timeout in seconds: how long to wait for a "
                               "state lock held by someone else (default 300)",
                               0);
  stop_grace_s = cfg.integer("stop_grace_s", stop_grace_s,
                             "on cancel or timeout terraform gets SIGINT (to release its lock) "
                             "and SIGKILL this many seconds later (default 20)",
                             1);
  render_command = cfg.strings("render_command", render_command,
                               "argv run in the instance folder to render the stacks (e.g. "
                               "[cdktf, synth]); placeholders allowed; empty: set version_key");
  env = cfg.string_map("env",
                       "extra environment for terraform, NAME: value (placeholders allowed; "
                       "no secrets here: pass TF_TOKEN_* in the environment)");
  version_file =
      cfg.string("version_file", version_file,
                 "the JSON file in each stack folder that pins the version (default cdk.tf.json)");
  version_key = cfg.string(
      "version_key", version_key,
      "the dotted key in version_file that holds the version (default locals.sourcegraph_version)");
  local_state = cfg.string("local_state", local_state,
                           "state_dir: the state of local-backend stacks lives under "
                           "<state_dir>/terraform/<stack>/ (default); stack: where the stack says");
}

void Settings::validate(const sdk::ConfigReader& cfg) const {
  if (!is_inner_path(stacks_dir))
    throw cfg.bad("stacks_dir", "a relative path inside the instance folder", stacks_dir);
  for (const std::string& name : stacks)
    if (!is_stack_name(name)) throw cfg.bad("stacks", "a list of stack folder names", name);
  if (terraform_binary.empty() || terraform_binary.front() == '-')
    throw cfg.bad("terraform_binary", "a program name or path", terraform_binary);
  if (version_file.empty() || version_file.find('/') != std::string::npos ||
      version_file.front() == '.')
    throw cfg.bad("version_file", "a file name inside the stack folder", version_file);
  if (version_key.empty() || version_key.front() == '.' || version_key.back() == '.' ||
      version_key.find("..") != std::string::npos)
    throw cfg.bad("version_key", "a dotted key such as locals.sourcegraph_version", version_key);
  if (local_state != "state_dir" && local_state != "stack")
    throw cfg.bad("local_state", "state_dir or stack", local_state);
  static const std::regex env_name("[A-Za-z_][A-Za-z0-9_]*");
  for (const auto& [name, value] : env) {
    if (!std::regex_match(name, env_name))
      throw cfg.bad("env", "a mapping of environment variable names", name);
    if (name == "TF_DATA_DIR")
      throw cfg.bad("env." + name, "left out (the plugin keeps TF_DATA_DIR under state_dir)",
                    value);
  }
}

Settings Settings::parse(const std::string& config_json) {
  sdk::ConfigReader cfg("terraform", config_json);
  Settings settings;
  settings.read(cfg);
  cfg.finish();
  settings.validate(cfg);
  return settings;
}

Json Settings::schema() {
  sdk::ConfigReader cfg("terraform", "{}");
  Settings settings;
  settings.read(cfg);
  return cfg.schema();
}

bool is_stack_name(const std::string& name) {
  static const std::regex pattern("[A-Za-z0-9_-][A-Za-z0-9_.-]*");
  return name.size() <= 128 && std::regex_match(name, pattern);
}

bool is_inner_path(const std::string& path) {
  if (path.empty() || path.find('\0') != std::string::npos) return false;
  std::filesystem::path p(path);
  if (p.is_absolute()) return false;
  for (const auto& part : p)
    if (part == "..") return false;
  return true;
}

}  // namespace mi2::terraform
