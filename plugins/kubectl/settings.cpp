#include "plugins/kubectl/settings.h"

#include <yaml-cpp/yaml.h>
#include <mi2/sdk/host.hpp>

#include <filesystem>
#include <regex>

namespace mi2::kubectl {
namespace {

namespace fs = std::filesystem;

sdk::Error bad_key(const std::string& key, const std::string& expected) {
  return sdk::invalid_input("mi2.yaml plugins.kubectl." + key + " must be " + expected + ".");
}

void read_string(const Json& config, const char* key, std::string& out) {
  if (!config.contains(key)) return;
  if (!config[key].is_string()) throw bad_key(key, "a string");
  out = config[key].get<std::string>();
}

void read_int(const Json& config, const char* key, int& out) {
  if (!config.contains(key)) return;
  if (!config[key].is_number_integer() || config[key].get<long long>() < 0)
    throw bad_key(key, "a whole number of seconds (0 or more)");
  out = config[key].get<int>();
}

void read_bool(const Json& config, const char* key, bool& out) {
  if (!config.contains(key)) return;
  if (!config[key].is_boolean()) throw bad_key(key, "true or false");
  out = config[key].get<bool>();
}

void read_strings(const Json& config, const char* key, std::vector<std::string>& out) {
  if (!config.contains(key)) return;
  const Json& list = config[key];
  if (!list.is_array()) throw bad_key(key, "a list of strings");
  out.clear();
  for (const Json& item : list) {
    if (!item.is_string()) throw bad_key(key, "a list of strings");
    out.push_back(item.get<std::string>());
  }
}

// The kustomization's own `namespace:`, where the rendered objects land.
std::string kustomization_namespace(const fs::path& dir) {
  for (const char* name : {"kustomization.yaml", "kustomization.yml", "Kustomization"}) {
    std::error_code ec;
    if (!fs::exists(dir / name, ec)) continue;
    try {
      YAML::Node root = YAML::LoadFile((dir / name).string());
      if (root.IsMap() && root["namespace"] && root["namespace"].IsScalar())
        return root["namespace"].as<std::string>();
    } catch (const YAML::Exception&) {
    }
    return "";
  }
  return "";
}

}  // namespace

Settings Settings::parse(const std::string& config_json) {
  Json config = Json::parse(config_json.empty() ? "{}" : config_json, nullptr, false);
  if (config.is_discarded() || !config.is_object())
    throw sdk::invalid_input("mi2.yaml plugins.kubectl must be a mapping of settings.");
  Settings s;
  read_string(config, "context", s.context);
  read_string(config, "namespace", s.namespace_name);
  read_string(config, "project", s.project);
  read_string(config, "location", s.location);
  read_string(config, "cluster", s.cluster);
  read_string(config, "registry", s.registry);
  read_strings(config, "images", s.images);
  read_string(config, "kubernetes_dir", s.kubernetes_dir);
  if (config.contains("enable_helm") && config["enable_helm"].is_boolean())
    s.enable_helm = config["enable_helm"].get<bool>() ? "true" : "false";
  else
    read_string(config, "enable_helm", s.enable_helm);
  if (s.enable_helm != "auto" && s.enable_helm != "true" && s.enable_helm != "false")
    throw bad_key("enable_helm", "auto, true or false");
  read_int(config, "rollout_timeout_s", s.rollout_timeout_s);
  read_int(config, "grace_period_s", s.grace_period_s);
  read_int(config, "restart_window_s", s.restart_window_s);
  read_int(config, "migrate_timeout_s", s.migrate_timeout_s);
  read_int(config, "snapshot_timeout_s", s.snapshot_timeout_s);
  if (config.contains("poll_interval_s")) {
    if (!config["poll_interval_s"].is_number() || config["poll_interval_s"].get<double>() < 0)
      throw bad_key("poll_interval_s", "a number of seconds (0 or more)");
    s.poll_interval_s = config["poll_interval_s"].get<double>();
  }
  read_string(config, "rollback_mode", s.rollback_mode);
  if (s.rollback_mode != "undo" && s.rollback_mode != "restore-origin-main")
    throw bad_key("rollback_mode", "undo or restore-origin-main");
  read_strings(config, "migrator_args", s.migrator_args);
  read_int(config, "migrator_backoff_limit", s.migrator_backoff_limit);
  if (config.contains("migrator_env")) {
    if (!config["migrator_env"].is_object())
      throw bad_key("migrator_env", "a mapping of NAME to a value or {secretKeyRef: {name, key}}");
    s.migrator_env = config["migrator_env"];
  }
  read_strings(config, "backup_kinds", s.backup_kinds);
  read_string(config, "snapshot_class", s.snapshot_class);
  read_string(config, "version_url", s.version_url);
  read_bool(config, "version_exec_fallback", s.version_exec_fallback);
  read_string(config, "version_exec_target", s.version_exec_target);
  read_string(config, "version_exec_container", s.version_exec_container);
  read_strings(config, "version_exec_command", s.version_exec_command);
  if (s.registry.empty() || s.registry.back() == '/') throw bad_key("registry", "like host/org");
  return s;
}

Json config_schema() {
  auto str = [](const char* d) { return Json{{"type", "string"}, {"description", d}}; };
  auto num = [](const char* d) { return Json{{"type", "integer"}, {"description", d}}; };
  auto list = [](const char* d) {
    return Json{{"type", "array"}, {"items", {{"type", "string"}}}, {"description", d}};
  };
  Json p;
  p["context"] =
      str("kubectl context; default gke_<project>_<location>_<cluster> from config.yaml");
  p["namespace"] =
      str("instance namespace; default status.kubernetes.namespace, else the kustomization's "
          "namespace, else default");
  p["project"] = str("GCP project; default status.gcp.projectId");
  p["location"] = str("GKE region or zone; default status.gcp.region or spec.infrastructure.gcp");
  p["cluster"] = str("GKE cluster; default status.gcp.gkeClusters[0].name");
  p["registry"] = str("image registry of the application (default index.docker.io/sourcegraph)");
  p["images"] = list("images whose tag render sets; default every images: entry under registry");
  p["kubernetes_dir"] = str("kustomization folder in the instance (default kubernetes)");
  p["enable_helm"] = str("auto | true | false: pass --enable-helm to kubectl kustomize");
  p["rollout_timeout_s"] = num("deadline of each rollout status (default 600)");
  p["grace_period_s"] = num("a Pending pod fails pods-health after this (default 300)");
  p["restart_window_s"] = num("a container restart this recent fails pods-health (default 900)");
  p["migrate_timeout_s"] =
      num("deadline of the migrator Job (default 540; keep it below the migrate step timeout)");
  p["snapshot_timeout_s"] = num("deadline for VolumeSnapshots to be readyToUse (default 900)");
  p["poll_interval_s"] = Json{{"type", "number"}, {"description", "poll period (default 2)"}};
  p["rollback_mode"] = str("undo | restore-origin-main (default undo)");
  p["migrator_args"] = list("migrator arguments (default up -db=all)");
  p["migrator_backoff_limit"] = num("backoffLimit of the migrator Job (default 0)");
  p["migrator_env"] = Json{{"type", "object"},
                           {"sensitive", true},
                           {"description",
                            "migrator env: NAME -> value or {secretKeyRef:{name,key}}; default "
                            "PG*/CODEINTEL_PG*/CODEINSIGHTS_PG* from the *-auth secrets"}};
  p["backup_kinds"] = list("kinds exported by backup create (secrets are left out by default)");
  p["snapshot_class"] = str("VolumeSnapshotClass; default the cluster's default class");
  p["version_url"] = str("src-application-version URL (default https://{domain}/__version)");
  p["version_exec_fallback"] =
      Json{{"type", "boolean"}, {"description", "read the version with kubectl exec on failure"}};
  p["version_exec_target"] = str("kubectl exec target (default deploy/sourcegraph-frontend)");
  p["version_exec_container"] = str("kubectl exec container (default frontend)");
  p["version_exec_command"] = list("command run in the container to print the version");
  return Json{{"type", "object"}, {"properties", p}};
}

bool is_dns_label(const std::string& name) {
  static const std::regex label("[a-z0-9]([-a-z0-9]*[a-z0-9])?");
  return !name.empty() && name.size() <= 63 && std::regex_match(name, label);
}

Target resolve_target(const Settings& s, const sdk::StepInput& in) {
  Target t;
  t.in = in;
  t.state_dir = in.plugin_state_dir("kubectl");
  t.kubernetes_path = in.instance_dir.empty() ? "" : in.instance_dir + "/" + s.kubernetes_dir;

  // Each configured value may name the ones resolved before it.
  const Json& i = in.instance;
  sdk::Placeholders& p = t.placeholders;
  p = sdk::placeholders(in);
  p["location"] = "";
  p["cluster"] = "";
  auto resolve = [&](const std::string& configured, std::initializer_list<const char*> pointers) {
    return configured.empty() ? sdk::first_string_at(i, pointers) : t.expand(configured);
  };
  t.project = p["project"] = resolve(s.project, {"/status/gcp/projectId", "/status/gcpProjectId"});
  t.location = p["location"] = resolve(
      s.location, {"/status/gcp/gkeClusters/0/location", "/status/gcp/region",
                   "/spec/infrastructure/gcp/region", "/status/gcpRegion", "/spec/gcpRegion"});
  t.cluster = p["cluster"] =
      resolve(s.cluster, {"/status/gcp/gkeClusters/0/name", "/status/gkeClusters/0/name"});
  if (!s.context.empty()) {
    t.context = t.expand(s.context);
  } else if (!t.project.empty() && !t.location.empty() && !t.cluster.empty()) {
    // The name `gcloud container clusters get-credentials` gives the context.
    t.context = "gke_" + t.project + "_" + t.location + "_" + t.cluster;
  }
  t.namespace_name =
      resolve(s.namespace_name, {"/status/kubernetes/namespace", "/spec/kubernetes/namespace"});
  if (t.namespace_name.empty() && !in.instance_dir.empty())
    t.namespace_name = kustomization_namespace(fs::path(in.instance_dir) / s.kubernetes_dir);
  if (t.namespace_name.empty()) t.namespace_name = "default";
  if (!is_dns_label(t.namespace_name))
    throw sdk::invalid_input("the namespace '" + t.namespace_name + "' of instance " +
                             in.instance_id +
                             " is not a valid Kubernetes name; fix plugins.kubectl.namespace in "
                             "mi2.yaml.");
  return t;
}

}  // namespace mi2::kubectl
