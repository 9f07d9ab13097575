// The terraform stacks of one instance: which folders, in which order, which
// backend each declares, and where the plugin keeps each one's files.
#pragma once

#include <string>
#include <vector>

#include "plugins/terraform/settings.h"

namespace mi2::terraform {

struct Stack {
  std::string name;      // the folder name, e.g. "app"
  std::string dir;       // absolute stack folder
  std::string relative;  // relative to the instance folder, e.g. "terraform/stacks/app"
  // The backend the configuration declares: "local", "cloud", "remote", "s3",
  // ...; "" when none is declared (terraform's implied local backend).
  std::string backend;
  std::string state_dir;  // <state_dir>/terraform/<name>: TF_DATA_DIR, plans, local state

  bool local_backend() const { return backend.empty() || backend == "local"; }
  std::string data_dir() const { return state_dir + "/.terraform-data"; }
  std::string state_file() const { return state_dir + "/terraform.tfstate"; }
};

// The stacks under `instance_dir`/stacks_dir: the configured list in its order,
// else every folder holding *.tf or *.tf.json, sorted by name. Empty when the
// instance has no stacks folder (and no list is configured). Throws
// sdk::Error naming the instance and the stack when a listed one is missing.
std::vector<Stack> find_stacks(const Settings& settings, const std::string& instance_dir,
                               const std::string& state_dir, const std::string& instance_id);

// The backend type a stack folder's configuration declares ("" when none).
std::string declared_backend(const std::string& stack_dir);

}  // namespace mi2::terraform
