#include "core/fleet/fleet_config.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "core/base/text.h"
#include "core/fleet/fleet.h"
#include "core/fleet/yaml_tree.h"

namespace mi2 {

bool is_plugin_name(std::string_view name) {
  return !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
}

std::optional<Isolation> parse_isolation(std::string_view text) {
  if (text == "process") return Isolation::kProcess;
  if (text == "in-process") return Isolation::kInProcess;
  return std::nullopt;
}

namespace fs = std::filesystem;

namespace {

class ConfigReader {
 public:
  explicit ConfigReader(const fs::path& file) : file_(file) {}

  Error error(const YAML::Node& at, const std::string& key, const std::string& message) const {
    int line = at.Mark().line >= 0 ? at.Mark().line + 1 : 0;
    return make_error(file_.string() + ":" + std::to_string(line) + ": " + key + ": " + message);
  }

  // A plugin name: non-empty, usable in a file name.
  Result<std::string> name(const YAML::Node& node, const std::string& key) const {
    if (!node.IsScalar())
      return error(node, key, "expected a plugin name, found a list or a mapping.");
    const std::string& text = node.Scalar();
    if (text.empty()) return error(node, key, "the plugin name is empty.");
    if (!is_plugin_name(text))
      return error(node, key,
                   "'" + escape_control(text) + "' is not a plugin name (" +
                       std::string(kPluginNameRule) + ").");
    return text;
  }

  // One binding entry: "name" or {plugin: name, config: {...}}.
  Status entry(const YAML::Node& node, const std::string& key, FleetConfig& config,
               std::vector<std::string>& names, const Json& raw_entry) const {
    if (node.IsMap()) {
      const YAML::Node plugin = node["plugin"];
      if (!plugin) return error(node, key, "a binding given as a mapping needs 'plugin: NAME'.");
      for (const auto& item : node) {
        std::string field = item.first.Scalar();
        if (field != "plugin" && field != "config" && field != "isolation")
          return error(item.first, key,
                       "unknown field '" + field + "' (expected plugin, config, isolation).");
      }
      auto plugin_name = name(plugin, key + ".plugin");
      if (!plugin_name) return plugin_name.error();
      if (const YAML::Node isolation = node["isolation"]) {
        Status ok = binding_isolation(isolation, key + ".isolation", *plugin_name, config);
        if (!ok) return ok.error();
      }
      if (const YAML::Node cfg = node["config"]; cfg && !cfg.IsMap() && !cfg.IsNull())
        return error(cfg, key + ".config", "expected a mapping of settings.");
      if (raw_entry.is_object() && raw_entry.contains("config") &&
          raw_entry["config"].is_object()) {
        Json& target = config.plugin_config[*plugin_name];
        if (!target.is_object()) target = Json::object();
        target.merge_patch(raw_entry["config"]);
      }
      names.push_back(*plugin_name);
      return {};
    }
    auto plugin_name = name(node, key);
    if (!plugin_name) return plugin_name.error();
    names.push_back(*plugin_name);
    return {};
  }

  // An isolation value: 'process' or 'in-process'.
  Result<Isolation> isolation(const YAML::Node& node, const std::string& key) const {
    if (!node.IsScalar())
      return error(node, key,
                   "expected " + std::string(kIsolationValues) + ", found a list or a mapping.");
    auto value = parse_isolation(node.Scalar());
    if (!value)
      return error(node, key,
                   "unknown isolation '" + escape_control(node.Scalar()) + "'; use " +
                       kIsolationValues + ".");
    return *value;
  }

 private:
  // One instance serves every role a plugin is bound to, so all its bindings
  // that name an isolation must name the same.
  Status binding_isolation(const YAML::Node& node, const std::string& key,
                           const std::string& plugin, FleetConfig& config) const {
    auto value = isolation(node, key);
    if (!value) return value.error();
    auto [it, added] = config.plugin_isolation.emplace(plugin, *value);
    if (!added && it->second != *value)
      return error(node, key,
                   "plugin '" + plugin +
                       "' is bound with another isolation elsewhere; one instance serves all its "
                       "roles, so give its bindings the same isolation.");
    return {};
  }

