// Finds, loads and checks provider plugins (Boost.DLL, RTLD_NOW | RTLD_LOCAL).
// A loaded library is never unloaded before exit.
#pragma once

#include <mi2/plugin.h>

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/json.h"
#include "core/base/result.h"
#include "core/host/host_context.h"

namespace mi2 {

// What describe() told us, parsed and checked.
struct PluginDescription {
  std::string name;
  std::string version;
  std::string description;
  std::map<std::string, std::vector<std::string>> roles;  // role -> actions
  std::vector<std::string> checks;
  // The checks that pass only once the target version runs ("version_checks"
  // in describe, a subset of checks): a recipe's check_set "health" leaves them out.
  std::vector<std::string> version_checks;
  std::string describe_json;                       // the document as the plugin gave it
  std::vector<std::string> sensitive_config_keys;  // config_schema properties marked sensitive
};

// Parses and checks a describe() document (`text` may be null); the error
// says what is wrong with it. Exposed for the fuzz targets.
Result<PluginDescription> parse_description(const char* text);

// One created plugin instance: destroys the plugin's instance before its
// HostContext goes away.
class PluginInstance {
 public:
  struct Outcome {
    mi2_status status = MI2_FAILED;
    std::string output_json;  // "{}" when the plugin gave none
    std::string error;        // last_error() when status != MI2_OK
  };

  PluginInstance(const mi2_plugin_api* api, std::unique_ptr<HostContext> context,
                 mi2_plugin_instance* handle);
  ~PluginInstance();
  PluginInstance(const PluginInstance&) = delete;
  PluginInstance& operator=(const PluginInstance&) = delete;

  Outcome invoke(std::string_view role, std::string_view action, const std::string& input_json);
  HostContext& context() { return *context_; }

 private:
  const mi2_plugin_api* api_;
  std::unique_ptr<HostContext> context_;
  mi2_plugin_instance* handle_;
};

class LoadedPlugin {
 public:
  LoadedPlugin(std::filesystem::path path, const mi2_plugin_api* api,
               PluginDescription description);

  const std::filesystem::path& path() const { return path_; }
  const PluginDescription& description() const { return description_; }
  const std::string& name() const { return description_.name; }
  bool serves(std::string_view role, std::string_view action) const;
  bool serves_role(std::string_view role) const;

  // create(config): "plugin 'x' refused its configuration: <last_error>" on failure.
  // Sensitive config values are registered with the redactor before create.
  Result<std::unique_ptr<PluginInstance>> create(const Json& config,
                                                 const HostEnvironment& environment) const;

 private:
  std::filesystem::path path_;
  const mi2_plugin_api* api_;
  PluginDescription description_;
};

class PluginLoader {
 public:
  explicit PluginLoader(std::vector<std::filesystem::path> search_dirs);

  // Loads (once; cached by canonical path) and checks one file. Refusals name
  // the file: not a shared object, no mi2_plugin_entry, entry returned NULL,
  // ABI major mismatch or plugin minor newer than the host ("rebuild the
  // plugin against SDK X.Y"), invalid describe JSON, file or folder writable
  // by others, describe name not matching the file name.
  Result<std::shared_ptr<LoadedPlugin>> load_file(const std::filesystem::path& path);

  // The first mi2-plugin-<name>.so along the search path.
  Result<std::shared_ptr<LoadedPlugin>> find(const std::string& name);

  struct Candidate {
    std::filesystem::path path;
    std::shared_ptr<LoadedPlugin> plugin;  // null when refused
    std::string error;                     // the refusal
  };
  // Every mi2-plugin-*.so in every search dir (first occurrence of a name wins;
  // later ones are reported as shadowed).
  std::vector<Candidate> scan();

  const std::vector<std::filesystem::path>& search_dirs() const { return search_dirs_; }

 private:
  std::vector<std::filesystem::path> search_dirs_;
  std::map<std::string, std::shared_ptr<LoadedPlugin>> by_path_;
};

// The file name of plugin `name`: "mi2-plugin-<name>.so".
std::string plugin_file_name(std::string_view name);

// The search path, in order: each --plugin-dir, each entry of MI2_PLUGIN_PATH
// (colon-separated), then the plugin folder beside the running binary
// (<bin>/../lib/mi2/plugins) when it exists, else the build's plugin folder
// and the configured install folder.
std::vector<std::filesystem::path> plugin_search_path(const std::vector<std::string>& flag_dirs);

}  // namespace mi2
