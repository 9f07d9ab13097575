#include "plugins/kubectl/settings.h"

#include <yaml-cpp/yaml.h>
#include <mi2/sdk/host.hpp>

#include <filesystem>
#include <regex>

namespace mi2::kubectl {
namespace {

namespace fs = std::filesystem;

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

// One line an option; plugins/kubectl/README.md says more about each.
void Settings::read(sdk::ConfigReader& cfg) {
  read_enable_helm(cfg);
  read_migrator_env(cfg);
  cfg.read("context", context, "kubectl context (default gke_<project>_<location>_<cluster>)");
  cfg.read("namespace", namespace_name, "namespace (default from config.yaml or kustomization)");
  cfg.read("project", project, "GCP project (default status.gcp.projectId)");
  cfg.read("location", location, "GKE region or zone (default status.gcp.region)");
  cfg.read("cluster", cluster, "GKE cluster (default status.gcp.gkeClusters[0].name)");
  cfg.read("registry", registry, "the application's images (index.docker.io/sourcegraph)");
  cfg.read("registry_api", registry_api,
           "registry API for preflight's migrator image check (default https://<registry host>; "
           "off: no check)");
  cfg.read("images", images, "images whose tag render sets (default every one under registry)");
  cfg.read("kubernetes_dir", kubernetes_dir, "kustomization folder (default kubernetes)");
  cfg.read("rollout_timeout_s", rollout_timeout_s, "deadline of a rollout, seconds (default 600)");
  cfg.read("grace_period_s", grace_period_s, "seconds a pod may be Pending (default 300)");
  cfg.read("restart_window_s", restart_window_s, "a restart this recent fails (default 900)");
  cfg.read("migrate_timeout_s", migrate_timeout_s, "deadline of the migrator Job (default 540)");
  cfg.read("snapshot_timeout_s", snapshot_timeout_s, "deadline of VolumeSnapshots (default 900)");
  cfg.read("poll_interval_s", poll_interval_s, "poll period, seconds (default 2)");
  cfg.read("rollback_mode", rollback_mode, "undo | restore-origin-main (default undo)");
  cfg.read("migrator_args", migrator_args, "migrator arguments (default up -db=all)");
  cfg.read("migrator_backoff_limit", migrator_backoff_limit, "the Job's backoffLimit (default 0)");
  cfg.read("backup_kinds", backup_kinds, "kinds backup create exports (no secrets by default)");
  cfg.read("snapshot_class", snapshot_class, "VolumeSnapshotClass (default the cluster's)");
  cfg.read("version_url", version_url, "src-application-version URL (https://{domain}/__version)");
  cfg.read("version_exec_fallback", version_exec_fallback, "else read it with kubectl exec");
  cfg.read("version_exec_target", version_exec_target, "exec target (deploy/sourcegraph-frontend)");
  cfg.read("version_exec_container", version_exec_container, "exec container (frontend)");
  cfg.read("version_exec_command", version_exec_command, "command printing the version");
  check(cfg);
}

// enable_helm: true and false may be written as booleans or as words.
void Settings::read_enable_helm(sdk::ConfigReader& cfg) {
  Json helm = cfg.raw("enable_helm", "string", "auto | true | false: kustomize --enable-helm");
  if (helm.is_boolean()) enable_helm = helm.get<bool>() ? "true" : "false";
  if (helm.is_string()) enable_helm = helm.get<std::string>();
  bool known = enable_helm == "auto" || enable_helm == "true" || enable_helm == "false";
  if (!helm.is_null() && (!known || !(helm.is_boolean() || helm.is_string())))
    throw cfg.bad("enable_helm", "auto, true or false", helm);
}

void Settings::read_migrator_env(sdk::ConfigReader& cfg) {
  Json env = cfg.raw("migrator_env", "object",
                     "migrator env: NAME -> value or {secretKeyRef:{name,key}}; default "
                     "PG*/CODEINTEL_PG*/CODEINSIGHTS_PG* from the *-auth secrets",
                     true);
  if (!env.is_null() && !env.is_object())
    throw cfg.bad("migrator_env", "a mapping of NAME to a value or {secretKeyRef: {name, key}}",
                  env);
  if (env.is_object()) migrator_env = env;
}

void Settings::check(const sdk::ConfigReader& cfg) const {
  if (registry.empty() || registry.back() == '/')
    throw cfg.bad("registry", "like host/org", registry);
  if (!registry_api.empty() && registry_api != "off" && registry_api.rfind("https://", 0) != 0 &&
      registry_api.rfind("http://", 0) != 0)
    throw cfg.bad("registry_api", "an http(s):// URL or off", registry_api);
  if (rollback_mode != "undo" && rollback_mode != "restore-origin-main")
    throw cfg.bad("rollback_mode", "undo or restore-origin-main", rollback_mode);
}

Settings Settings::parse(const std::string& config_json) {
  return sdk::read_settings<Settings>("kubectl", config_json);
}

Json config_schema() {
  return sdk::settings_schema<Settings>("kubectl");
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