  fs::path file_;
};

bool known_role(const std::string& role) {
  for (const char* r : kRoles)
    if (role == r) return true;
  return false;
}

std::string known_roles() {
  std::string out;
  for (const char* r : kRoles) out += (out.empty() ? "" : ", ") + std::string(r);
  return out;
}

}  // namespace

const std::vector<std::string>& FleetConfig::providers(std::string_view role) const {
  static const std::vector<std::string> kNone;
  auto it = roles.find(std::string(role));
  return it == roles.end() ? kNone : it->second;
}

Isolation FleetConfig::isolation_for(const std::string& plugin) const {
  if (auto it = plugin_isolation.find(plugin); it != plugin_isolation.end()) return it->second;
  return isolation.value_or(Isolation::kInProcess);
}

const Json& FleetConfig::config_for(const std::string& plugin) const {
  static const Json kEmpty = Json::object();
  auto it = plugin_config.find(plugin);
  return it == plugin_config.end() ? kEmpty : it->second;
}

Result<FleetConfig> load_fleet_config(const fs::path& mi2_yaml) {
  auto tree = load_yaml_tree(mi2_yaml);  // the one parse of mi2.yaml
  if (!tree) return tree.error();
  const YAML::Node& doc = tree->node;
  FleetConfig config;
  config.raw = tree->json.is_null() ? Json::object() : std::move(tree->json);
  ConfigReader reader(mi2_yaml);
  if (!doc.IsNull() && !doc.IsMap())
    return reader.error(doc, "(top level)",
                        "expected a mapping (roles, plugins, plugin_dirs, isolation, ...).");
  if (doc.IsNull()) return config;

  // plugins first: role-level config merges into it.
  if (const YAML::Node plugins = doc["plugins"]; plugins && !plugins.IsNull()) {
    if (!plugins.IsMap())
      return reader.error(plugins, "plugins", "expected a mapping of plugin name to its config.");
    for (const auto& item : plugins) {
      auto plugin_name = reader.name(item.first, "plugins");
      if (!plugin_name) return plugin_name.error();
      if (!item.second.IsMap() && !item.second.IsNull())
        return reader.error(item.second, "plugins." + *plugin_name,
                            "expected a mapping of settings.");
      const Json& value = config.raw["plugins"][*plugin_name];
      config.plugin_config[*plugin_name] = value.is_object() ? value : Json::object();
    }
  }

  if (const YAML::Node roles = doc["roles"]; roles && !roles.IsNull()) {
    if (!roles.IsMap())
      return reader.error(roles, "roles", "expected a mapping of role to plugin name(s).");
    for (const auto& item : roles) {
      std::string role = item.first.Scalar();
      std::string key = "roles." + role;
      if (!known_role(role))
        return reader.error(item.first, key,
                            "unknown role '" + role + "'; the roles are " + known_roles() + ".");
      std::vector<std::string> names;
      const Json& raw_binding = config.raw["roles"][role];
      if (item.second.IsSequence()) {
        size_t index = 0;
        for (const auto& entry : item.second) {
          std::string entry_key = key + "[" + std::to_string(index) + "]";
          Status ok = reader.entry(entry, entry_key, config, names, raw_binding[index]);
          if (!ok) return ok.error();
          ++index;
        }
      } else if (item.second.IsNull()) {
        return reader.error(item.first, key, "no plugin given; name one or remove the role.");
      } else {
        Status ok = reader.entry(item.second, key, config, names, raw_binding);
        if (!ok) return ok.error();
      }
      for (size_t i = 0; i < names.size(); ++i) {
        if (std::find(names.begin(), names.begin() + i, names[i]) != names.begin() + i)
          return reader.error(item.second, key, "plugin '" + names[i] + "' is bound twice.");
      }
      config.roles[role] = std::move(names);
    }
  }

  if (const YAML::Node isolation = doc["isolation"]; isolation && !isolation.IsNull()) {
    auto value = reader.isolation(isolation, "isolation");
    if (!value) return value.error();
    config.isolation = *value;
  }

  fs::path root = fs::absolute(mi2_yaml).parent_path();
  if (const YAML::Node dirs = doc["plugin_dirs"]; dirs && !dirs.IsNull()) {
    std::vector<YAML::Node> items;
    if (dirs.IsScalar()) {
      items.push_back(dirs);
    } else if (dirs.IsSequence()) {
      for (const auto& d : dirs) items.push_back(d);
    } else {
      return reader.error(dirs, "plugin_dirs", "expected a folder or a list of folders.");
    }
    for (const auto& d : items) {
      if (!d.IsScalar() || d.Scalar().empty())
        return reader.error(d, "plugin_dirs", "expected a folder path.");
      fs::path p = d.Scalar();
      config.plugin_dirs.push_back((p.is_absolute() ? p : root / p).lexically_normal());
    }
  }
  return config;
}

}  // namespace mi2
