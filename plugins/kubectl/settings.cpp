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

std::string string_at(const Json& object, const Json::json_pointer& pointer) {
  if (!object.contains(pointer)) return "";
  const Json& value = object.at(pointer);
  if (value.is_string()) return value.get<std::string>();
  if (value.is_number()) return value.dump();
  return "";
}

std::string first_of(const Json& object, std::initializer_list<const char*> pointers) {
  for (const char* p : pointers) {
    std::string value = string_at(object, Json::json_pointer(p));
    if (!value.empty()) return value;
  }
  return "";
}

// spec.domain is a string in old configs and an object in newer ones; a
// custom domain marked primary wins over the default DNS name.
std::string primary_domain(const Json& instance) {
  Json::json_pointer pointer("/spec/domain");
  if (!instance.contains(pointer)) return "";
  const Json& domain = instance.at(pointer);
  if (domain.is_string()) return domain.get<std::string>();
  if (!domain.is_object()) return "";
  if (domain.contains("customDomains") && domain["customDomains"].is_array()) {
    for (const Json& custom : domain["customDomains"])
      if (custom.is_object() && custom.value("primary", false) && custom.contains("dnsName") &&
          custom["dnsName"].is_string())
        return custom["dnsName"].get<std::string>();
  }
  return domain.value("primaryDNSName", "");
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

std::string expand(const std::string& text, const Target& t) {
  static const std::regex placeholder(
      R"(\{(instance_id|slug|environment|domain|project|location|cluster)\})");
  std::string out;
  auto begin = std::sregex_iterator(text.begin(), text.end(), placeholder);
  size_t last = 0;
  for (auto it = begin; it != std::sregex_iterator(); ++it) {
    out.append(text, last, it->position() - last);
    const std::string key = (*it)[1];
    if (key == "instance_id") out += t.instance_id;
    if (key == "slug") out += t.slug;
    if (key == "environment") out += t.environment;
    if (key == "domain") out += t.domain;
    if (key == "project") out += t.project;
    if (key == "location") out += t.location;
    if (key == "cluster") out += t.cluster;
    last = it->position() + it->length();
  }
  out.append(text, last, std::string::npos);
  return out;
}

bool is_dns_label(const std::string& name) {
  static const std::regex label("[a-z0-9]([-a-z0-9]*[a-z0-9])?");
  return !name.empty() && name.size() <= 63 && std::regex_match(name, label);
}

Target resolve_target(const Settings& s, const std::string& input_json) {
  Json input = Json::parse(input_json.empty() ? "{}" : input_json, nullptr, false);
  if (input.is_discarded() || !input.is_object())
    throw sdk::invalid_input("the step input given to the kubectl plugin is not a JSON object.");
  Target t;
  t.input = input;
  t.instance = input.value("instance", Json::object());
  if (!t.instance.is_object()) t.instance = Json::object();
  t.instance_id =
      input.value("instance_id", string_at(t.instance, Json::json_pointer("/metadata/name")));
  t.slug = input.value("slug", string_at(t.instance, Json::json_pointer("/spec/displayName")));
  t.environment = input.value("environment", "");
  t.instance_dir = input.value("instance_dir", "");
  std::string state = input.value("state_dir", "");
  t.state_dir = state.empty() ? "" : state + "/kubectl";
  t.run_id = input.value("run_id", "");
  t.dry_run = input.value("dry_run", false);
  if (input.contains("params") && input["params"].is_object()) t.params = input["params"];
  t.domain = primary_domain(t.instance);
  t.version = string_at(t.instance, Json::json_pointer("/spec/sourcegraphVersion"));
  t.target_version = input.value("target_version", "");
  if (t.target_version.empty()) t.target_version = t.version;
  t.previous_version = input.value("previous_version", "");
  t.kubernetes_path = t.instance_dir.empty() ? "" : t.instance_dir + "/" + s.kubernetes_dir;

  const Json& i = t.instance;
  t.project = s.project.empty() ? first_of(i, {"/status/gcp/projectId", "/status/gcpProjectId"})
                                : expand(s.project, t);
  t.location =
      s.location.empty()
          ? first_of(i, {"/status/gcp/gkeClusters/0/location", "/status/gcp/region",
                         "/spec/infrastructure/gcp/region", "/status/gcpRegion", "/spec/gcpRegion"})
          : expand(s.location, t);
  t.cluster = s.cluster.empty()
                  ? first_of(i, {"/status/gcp/gkeClusters/0/name", "/status/gkeClusters/0/name"})
                  : expand(s.cluster, t);
  if (!s.context.empty()) {
    t.context = expand(s.context, t);
  } else if (!t.project.empty() && !t.location.empty() && !t.cluster.empty()) {
    // The name `gcloud container clusters get-credentials` gives the context.
    t.context = "gke_" + t.project + "_" + t.location + "_" + t.cluster;
  }
  t.namespace_name =
      s.namespace_name.empty()
          ? first_of(i, {"/status/kubernetes/namespace", "/spec/kubernetes/namespace"})
          : expand(s.namespace_name, t);
  if (t.namespace_name.empty() && !t.instance_dir.empty())
    t.namespace_name = kustomization_namespace(fs::path(t.instance_dir) / s.kubernetes_dir);
  if (t.namespace_name.empty()) t.namespace_name = "default";
  if (!is_dns_label(t.namespace_name))
    throw sdk::invalid_input("the namespace '" + t.namespace_name + "' of instance " +
                             t.instance_id +
                             " is not a valid Kubernetes name; fix plugins.kubectl.namespace in "
                             "mi2.yaml.");
  return t;
}

}  // namespace mi2::kubectl
