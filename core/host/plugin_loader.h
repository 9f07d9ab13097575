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

// One created plugin instance, whichever way it runs: in this process
// (InProcessInstance below) or in a child process of its own
// (ProcessPluginInstance, plugin_process.h). Owns the HostContext the
// plugin's service calls are answered with.
class PluginInstance {
 public:
  struct Outcome {
    mi2_status status = MI2_FAILED;
    std::string output_json;  // "{}" when the plugin gave none
    std::string error;        // last_error() when status != MI2_OK
    // The plugin's process ended (crashed, or was stopped) during the call:
    // `error` is then a whole sentence naming the plugin, action and cause.
    bool crashed = false;
  };

  virtual ~PluginInstance() = default;
  PluginInstance(const PluginInstance&) = delete;
  PluginInstance& operator=(const PluginInstance&) = delete;

  virtual Outcome invoke(std::string_view role, std::string_view action,
                         const std::string& input_json) = 0;
  HostContext& context() { return *context_; }

 protected:
  explicit PluginInstance(std::unique_ptr<HostContext> context) : context_(std::move(context)) {}

 private:
  std::unique_ptr<HostContext> context_;
};

// A plugin instance in this process: destroys the plugin's instance before
// its HostContext goes away.
class InProcessInstance final : public PluginInstance {
 public:
  InProcessInstance(const mi2_plugin_api* api, std::unique_ptr<HostContext> context,
                    mi2_plugin_instance* handle);
  ~InProcessInstance() override;

  Outcome invoke(std::string_view role, std::string_view action,
                 const std::string& input_json) override;

 private:
  const mi2_plugin_api* api_;
  mi2_plugin_instance* handle_;
};

// A plugin file and what its describe() said. `api` is null for a plugin
// that runs in its own process: its code is never loaded into this one.
class LoadedPlugin {
 public:
  LoadedPlugin(std::filesystem::path path, const mi2_plugin_api* api,
               PluginDescription description);

  const std::filesystem::path& path() const { return path_; }
  const PluginDescription& description() const { return description_; }
  const std::string& name() const { return description_.name; }
  const mi2_plugin_api* api() const { return api_; }
  bool serves(std::string_view role, std::string_view action) const;
  bool serves_role(std::string_view role) const;

  // create(config): "plugin 'x' refused its configuration: <last_error>" on failure.
  // Sensitive config values are registered with the redactor before create.
  // Refused for a plugin that runs in its own process (null api).
  Result<std::unique_ptr<PluginInstance>> create(const Json& config,
                                                 const HostEnvironment& environment) const;

 private:
  std::filesystem::path path_;
  const mi2_plugin_api* api_;
  PluginDescription description_;
};

// Registers the values of `config` that `description` marks sensitive with
// the environment's redactor and the global one, before the plugin sees them.
void register_sensitive_config(const PluginDescription& description, const Json& config,
                               const HostEnvironment& environment);

class PluginLoader {
 public:
  // `services`: the table given to each plugin's entry (null: host_services());
  // the plugin server passes its forwarding table. A file's entry runs once
  // per process, so the first loader to load it decides.
  explicit PluginLoader(std::vector<std::filesystem::path> search_dirs,
                        const mi2_host_services* services = nullptr);

  // Loads (once; cached by canonical path) and checks one file. Refusals name
  // the file: not a shared object, no mi2_plugin_entry, entry returned NULL,
  // ABI major mismatch or plugin minor newer than the host ("rebuild the
  // plugin against SDK X.Y"), invalid describe JSON, file or folder writable
  // by others, describe name not matching the file name.
  Result<std::shared_ptr<LoadedPlugin>> load_file(const std::filesystem::path& path);

  // The first mi2-plugin-<name>.so along the search path, loaded.
  Result<std::shared_ptr<LoadedPlugin>> find(const std::string& name);
  // The same file, not loaded (for a plugin run in its own process).
  Result<std::filesystem::path> locate(const std::string& name) const;

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
  const mi2_host_services* services_;
  std::map<std::string, std::shared_ptr<LoadedPlugin>> by_path_;
};

// The file name of plugin `name`: "mi2-plugin-<name>.so".
std::string plugin_file_name(std::string_view name);
// The name a plugin file claims by its file name, or "" when it does not
// follow mi2-plugin-<name>.so.
std::string plugin_name_from_file(const std::filesystem::path& path);

// The search path, in order: each --plugin-dir, each entry of MI2_PLUGIN_PATH
// (colon-separated), then the plugin folder beside the running binary
// (<bin>/../lib/mi2/plugins) when it exists, else the build's plugin folder
// and the configured install folder.
std::vector<std::filesystem::path> plugin_search_path(const std::vector<std::string>& flag_dirs);

}  // namespace mi2
