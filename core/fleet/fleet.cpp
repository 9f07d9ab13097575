#include "core/fleet/fleet.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/base/text.h"
#include "core/fleet/fleet_scan.h"
#include "core/fleet/yaml_tree.h"
#include "core/yaml/yaml_scalar.h"

namespace mi2 {

namespace fs = std::filesystem;

namespace {

constexpr const char* kWhereHint =
    "pass -e ENV --slug SLUG or run inside environments/<env>/deployments/<id>/";

std::string join_or_none(const std::vector<std::string>& items) {
  return items.empty() ? "(none)" : join(items);
}

fs::path absolute_clean(const fs::path& p) {
  std::error_code ec;
  fs::path abs = fs::weakly_canonical(fs::absolute(p, ec), ec);
  return ec ? fs::absolute(p).lexically_normal() : abs;
}

// A readable InstanceRef for `dir`, if it holds config.yaml.
std::optional<InstanceRef> instance_at(const std::string& env, const fs::path& dir) {
  std::error_code ec;
  if (!fs::is_regular_file(dir / "config.yaml", ec)) return std::nullopt;
  return InstanceRef{env, dir.filename().string(), dir};
}

}  // namespace

Result<Fleet> Fleet::discover(const fs::path& start) {
  if (const char* forced = std::getenv("MI2_FLEET_ROOT"); forced && *forced) {
    fs::path root = absolute_clean(forced);
    std::error_code ec;
    if (!fs::is_regular_file(root / "mi2.yaml", ec)) {
      return make_error("MI2_FLEET_ROOT is " + root.string() +
                        " but that folder holds no mi2.yaml; fix or unset MI2_FLEET_ROOT.");
    }
    return Fleet(root);
  }
  fs::path dir = absolute_clean(start);
  for (;;) {
    std::error_code ec;
    if (fs::is_regular_file(dir / "mi2.yaml", ec)) return Fleet(dir);
    if (!dir.has_parent_path() || dir.parent_path() == dir) break;
    dir = dir.parent_path();
  }
  return make_error("no mi2.yaml found in " + absolute_clean(start).string() +
                    " or any folder above it; run mi2 inside a fleet repo or set MI2_FLEET_ROOT.");
}

fs::path Fleet::state_dir(const InstanceRef& instance) const {
  return root_ / ".mi2" / "state" / instance.environment / instance.id;
}

Result<std::vector<std::string>> Fleet::environments() const {
  std::vector<std::string> names;
  fs::path envs = root_ / "environments";
  std::error_code ec;
  if (!fs::is_directory(envs, ec)) return names;
  for (fs::directory_iterator it(envs, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->is_directory(ec) && it->path().filename().string()[0] != '.')
      names.push_back(it->path().filename().string());
  }
  if (ec) return make_error("cannot list " + envs.string() + ": " + ec.message() + ".");
  std::sort(names.begin(), names.end());
  return names;
}

Result<std::vector<InstanceRef>> Fleet::instances(const std::string& env) const {
  fs::path deployments = deployments_dir(env);
  std::error_code ec;
  if (env.empty() || env.find('/') != std::string::npos || env[0] == '.' ||
      !fs::is_directory(deployments, ec)) {
    auto known = environments();
    return make_error(
        "environment '" + escape_control(env) + "' not found in " + root_.string() +
        "/environments; known environments: " + (known ? join_or_none(*known) : "(none)") + ".");
  }
  std::vector<InstanceRef> refs;
  for (fs::directory_iterator it(deployments, ec), end; !ec && it != end; it.increment(ec)) {
    if (!it->is_directory(ec)) continue;
    if (auto ref = instance_at(env, it->path())) refs.push_back(std::move(*ref));
  }
  if (ec) return make_error("cannot list " + deployments.string() + ": " + ec.message() + ".");
  std::sort(refs.begin(), refs.end(),
            [](const InstanceRef& a, const InstanceRef& b) { return a.id < b.id; });
  return refs;
}

Result<InstanceRef> Fleet::find(const std::string& env, const std::string& slug) const {
  // Every instance is read (the slug lives in config.yaml): use the parallel,
  // cached scan, so this stays quick on a fleet of thousands.
  auto scanned = scan_instances(*this, env, ScanOptions{});
  if (!scanned) return scanned.error();
  std::vector<const InstanceRef*> hits;
  for (const auto& instance : *scanned) {
    const Json& json = instance.instance;
    bool match = instance.ref.id == slug || slug_of(json, "") == slug;
    if (match) hits.push_back(&instance.ref);
  }
  if (hits.empty()) {
    return make_error("no instance with slug or id '" + escape_control(slug) +
                      "' in environment '" + env + "'; list them with 'mi2 instance list -e " +
                      env + "'.");
  }
  if (hits.size() > 1) {
    std::vector<std::string> ids;
    for (const auto* hit : hits) ids.push_back(hit->id);
    return make_error("slug '" + escape_control(slug) +
                      "' matches several instances in environment '" + env + "' (" +
                      join_or_none(ids) + "); pass the instance id instead.");
  }
  return *hits.front();
}

std::optional<InstanceRef> Fleet::infer(const fs::path& cwd) const {
  fs::path rel = absolute_clean(cwd).lexically_relative(absolute_clean(root_));
  auto it = rel.begin();
  std::vector<std::string> parts;
  for (; it != rel.end() && parts.size() < 4; ++it) parts.push_back(it->string());
  if (parts.size() < 4 || parts[0] != "environments" || parts[2] != "deployments")
    return std::nullopt;
  return instance_at(parts[1], deployments_dir(parts[1]) / parts[3]);
}

Result<InstanceRef> Fleet::resolve(const std::string& env, const std::string& slug,
                                   const fs::path& cwd) const {
  if (!env.empty() && !slug.empty()) return find(env, slug);
  auto inferred = infer(cwd);
  if (!inferred) {
    if (!env.empty())
      return make_error("no --slug given for environment '" + env + "'; " + kWhereHint + ".");
    if (!slug.empty())
      return make_error("no -e given for slug '" + slug + "'; " + kWhereHint + ".");
    return make_error(absolute_clean(cwd).string() + " is not inside an instance folder; " +
                      kWhereHint + ".");
  }
  if (!env.empty() && env != inferred->environment) {
    return make_error("-e " + env + " disagrees with the current folder (environment '" +
                      inferred->environment + "'); " + kWhereHint + ".");
  }
  if (!slug.empty()) return find(inferred->environment, slug);
  return *inferred;
}

Result<Json> load_instance(const InstanceRef& instance) {
  auto json = load_yaml_file_as_json(instance.config_path());
  if (!json) return json;
  if (auto shape = check_instance_shape(*json, instance.config_path().string()); !shape)
    return shape.error();
  return json;
}

Status check_instance_shape(const Json& instance, const std::string& path) {
  auto kind = [](const Json& v) -> std::string {
    if (v.is_object()) return "a mapping";
    if (v.is_array()) return "a list";
    if (v.is_string()) return "the text '" + escape_control(v.get<std::string>()) + "'";
    return "the single value " + escape_control(v.dump());
  };
  const std::string expected =
      "; an instance's config.yaml is a mapping (apiVersion, kind, metadata, spec)";
  if (instance.is_null()) return make_error(path + " is empty" + expected + ".");
  if (!instance.is_object()) return make_error(path + " holds " + kind(instance) + expected + ".");
  auto spec = instance.find("spec");
  if (spec == instance.end() || spec->is_null()) return {};
  if (!spec->is_object())
    return make_error(path + ": spec is " + kind(*spec) + ", not a mapping" + expected + ".");
  auto version = spec->find("sourcegraphVersion");
  if (version == spec->end() || version->is_primitive()) return {};
  return make_error(path + ": spec.sourcegraphVersion is " + kind(*version) +
                    ", not a version; write it as a quoted string, e.g. "
                    "sourcegraphVersion: \"4.1.0\".");
}

Result<std::string> instance_version(const Json& instance, const std::string& path) {
  if (!instance.is_object()) return std::string();
  auto spec = instance.find("spec");
  if (spec == instance.end() || !spec->is_object()) return std::string();
  auto version = spec->find("sourcegraphVersion");
  if (version == spec->end() || version->is_null()) return std::string();
  if (version->is_string()) return version->get<std::string>();
  return make_error(path + ": spec.sourcegraphVersion is " + escape_control(version->dump()) +
                    ", which YAML reads as a " + (version->is_boolean() ? "boolean" : "number") +
                    ", not a version; write it in quotes, e.g. sourcegraphVersion: \"" +
                    escape_control(version->dump()) + "\".");
}

Result<Json> load_yaml_file_as_json(const fs::path& path) {
  auto tree = load_yaml_tree(path);
  if (!tree) return tree.error();
  return std::move(tree->json);
}

std::string instance_text(const Json& instance, const char* section, const char* key) {
  if (!instance.is_object() || !instance.contains(section) || !instance[section].is_object())
    return "";
  const Json& object = instance[section];
  if (!object.contains(key)) return "";
  const Json& value = object[key];
  return value.is_string() ? value.get<std::string>() : value.is_null() ? "" : value.dump();
}

std::string instance_type(const Json& instance) {
  if (!instance.is_object() || !instance.contains("metadata")) return "";
  return instance_text(instance["metadata"], "labels", "instance-type");
}

std::string slug_of(const Json& instance, const std::string& fallback) {
  if (!instance.is_object()) return fallback;
  auto spec = instance.find("spec");
  if (spec == instance.end() || !spec->is_object()) return fallback;
  auto display = spec->find("displayName");
  if (display == spec->end() || !display->is_string()) return fallback;
  return display->get<std::string>();
}

}  // namespace mi2
