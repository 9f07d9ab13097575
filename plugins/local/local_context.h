// What every action of the local plugin works on: the step input's paths and
// the plugin's configuration, resolved once per invoke.
#pragma once

#include <mi2/sdk/config.hpp>
#include <mi2/sdk/host.hpp>
#include <mi2/sdk/step.hpp>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "plugins/release_catalog/release_catalog.h"
#include "plugins/release_catalog/versions.h"

namespace mi2::local {

using nlohmann::json;
namespace fs = std::filesystem;

// The plugin's config (mi2.yaml `plugins: local: {...}`).
struct LocalConfig {
  std::string forge_dir;                  // empty: <fleet_root>/.mi2/forge
  std::string releases_dir = "releases";  // relative to the fleet root
  std::string workload_binary;            // empty: MI2_WORKLOAD_BINARY, then next to the plugin
  int rollout_timeout_ms = 15000;         // how long a new workload may take to become healthy
  int ready_after_ms = 300;               // the workload's simulated start-up time
  std::string forge_url;                  // base of PR/issue links; empty: file:// of forge_dir

  // Every option, read once for the config and for the schema (sdk/config.hpp);
  // unknown keys are refused.
  void read(sdk::ConfigReader& cfg);
  static LocalConfig parse(const std::string& config_json);
};

struct LocalContext {
  sdk::Host host;
  LocalConfig config;
  sdk::StepInput in;  // the step input, typed (in.params may be amended by an action)
  fs::path fleet_root;
  fs::path instance_dir;
  fs::path state;  // state_dir/local
  std::string instance_id;
  std::string slug;

  // Throws invalid_input naming the missing or relative path field.
  static LocalContext from_input(sdk::Host host, const LocalConfig& config,
                                 const sdk::StepInput& in, bool needs_instance);

  fs::path releases_dir() const;
  fs::path forge_dir() const;
  fs::path db_path() const { return state / "db.sqlite"; }
  fs::path deployment_path() const { return state / "deployment.json"; }
  fs::path backups_dir() const { return state / "backups"; }
  // spec.sourcegraphVersion of the instance as given in the input.
  std::string configured_version() const { return in.version(); }
  // The release catalog under releases_dir().
  releases::ReleaseCatalog catalog() const;
  bool dry_run() const;
};

// Helpers shared by the actions.
std::string now_utc();                        // 2026-11-27T10:15:00Z
std::string read_text(const fs::path& path);  // throws failed naming the file
// Writes through a temporary file and rename, so a reader never sees half a file.
void write_text_atomic(const fs::path& path, const std::string& text);
json read_json_file(const fs::path& path);  // throws failed naming the file
void write_json_file(const fs::path& path, const json& value);

// Versions and releases as the shared release catalog (plugins/release_catalog) reads them.
using releases::compare_versions;
using releases::is_version;
using releases::Migration;
using releases::Release;
using releases::ReleaseCatalog;
using releases::require_version;
// A name safe for a folder (letters, digits, . _ -), not starting with '.'.
bool is_safe_name(const std::string& name);

}  // namespace mi2::local
