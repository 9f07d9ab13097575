#include "core/host/plugin_loader.h"

#include <dlfcn.h>
#include <sys/stat.h>

#include <algorithm>
#include <boost/dll/shared_library.hpp>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <type_traits>

#include "core/base/redactor.h"
#include "core/base/text.h"
#include "core/fleet/fleet_config.h"
#include "core/host/plugin_loader_elf.h"
#include "core/host/plugin_status.h"

namespace mi2 {
namespace fs = std::filesystem;

namespace {

const std::string kHostAbi =
    std::to_string(MI2_ABI_VERSION_MAJOR) + "." + std::to_string(MI2_ABI_VERSION_MINOR);

// What one library gave us, kept for the life of the process: the entry is
// called once per process, and the code must stay mapped while any table or
// string it returned may still be used (i.e. until exit).
struct LibraryRecord {
  boost::dll::shared_library library;
  const mi2_plugin_api* api = nullptr;
  std::string error;  // a refusal sentence (dlopen, symbol or entry); empty on success
};

std::mutex& registry_mutex() {
  static auto* mutex = new std::mutex();  // never destroyed: used until exit
  return *mutex;
}
std::map<std::string, LibraryRecord*>& registry() {
  static auto* libraries = new std::map<std::string, LibraryRecord*>();  // never unloaded
  return *libraries;
}

const LibraryRecord& open_library(const fs::path& canonical, const std::string& shown,
                                  const mi2_host_services* services) {
  std::lock_guard lock(registry_mutex());
  auto found = registry().find(canonical.string());
  if (found != registry().end()) return *found->second;
  auto* record = new LibraryRecord();
  registry().emplace(canonical.string(), record);

  boost::dll::fs::error_code ec;
  dlerror();
  record->library.load(canonical,
                       boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local, ec);
  if (ec || !record->library.is_loaded()) {
    const char* reason = dlerror();
    record->error = "plugin file '" + shown +
                    "' cannot be loaded: " + (reason ? std::string(reason) : ec.message()) +
                    "; rebuild it for this machine or remove it from the plugin folder";
    return *record;
  }
  if (!record->library.has(MI2_PLUGIN_ENTRY_SYMBOL)) {
    record->error = "plugin file '" + shown +
                    "' has no '" MI2_PLUGIN_ENTRY_SYMBOL
                    "' symbol, so it is not an mi2 plugin; build it with mi2_add_plugin() and "
                    "export the entry (MI2_PLUGIN in C++)";
    return *record;
  }
  mi2_plugin_entry_fn entry =
      &record->library.get<std::remove_pointer_t<mi2_plugin_entry_fn>>(MI2_PLUGIN_ENTRY_SYMBOL);
  const char* reason = nullptr;
  record->api = entry(MI2_ABI_VERSION_MAJOR, MI2_ABI_VERSION_MINOR, services, &reason);
  if (!record->api) {
    record->error = "plugin '" + shown + "' refused to load: " +
                    (reason && reason[0] ? std::string(reason) : "its entry gave no reason");
  }
  return *record;
}

// "writable by group or others" check for the file and its folder: whoever can
// write there can make mi2 run their code.
std::optional<std::string> writable_by_others(const fs::path& file) {
  for (const fs::path& path : {file, file.parent_path()}) {
    struct stat st {};
    if (stat(path.c_str(), &st) != 0) continue;
    if (st.st_mode & (S_IWGRP | S_IWOTH)) {
      bool folder = S_ISDIR(st.st_mode);
      return "refusing to load plugin '" + file.string() + "' because " +
             (folder ? "its folder '" + path.string() + "'" : std::string("the file")) +
             " is writable by group or others; run 'chmod go-w " + path.string() + "'";
    }
  }
  return std::nullopt;
}

std::optional<std::string> check_api(const mi2_plugin_api* api, const std::string& shown) {
  if (!MI2_HAS_FIELD(api, mi2_plugin_api, abi_minor)) {
    return "plugin '" + shown + "' returned a function table of " +
           std::to_string(api->struct_size) +
           " bytes, too small to say its ABI version; rebuild "
           "the plugin against SDK " +
           kHostAbi;
  }
  std::string theirs = std::to_string(api->abi_major) + "." + std::to_string(api->abi_minor);
  if (api->abi_major != MI2_ABI_VERSION_MAJOR) {
    return "plugin '" + shown + "' was built for plugin ABI " + theirs +
           " but this mi2 speaks ABI " + kHostAbi + "; rebuild the plugin against SDK " + kHostAbi;
  }
  if (api->abi_minor > MI2_ABI_VERSION_MINOR) {
    return "plugin '" + shown + "' was built for plugin ABI " + theirs +
           ", newer than this mi2's ABI " + kHostAbi + "; rebuild the plugin against SDK " +
           kHostAbi + " or upgrade mi2";
  }
  if (!MI2_HAS_FIELD(api, mi2_plugin_api, destroy)) {
    return "plugin '" + shown + "' returned a function table of " +
           std::to_string(api->struct_size) + " bytes, smaller than the " +
           std::to_string(sizeof(mi2_plugin_api)) + " bytes of ABI " + kHostAbi +
           "; rebuild the plugin against SDK " + kHostAbi;
  }
  if (!api->describe || !api->create || !api->invoke || !api->last_error || !api->destroy) {
    return "plugin '" + shown +
           "' leaves a required function (describe, create, invoke, "
           "last_error, destroy) empty; rebuild the plugin against SDK " +
           kHostAbi;
  }
  return std::nullopt;
}

std::optional<std::vector<std::string>> string_array(const Json& value) {
  if (!value.is_array()) return std::nullopt;
  std::vector<std::string> result;
  for (const auto& item : value) {
    if (!item.is_string()) return std::nullopt;
    result.push_back(item.get<std::string>());
  }
  return result;
}

}  // namespace

Result<PluginDescription> parse_description(const char* text) {
  if (!text) return make_error("describe() returned nothing");
  Json doc = Json::parse(text, nullptr, false);
  if (doc.is_discarded()) return make_error("its describe() document is not JSON");
  if (!doc.is_object()) return make_error("its describe() document is not a JSON object");
  PluginDescription d;
  d.describe_json = text;
  if (doc.contains("describe_error") && doc["describe_error"].is_string())
    return make_error("its describe() failed: " + doc["describe_error"].get<std::string>());
  if (!doc.contains("name") || !doc["name"].is_string())
    return make_error("its describe() document has no \"name\" string");
  d.name = doc["name"].get<std::string>();
  if (!is_plugin_name(d.name))
    return make_error("its describe() name '" + escape_control(d.name) +
                      "' is not a plugin name (" + kPluginNameRule + ")");
  if (!doc.contains("version") || !doc["version"].is_string() ||
      doc["version"].get<std::string>().empty())
    return make_error("its describe() document has no \"version\" string");
  d.version = doc["version"].get<std::string>();
  if (doc.contains("description") && doc["description"].is_string())
    d.description = doc["description"].get<std::string>();
  if (!doc.contains("roles") || !doc["roles"].is_object())
    return make_error("its describe() document has no \"roles\" object");
  for (const auto& [role, actions] : doc["roles"].items()) {
    if (std::find(std::begin(kRoles), std::end(kRoles), role) == std::end(kRoles))
      return make_error("its describe() document names the unknown role '" + escape_control(role) +
                        "' (roles are render, healthcheck, backup, migrate, apply, vcs)");
    auto list = string_array(actions);
    if (!list || list->empty())
      return make_error("its describe() role '" + role + "' is not a list of action names");
    d.roles[role] = *list;
  }
  if (d.roles.empty()) return make_error("its describe() document serves no role");
  if (doc.contains("checks")) {
    auto checks = string_array(doc["checks"]);
    if (!checks) return make_error("its describe() \"checks\" is not a list of names");
    d.checks = *checks;
  }
  if (doc.contains("version_checks")) {
    auto version_checks = string_array(doc["version_checks"]);
    if (!version_checks)
      return make_error("its describe() \"version_checks\" is not a list of names");
    for (const std::string& name : *version_checks)
      if (std::find(d.checks.begin(), d.checks.end(), name) == d.checks.end())
        return make_error("its describe() \"version_checks\" names '" + name +
                          "', which is not one of its \"checks\"");
    d.version_checks = *version_checks;
  }
  if (doc.contains("config_schema")) {
    const Json& schema = doc["config_schema"];
    if (!schema.is_object())
      return make_error("its describe() \"config_schema\" is not a JSON object");
    if (schema.contains("properties") && schema["properties"].is_object()) {
      for (const auto& [key, property] : schema["properties"].items())
        if (property.is_object() && property.value("sensitive", false) == true)
          d.sensitive_config_keys.push_back(key);
    }
  }
  return d;
}

// --- InProcessInstance -------------------------------------------------------

InProcessInstance::InProcessInstance(const mi2_plugin_api* api,
                                     std::unique_ptr<HostContext> context,
                                     mi2_plugin_instance* handle)
    : PluginInstance(std::move(context)), api_(api), handle_(handle) {}

InProcessInstance::~InProcessInstance() {
  // The instance goes first: it may still hold its context until destroy returns.
  if (handle_) api_->destroy(handle_);
}

PluginInstance::Outcome InProcessInstance::invoke(std::string_view role, std::string_view action,
                                                  const std::string& input_json) {
  Outcome outcome;
  const char* output = nullptr;
  std::string role_text(role), action_text(action);
  outcome.status = known_status(
      api_->invoke(handle_, role_text.c_str(), action_text.c_str(), input_json.c_str(), &output));
  outcome.output_json = output && output[0] ? output : "{}";
  if (outcome.status != MI2_OK) {
    const char* error = api_->last_error(handle_);
    outcome.error = error ? error : "";
  }
  return outcome;
}

// --- LoadedPlugin ------------------------------------------------------------

LoadedPlugin::LoadedPlugin(fs::path path, const mi2_plugin_api* api, PluginDescription description)
    : path_(std::move(path)), api_(api), description_(std::move(description)) {}

bool LoadedPlugin::serves(std::string_view role, std::string_view action) const {
  auto found = description_.roles.find(std::string(role));
  if (found == description_.roles.end()) return false;
  return std::find(found->second.begin(), found->second.end(), action) != found->second.end();
}

bool LoadedPlugin::serves_role(std::string_view role) const {
  return description_.roles.count(std::string(role)) > 0;
}

void register_sensitive_config(const PluginDescription& description, const Json& config,
                               const HostEnvironment& environment) {
  if (!config.is_object()) return;
  for (const auto& key : description.sensitive_config_keys) {
    auto found = config.find(key);
    if (found == config.end() || found->is_null()) continue;
    std::string secret = found->is_string() ? found->get<std::string>() : found->dump();
    if (environment.redactor) environment.redactor->add(secret);
    SecretRedactor::global().add(secret);
  }
}

Result<std::unique_ptr<PluginInstance>> LoadedPlugin::create(
    const Json& config, const HostEnvironment& environment) const {
  if (!api_)
    return make_error("plugin '" + name() +
                      "' runs in its own process (isolation: process), so it is not created "
                      "in this one; this is a bug in mi2");
  // Secrets are masked before the plugin can log or echo them.
  register_sensitive_config(description_, config, environment);
  auto context = std::make_unique<HostContext>(name(), environment);
  std::string config_json = config.is_null() ? "{}" : config.dump();
  mi2_plugin_instance* handle = nullptr;
  mi2_status status = known_status(api_->create(context->handle(), config_json.c_str(), &handle));
  if (status != MI2_OK) {
    std::string reason;
    if (handle) {
      const char* error = api_->last_error(handle);
      reason = error ? error : "";
      api_->destroy(handle);
    }
    if (reason.empty())
      reason = "it gave no reason (status " + std::string(status_name(status)) + ")";
    return make_error("plugin '" + name() + "' refused its configuration: " + reason);
  }
  if (!handle)
    return make_error("plugin '" + name() +
                      "' reported success but created no instance; "
                      "this is a bug in the plugin");
  return std::unique_ptr<PluginInstance>(
      std::make_unique<InProcessInstance>(api_, std::move(context), handle));
}

// --- PluginLoader ------------------------------------------------------------

PluginLoader::PluginLoader(std::vector<fs::path> search_dirs, const mi2_host_services* services)
    : search_dirs_(std::move(search_dirs)), services_(services ? services : host_services()) {}

Result<std::shared_ptr<LoadedPlugin>> PluginLoader::load_file(const fs::path& path) {
  const std::string shown = path.string();
  std::error_code ec;
  fs::path canonical = fs::canonical(path, ec);
  if (ec || !fs::is_regular_file(canonical, ec))
    return make_error("plugin file '" + shown + "' does not exist or is not a regular file");
  if (auto cached = by_path_.find(canonical.string()); cached != by_path_.end())
    return cached->second;

  // Checked before any of its code runs.
  if (auto refusal = writable_by_others(path)) return make_error(*refusal);
  if (canonical != path)
    if (auto refusal = writable_by_others(canonical)) return make_error(*refusal);
  // A truncated file would be mapped past its end: SIGBUS inside dlopen.
  if (auto refusal = elf_refusal(canonical, shown)) return make_error(*refusal);
  const LibraryRecord& library = open_library(canonical, shown, services_);
  if (!library.api) return make_error(library.error);
  if (auto refusal = check_api(library.api, shown)) return make_error(*refusal);

  auto description = parse_description(library.api->describe());
  if (!description)
    return make_error("plugin '" + shown + "' is refused: " + description.message() +
                      "; fix the plugin's describe()");
  std::string file_name = plugin_name_from_file(path);
  if (file_name != description->name) {
    return make_error("plugin file '" + shown + "' calls itself '" + description->name +
                      "', so it must be named '" + plugin_file_name(description->name) +
                      "'; rename the file");
  }
  auto plugin = std::make_shared<LoadedPlugin>(path, library.api, std::move(*description));
  by_path_[canonical.string()] = plugin;
  return plugin;
}

Result<std::shared_ptr<LoadedPlugin>> PluginLoader::find(const std::string& name) {
  auto file = locate(name);
  if (!file) return file.error();
  return load_file(*file);
}

Result<fs::path> PluginLoader::locate(const std::string& name) const {
  if (!is_plugin_name(name))
    return make_error("'" + escape_control(name) + "' is not a plugin name (" + kPluginNameRule +
                      ")");
  std::string searched;
  for (const auto& dir : search_dirs_) {
    fs::path candidate = dir / plugin_file_name(name);
    std::error_code ec;
    if (fs::exists(candidate, ec)) return candidate;
    searched += (searched.empty() ? "" : ", ") + dir.string();
  }
  return make_error("no plugin named '" + name + "' (file " + plugin_file_name(name) +
                    ") was found in " + (searched.empty() ? "an empty search path" : searched) +
                    "; build it, or pass --plugin-dir or set MI2_PLUGIN_PATH");
}

std::vector<PluginLoader::Candidate> PluginLoader::scan() {
  std::vector<Candidate> result;
  std::map<std::string, fs::path> seen;  // plugin name -> first file
  std::set<std::string> dirs_done;
  for (const auto& dir : search_dirs_) {
    std::error_code ec;
    fs::path canonical_dir = fs::canonical(dir, ec);
    if (ec || !fs::is_directory(canonical_dir, ec)) continue;
    if (!dirs_done.insert(canonical_dir.string()).second) continue;
    std::vector<fs::path> files;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
      if (!plugin_name_from_file(it->path()).empty()) files.push_back(it->path());
    }
    std::sort(files.begin(), files.end());
    for (const auto& file : files) {
      Candidate candidate;
      candidate.path = file;
      std::string name = plugin_name_from_file(file);
      if (auto first = seen.find(name); first != seen.end()) {
        candidate.error = "plugin file '" + file.string() + "' is shadowed by '" +
                          first->second.string() + "', which comes first on the search path";
        result.push_back(std::move(candidate));
        continue;
      }
      seen.emplace(name, file);
      auto loaded = load_file(file);
      if (loaded)
        candidate.plugin = *loaded;
      else
        candidate.error = loaded.message();
      result.push_back(std::move(candidate));
    }
  }
  return result;
}

