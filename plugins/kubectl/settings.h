// The kubectl plugin's configuration (mi2.yaml `plugins: kubectl: {...}`) and
// the per-instance target it resolves to (context, namespace, GKE cluster).
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace mi2::kubectl {

using Json = nlohmann::json;

// What mi2.yaml may set. Every string may use the placeholders {instance_id},
// {slug}, {environment}, {domain}, {project}, {location} and {cluster}.
struct Settings {
  std::string context;         // empty: gke_<project>_<location>_<cluster> from config.yaml status
  std::string namespace_name;  // empty: status.kubernetes.namespace, the kustomization's, "default"
  std::string project, location,
      cluster;  // empty: from config.yaml status.gcp / spec.infrastructure.gcp
  std::string registry = "index.docker.io/sourcegraph";
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

  // Throws sdk::Error(MI2_INVALID_INPUT) naming the key and the expected type.
  static Settings parse(const std::string& config_json);
};

// The config_schema of describe(), kept next to the parser.
Json config_schema();

// One instance as the plugin acts on it.
struct Target {
  std::string instance_id, slug, environment, domain;
  std::string instance_dir, state_dir;  // state_dir: <step state_dir>/kubectl
  std::string context, namespace_name;
  std::string project, location, cluster;
  std::string version;           // spec.sourcegraphVersion now (after the bump in a run)
  std::string target_version;    // the run's target, else `version`
  std::string previous_version;  // the run's version before the bump, may be empty
  std::string run_id;
  bool dry_run = false;
  Json params = Json::object();
  Json instance = Json::object();
  Json input = Json::object();
  std::string kubernetes_path;  // absolute: instance_dir/<kubernetes_dir>
};

// Reads the step input. Throws sdk::Error naming the instance and the missing
// field (and what to set in mi2.yaml) when the context cannot be derived.
Target resolve_target(const Settings& settings, const std::string& input_json);

// Replaces {name} placeholders with the target's fields.
std::string expand(const std::string& text, const Target& target);

// RFC 1123 label: lower-case alphanumerics and '-', at most 63.
bool is_dns_label(const std::string& name);

}  // namespace mi2::kubectl
