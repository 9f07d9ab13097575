// The cloudsql plugin's configuration (mi2.yaml `plugins: cloudsql: {...}`) and
// the Cloud SQL instance and GCP project one step acts on, both validated.
#pragma once

#include <mi2/sdk/config.hpp>
#include <mi2/sdk/step.hpp>

#include <string>

namespace mi2::cloudsql {

using Json = nlohmann::json;

// What mi2.yaml may set. `instance` and `project` may use the placeholders of
// sdk::placeholders ({instance_id} {slug} {environment} {project} ...).
struct Settings {
  std::string project;   // "": status.gcp.projectId of config.yaml
  std::string instance;  // "": status.gcp.cloudSQL[0].name of config.yaml
  std::string gcloud_binary = "gcloud";
  long long wait_timeout_s = 1800;    // how long one backup or restore may run
  double poll_interval_s = 5;         // pause between two looks at a running operation
  long long command_timeout_s = 300;  // any other gcloud call
  long long busy_retries = 6;         // extra attempts after HTTP 409 operationInProgress
  double busy_backoff_s = 10;         // first pause after a 409, doubled each time ...
  double busy_backoff_max_s = 120;    // ... up to this

  void read(sdk::ConfigReader& config);
  // Throws sdk::Error(MI2_INVALID_INPUT) naming the key (ConfigReader sentences).
  static Settings parse(const std::string& config_json);
  static Json schema();
};

// The Cloud SQL instance of one step.
struct Target {
  std::string instance;     // Cloud SQL instance id
  std::string project;      // GCP project id
  std::string instance_id;  // the mi2 instance (config.yaml metadata.name)
  bool dry_run = false;
};

// Expands and validates instance and project; throws invalid_input with a
// sentence naming the mi2 instance and the mi2.yaml key to set.
Target resolve_target(const Settings& settings, const sdk::StepInput& input);

// Cloud SQL instance ids: lower-case letters, digits and '-', starting with a
// letter, at most 98 characters.
bool is_instance_name(const std::string& name);
// GCP project ids: 6 to 30 of [a-z0-9-], starting with a letter, not ending with '-'.
bool is_project_id(const std::string& id);

}  // namespace mi2::cloudsql
