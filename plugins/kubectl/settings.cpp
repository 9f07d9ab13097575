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

// A whole number of seconds (or a count), 0 or more.
int count(sdk::ConfigReader& cfg, const std::string& key, int fallback,
          const std::string& description) {
  return static_cast<int>(cfg.integer(key, fallback, description, 0));
}

}  // namespace

void Settings::read(sdk::ConfigReader& cfg) {
  context = cfg.string("context", context,
                       "kubectl context; default gke_<project>_<location>_<cluster> from "
                       "config.yaml");
  namespace_name = cfg.string("namespace", namespace_name,
                              "instance namespace; default status.kubernetes.namespace, else "
                              "the kustomization's namespace, else default");
  project = cfg.string("project", project, "GCP project; default status.gcp.projectId");
  location = cfg.string("location", location,
                        "GKE region or zone; default status.gcp.region or "
                        "spec.infrastructure.gcp");
  cluster = cfg.string("cluster", cluster, "GKE cluster; default status.gcp.gkeClusters[0].name");
  registry = cfg.string("registry", registry,
                        "image registry of the application (default index.docker.io/sourcegraph)");
  if (registry.empty() || registry.back() == '/')
    throw cfg.bad("registry", "like host/org", registry);
  images = cfg.strings("images", images,
                       "images whose tag render sets; default every images: entry under registry");
  kubernetes_dir = cfg.string("kubernetes_dir", kubernetes_dir,
                              "kustomization folder in the instance (default kubernetes)");
  Json helm = cfg.raw("enable_helm", "string",
                      "auto | true | false: pass --enable-helm to kubectl kustomize");
  if (helm.is_boolean()) enable_helm = helm.get<bool>() ? "true" : "false";
  if (helm.is_string()) enable_helm = helm.get<std::string>();
  bool known = enable_helm == "auto" || enable_helm == "true" || enable_helm == "false";
  if (!helm.is_null() && (!known || !(helm.is_boolean() || helm.is_string())))
    throw cfg.bad("enable_helm", "auto, true or false", helm);
  rollout_timeout_s = count(cfg, "rollout_timeout_s", rollout_timeout_s,
                            "deadline of each rollout status, seconds (default 600)");
  grace_period_s = count(cfg, "grace_period_s", grace_period_s,
                         "a Pending pod fails pods-health after this, seconds (default 300)");
  restart_window_s = count(cfg, "restart_window_s", restart_window_s,
                           "a container restart this recent fails pods-health, seconds "
                           "(default 900)");
  migrate_timeout_s = count(cfg, "migrate_timeout_s", migrate_timeout_s,
                            "deadline of the migrator Job, seconds (default 540; keep it below "
                            "the migrate step timeout)");
  snapshot_timeout_s = count(cfg, "snapshot_timeout_s", snapshot_timeout_s,
                             "deadline for VolumeSnapshots to be readyToUse, seconds "
                             "(default 900)");
  poll_interval_s = cfg.number("poll_interval_s", poll_interval_s, "poll period (default 2)");
  rollback_mode =
      cfg.string("rollback_mode", rollback_mode, "undo | restore-origin-main (default undo)");
  if (rollback_mode != "undo" && rollback_mode != "restore-origin-main")
    throw cfg.bad("rollback_mode", "undo or restore-origin-main", rollback_mode);
  migrator_args =
      cfg.strings("migrator_args", migrator_args, "migrator arguments (default up -db=all)");
  migrator_backoff_limit = count(cfg, "migrator_backoff_limit", migrator_backoff_limit,
                                 "backoffLimit of the migrator Job (default 0)");
  Json env = cfg.raw("migrator_env", "object",
                     "migrator env: NAME -> value or {secretKeyRef:{name,key}}; default "
                     "PG*/CODEINTEL_PG*/CODEINSIGHTS_PG* from the *-auth secrets",
                     true);
  if (!env.is_null() && !env.is_object())
    throw cfg.bad("migrator_env", "a mapping of NAME to a value or {secretKeyRef: {name, key}}",
                  env);
  if (env.is_object()) migrator_env = env;
  backup_kinds = cfg.strings("backup_kinds", backup_kinds,
                             "kinds exported by backup create (secrets are left out by default)");
  snapshot_class = cfg.string("snapshot_class", snapshot_class,
                              "VolumeSnapshotClass; default the cluster's default class");
  version_url = cfg.string("version_url", version_url,
                           "src-application-version URL (default https://{domain}/__version)");
  version_exec_fallback = cfg.boolean("version_exec_fallback", version_exec_fallback,
                                      "read the version with kubectl exec on failure");
  version_exec_target = cfg.string("version_exec_target", version_exec_target,
                                   "kubectl exec target (default deploy/sourcegraph-frontend)");
  version_exec_container = cfg.string("version_exec_container", version_exec_container,
                                      "kubectl exec container (default frontend)");
  version_exec_command = cfg.strings("version_exec_command", version_exec_command,
                                     "command run in the container to print the version");
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
