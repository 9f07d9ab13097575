// The kubectl plugin's configuration (mi2.yaml `plugins: kubectl: {...}`) and
// the per-instance target it resolves to (context, namespace, GKE cluster).
#pragma once

#include <mi2/sdk/config.hpp>
#include <mi2/sdk/step.hpp>
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace mi2::kubectl {

using Json = nlohmann::json;

// What mi2.yaml may set. Every string may use the SDK's placeholders
// (sdk::placeholders: {instance_id} {slug} {environment} {domain} {project}
// {version} {target_version} {previous_version} {run_id} {fleet_root}
// {instance_dir} {state_dir}) and the plugin's own {location} and {cluster}.
struct Settings {
  std::string context;         // empty: gke_<project>_<location>_<cluster> from config.yaml status
  std::string namespace_name;  // empty: status.kubernetes.namespace, the kustomization's, "default"
  std::string project, location,
      cluster;  // empty: from config.yaml status.gcp / spec.infrastructure.gcp
  std::string registry = "index.docker.io/sourcegraph";
  // The registry's HTTP API, asked by preflight whether <registry>/migrator:<version>
  // exists. Empty: https://<registry host> (registry-1.docker.io for Docker Hub);
  // "off": not asked.
  std::string registry_api;
  std::vector<std::string> images;  // empty: every `images:` entry under `registry`
  std::string kubernetes_dir = "kubernetes";
  std::string enable_helm = "auto";  // auto (when the kustomization has helmCharts) | true | false
  int rollout_timeout_s = 600;
  int grace_period_s = 300;
  int restart_window_s = 900;
  int migrate_timeout_s = 540;  // below the recipe's migrate step timeout (600 s)
  int snapshot_timeout_s = 900;
  double poll_interval_s = 2.0;
  std::string rollback_mode = "undo";  // undo | restore-origin-main
  std::vector<std::string> migrator_args = {"up", "-db=all"};
  int migrator_backoff_limit = 0;
  Json migrator_env = Json::object();  // NAME -> "value" | {"secretKeyRef": {"name", "key"}}
  std::vector<std::string> backup_kinds = {
      "deployments", "statefulsets",    "daemonsets", "cronjobs",     "services",
      "configmaps",  "serviceaccounts", "roles",      "rolebindings", "persistentvolumeclaims",
      "ingresses"};
  std::string snapshot_class;  // empty: the cluster's default VolumeSnapshotClass
  std::string version_url = "https://{domain}/__version";
  bool version_exec_fallback = false;
  std::string version_exec_target = "deploy/sourcegraph-frontend";
  std::string version_exec_container = "frontend";
  std::vector<std::string> version_exec_command = {"wget", "-q", "-O", "-",
                                                   "http://127.0.0.1:3080/__version"};

  // Every option, read once for the config and for the schema (sdk/config.hpp).
  // Throws sdk::Error(MI2_INVALID_INPUT) naming the key, what it must be and
  // what it was; unknown keys are refused.
  void read(sdk::ConfigReader& cfg);
  static Settings parse(const std::string& config_json);

 private:
  void read_enable_helm(sdk::ConfigReader& cfg);
  void read_migrator_env(sdk::ConfigReader& cfg);
  void check(const sdk::ConfigReader& cfg) const;
};

// The config_schema of describe(), kept next to the parser.
Json config_schema();

// One instance as the plugin acts on it: the step input and the cluster it
// resolves to.
struct Target {
  sdk::StepInput in;
  std::string state_dir;  // <in.state_dir>/kubectl, "" when the input has none
  std::string context, namespace_name;
  std::string project, location, cluster;
  std::string kubernetes_path;     // absolute: instance_dir/<kubernetes_dir>
  sdk::Placeholders placeholders;  // the SDK's, {project} as resolved, {location}, {cluster}

  // `text` with its placeholders replaced (sdk::expand).
  std::string expand(const std::string& text) const { return sdk::expand(text, placeholders); }
};

// Resolves the cluster of the step input's instance. Throws sdk::Error
// naming the instance when its namespace is not a Kubernetes name.
Target resolve_target(const Settings& settings, const sdk::StepInput& in);

// RFC 1123 label: lower-case alphanumerics and '-', at most 63.
bool is_dns_label(const std::string& name);

}  // namespace mi2::kubectl
