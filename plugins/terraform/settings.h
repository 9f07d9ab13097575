// The terraform plugin's configuration (mi2.yaml `plugins: terraform: {...}`),
// read and described in one place, and checked before any path is used.
#pragma once

#include <mi2/sdk/config.hpp>

#include <map>
#include <string>
#include <vector>

namespace mi2::terraform {

using Json = mi2::sdk::Json;

struct Settings {
  std::string stacks_dir = "terraform/stacks";  // relative to the instance folder
  std::vector<std::string> stacks;              // the order to apply; empty: every stack, by name
  std::string terraform_binary = "terraform";
  bool apply = true;  // false: plan only (the workspace applies on merge)
  bool allow_destroy = false;
  long long lock_timeout_s = 300;
  long long stop_grace_s = 20;              // SIGINT first, SIGKILL this much later
  std::vector<std::string> render_command;  // argv; empty: edit version_key in version_file
  std::map<std::string, std::string> env;   // NAME -> value, placeholders allowed
  std::string version_file = "cdk.tf.json";
  std::string version_key = "locals.sourcegraph_version";
  std::string local_state = "state_dir";  // state_dir | stack

  void read(sdk::ConfigReader& cfg);
  // Throws invalid_input naming the option when a name or path is unsafe.
  void validate(const sdk::ConfigReader& cfg) const;
  static Settings parse(const std::string& config_json);
  static Json schema();
};

// A stack folder name: letters, digits, '_', '-', '.', not starting with '.'.
bool is_stack_name(const std::string& name);
// A relative path inside the instance folder: no "..", not absolute, no NUL.
bool is_inner_path(const std::string& path);

}  // namespace mi2::terraform
