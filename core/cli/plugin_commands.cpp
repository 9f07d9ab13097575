// mi2 plugin list | describe: what the host finds on its search path, and what
// one plugin serves. Also the hidden `mi2 __plugin-host`, which serves one
// plugin to the mi2 that started it (isolation: process).
#include <fcntl.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <ostream>

#include "core/base/text.h"
#include "core/cli/commands.h"
#include "core/cli/output.h"
#include "core/host/plugin_loader.h"
#include "core/host/plugin_protocol.h"
#include "core/host/plugin_server.h"
#include "core/sys/connected_child.h"

namespace mi2::cli {
namespace {

constexpr const char* kRoleOrder[] = {"render", "healthcheck", "backup", "migrate", "apply", "vcs"};

// Roles in the order a run uses them, not alphabetically.
std::vector<std::string> ordered_roles(const PluginDescription& d) {
  std::vector<std::string> roles;
  for (const char* role : kRoleOrder)
    if (d.roles.count(role)) roles.emplace_back(role);
  return roles;
}

Json search_path_json(const std::vector<std::filesystem::path>& dirs) {
  Json result = Json::array();
  for (const auto& dir : dirs) result.push_back(dir.string());
  return result;
}

Json plugin_json(const LoadedPlugin& plugin) {
  Json doc = Json::parse(plugin.description().describe_json, nullptr, false);
  if (!doc.is_object()) doc = Json::object();
  doc["path"] = plugin.path().string();
  doc["sensitive_config_keys"] = plugin.description().sensitive_config_keys;
  return doc;
}

// The config schema's properties, one per line: "token (string, sensitive)".
void print_config_schema(std::ostream& out, const Json& doc) {
  const Json* properties = nullptr;
  if (doc.contains("config_schema") && doc["config_schema"].is_object() &&
      doc["config_schema"].contains("properties") && doc["config_schema"]["properties"].is_object())
    properties = &doc["config_schema"]["properties"];
  if (!properties || properties->empty()) {
    out << "config: none\n";
    return;
  }
  std::vector<std::string> required;
  if (doc["config_schema"].contains("required") && doc["config_schema"]["required"].is_array())
    for (const auto& r : doc["config_schema"]["required"])
      if (r.is_string()) required.push_back(r.get<std::string>());
  out << "config:\n";
  for (const auto& [key, property] : properties->items()) {
    std::vector<std::string> notes;
    if (property.is_object() && property.contains("type") && property["type"].is_string())
      notes.push_back(property["type"].get<std::string>());
    if (std::find(required.begin(), required.end(), key) != required.end())
      notes.emplace_back("required");
    if (property.is_object() && property.value("sensitive", false) == true)
      notes.emplace_back("sensitive");
    out << "  " << key;
    if (!notes.empty()) out << " (" << join(notes, ", ") << ")";
    if (property.is_object() && property.contains("description") &&
        property["description"].is_string())
      out << ": " << property["description"].get<std::string>();
    out << '\n';
  }
}

}  // namespace

int plugin_list(CommandContext& ctx) {
  int code = 0;
  po::options_description options("Options");
  add_output_options(options);
  auto parsed = parse(ctx, "[--json | -o json] [-q]", options, code, "args", 0);
  if (!parsed) return code;
  auto mode = output_mode(ctx, *parsed, code);
  if (!mode) return code;
  bool as_json = *mode == OutputMode::kJson;

  PluginLoader loader(plugin_search_path(ctx.global.plugin_dirs));
  auto candidates = loader.scan();

  Json plugins = Json::array(), refused = Json::array();
  std::vector<std::vector<std::string>> rows = {{"NAME", "VERSION", "ROLES", "PATH"}};
  for (const auto& candidate : candidates) {
    if (!candidate.plugin) {
      // A refusal never hides the other plugins: one sentence each, on stderr.
      *ctx.err << "mi2 " << ctx.name << ": " << candidate.error << '\n';
      refused.push_back({{"path", candidate.path.string()}, {"error", candidate.error}});
      continue;
    }
    const auto& d = candidate.plugin->description();
    rows.push_back({d.name, d.version, join(ordered_roles(d), ","), candidate.path.string()});
    plugins.push_back(plugin_json(*candidate.plugin));
  }

  if (as_json) {
    Json result = {{"plugins", plugins},
                   {"refused", refused},
                   {"search_path", search_path_json(loader.search_dirs())}};
    *ctx.out << result.dump(2) << '\n';
    return kExitOk;
  }
  if (plugins.empty()) {
    std::vector<std::string> dirs;
    for (const auto& dir : loader.search_dirs()) dirs.push_back(dir.string());
    *ctx.err << "mi2 " << ctx.name << ": no usable plugin was found in " << join(dirs, ", ")
             << "; build the plugins, or pass --plugin-dir or set MI2_PLUGIN_PATH\n";
    return kExitOk;
  }
  if (*mode == OutputMode::kQuiet) {
    for (size_t i = 1; i < rows.size(); ++i) *ctx.out << rows[i][0] << '\n';
    return kExitOk;
  }
  print_table(*ctx.out, rows, style_for(*ctx.out));
  return kExitOk;
}

int plugin_describe(CommandContext& ctx) {
  int code = 0;
  po::options_description options("Options");
  add_output_options(options);
  auto parsed = parse(ctx, "NAME [--json | -o json]", options, code, "name", 1);
  if (!parsed) return code;
  auto mode = output_mode(ctx, *parsed, code);
  if (!mode) return code;
  if (parsed->positional.size() != 1)
    return usage_error(ctx, "give the plugin's name (or the path of its .so file)");
  const std::string& name = parsed->positional[0];

  PluginLoader loader(plugin_search_path(ctx.global.plugin_dirs));
  auto plugin = name.find('/') != std::string::npos ? loader.load_file(name) : loader.find(name);
  if (!plugin) return fail(ctx, plugin.message());
  const LoadedPlugin& p = **plugin;
  const PluginDescription& d = p.description();

  if (*mode == OutputMode::kJson) {
    *ctx.out << plugin_json(p).dump(2) << '\n';
    return kExitOk;
  }
  Json doc = Json::parse(d.describe_json, nullptr, false);
  std::ostream& out = *ctx.out;
  out << d.name << ' ' << d.version;
  if (!d.description.empty()) out << " - " << d.description;
  out << "\npath: " << p.path().string() << "\nroles:\n";
  for (const auto& role : ordered_roles(d))
    out << "  " << role << ": " << join(d.roles.at(role), ", ") << '\n';
  out << "checks: " << (d.checks.empty() ? "none" : join(d.checks, ", ")) << '\n';
  print_config_schema(out, doc.is_object() ? doc : Json::object());
  return kExitOk;
}

int plugin_host(CommandContext& ctx) {
  if (ctx.args.size() != 1 || fcntl(kChildChannelFd, F_GETFD) < 0)
    return fail(ctx, std::string("mi2 starts '") + plugin_protocol::kHostCommand +
                         " PLUGIN_FILE' itself, with its socket on fd " +
                         std::to_string(kChildChannelFd) +
                         ", for a plugin bound with isolation: process; it is not for "
                         "people to run");
  return serve_plugin(ctx.args[0], kChildChannelFd);
}

}  // namespace mi2::cli