std::string plugin_name_from_file(const fs::path& path) {
  std::string file = path.filename().string();
  const std::string prefix = "mi2-plugin-", suffix = ".so";
  if (file.size() <= prefix.size() + suffix.size() || file.rfind(prefix, 0) != 0 ||
      file.compare(file.size() - suffix.size(), suffix.size(), suffix) != 0)
    return {};
  return file.substr(prefix.size(), file.size() - prefix.size() - suffix.size());
}

std::string plugin_file_name(std::string_view name) {
  return "mi2-plugin-" + std::string(name) + ".so";
}

std::vector<fs::path> plugin_search_path(const std::vector<std::string>& flag_dirs) {
  std::vector<fs::path> dirs;
  // Absolute, so every path a user sees (lists, refusals) is unambiguous.
  auto add = [&dirs](const std::string& dir) {
    std::error_code ec;
    fs::path absolute = fs::absolute(dir, ec);
    dirs.push_back(ec ? fs::path(dir) : absolute);
  };
  for (const auto& dir : flag_dirs)
    if (!dir.empty()) add(dir);
  if (const char* env = std::getenv("MI2_PLUGIN_PATH")) {
    std::string value = env;
    size_t start = 0;
    while (start <= value.size()) {
      size_t end = value.find(':', start);
      if (end == std::string::npos) end = value.size();
      if (end > start) add(value.substr(start, end - start));
      start = end + 1;
    }
  }
  // An installed mi2 (a package, a tarball unpacked anywhere) uses the plugin
  // folder beside its own binary, and only that; a build tree's mi2 (and the
  // test binaries) use the build's folder, then the configured install folder.
  std::error_code ec;
  fs::path exe = fs::canonical("/proc/self/exe", ec);
  fs::path beside =
      ec ? fs::path() : (exe.parent_path() / MI2_RELATIVE_PLUGIN_DIR).lexically_normal();
  if (!beside.empty() && fs::is_directory(beside, ec)) {
    dirs.push_back(beside);
    return dirs;
  }
  dirs.emplace_back(MI2_BUILD_PLUGIN_DIR);
  dirs.emplace_back(MI2_INSTALL_PLUGIN_DIR);
  return dirs;
}

}  // namespace mi2
