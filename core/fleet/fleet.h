// The fleet repo: root = nearest folder upward holding mi2.yaml; instances =
// environments/<env>/deployments/<id>/config.yaml.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/base/json.h"
#include "core/base/result.h"

namespace mi2 {

struct InstanceRef {
  std::string environment;
  std::string id;             // metadata.name = folder name
  std::filesystem::path dir;  // absolute
  std::filesystem::path config_path() const { return dir / "config.yaml"; }
};

class Fleet {
 public:
  // The nearest folder at or above `start` holding mi2.yaml. Error names `start`.
  static Result<Fleet> discover(const std::filesystem::path& start);
  explicit Fleet(std::filesystem::path root) : root_(std::move(root)) {}

  const std::filesystem::path& root() const { return root_; }
  std::filesystem::path config_file() const { return root_ / "mi2.yaml"; }
  // environments/<env>/deployments: the folder of an environment's instances.
  std::filesystem::path deployments_dir(const std::string& env) const {
    return root_ / "environments" / env / "deployments";
  }

  // Local state (journals, locks, checkpoints): <root>/.mi2/state/<env>/<id>.
  // Kept out of the instance folder, which is committed.
  std::filesystem::path state_dir(const InstanceRef& instance) const;

  Result<std::vector<std::string>> environments() const;
  // Every instance of `env`, sorted by id. Error when the environment is unknown.
  Result<std::vector<InstanceRef>> instances(const std::string& env) const;
  // The instance of `env` whose spec.displayName (slug) or id equals `slug`.
  Result<InstanceRef> find(const std::string& env, const std::string& slug) const;
  // The instance whose folder is or contains `cwd`.
  std::optional<InstanceRef> infer(const std::filesystem::path& cwd) const;
  // What a command acts on: -e/--slug when given, else inferred from `cwd`.
  // The error says which flags to pass.
  Result<InstanceRef> resolve(const std::string& env, const std::string& slug,
                              const std::filesystem::path& cwd) const;

 private:
  std::filesystem::path root_;
};

// config.yaml as JSON (the object `mi2 instance get` prints). Plain YAML
// scalars are typed (null, bool, int, float) as YAML 1.2's core schema does;
// quoted ones stay strings. The error names the file and line. A document
// that is not a mapping, a spec that is not one, or a sourcegraphVersion that
// is a list or a mapping is refused (check_instance_shape).
Result<Json> load_instance(const InstanceRef& instance);
// The shape every reader of an instance relies on (a mapping; spec, when
// given, a mapping; spec.sourcegraphVersion a scalar); the error names `path`.
Status check_instance_shape(const Json& instance, const std::string& path);
// spec.sourcegraphVersion ("" when absent or null); a number or boolean (an
// unquoted 4.10 reads as 4.1) is refused with a sentence naming `path`.
Result<std::string> instance_version(const Json& instance, const std::string& path);

// spec.displayName of config.yaml as JSON (the slug), or `fallback` (the id)
// when it has none. The one place the slug is read.
std::string slug_of(const Json& instance, const std::string& fallback);
// instance[section][key] as text ("" when absent; non-strings as JSON): the
// listing columns (version, channel, name) read the same way everywhere.
std::string instance_text(const Json& instance, const char* section, const char* key);
// metadata.labels.instance-type, or "".
std::string instance_type(const Json& instance);
// Any YAML file (mi2.yaml, config.yaml) as JSON through the fleet scan's
// reader; refuses what YamlEventGuard refuses, naming the file and line.
Result<Json> load_yaml_file_as_json(const std::filesystem::path& path);

}  // namespace mi2
