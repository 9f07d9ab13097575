// `mi2 completion bash|zsh|fish` prints a completion script generated from the
// command table; `mi2 __complete KIND` (hidden) prints the values the scripts
// read from the fleet at completion time, one per line, and nothing on error.
#include <algorithm>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "core/cli/command_table.h"
#include "core/cli/commands.h"
#include "core/cli/completion.h"
#include "core/cli/session.h"
#include "core/engine/engine.h"
#include "core/engine/run_history.h"
#include "core/fleet/fleet_scan.h"
#include "core/host/plugin_loader.h"

namespace mi2::cli {
namespace {

// The options of `entry` (with `args` first, for a subcommand of its own).
CommandSpec describe(const CommandEntry& entry, const std::vector<std::string>& args) {
  CommandSpec spec;
  std::ostringstream sink;
  CommandContext ctx;
  ctx.name = std::string(entry.name);
  ctx.args = args;
  ctx.out = &sink;
  ctx.err = &sink;
  ctx.describe = &spec;
  entry.run(ctx);
  return spec;
}

CommandSpec global_spec() {
  CommandSpec spec;
  CommandContext ctx;
  std::ostringstream sink;
  ctx.out = ctx.err = &sink;
  ctx.describe = &spec;
  int code = 0;
  (void)parse(ctx, "", po::options_description(), code);
  spec.positional = false;
  return spec;
}

std::vector<std::string> split_words(std::string_view text) {
  std::vector<std::string> words;
  std::istringstream in{std::string(text)};
  for (std::string w; in >> w;) words.push_back(w);
  return words;
}

void print_lines(const CommandContext& ctx, const std::vector<std::string>& values) {
  std::set<std::string> seen;
  for (const auto& v : values)
    if (!v.empty() && seen.insert(v).second) *ctx.out << v << '\n';
}

std::vector<std::string> environment_values(const Fleet& fleet) {
  auto envs = fleet.environments();
  return envs ? *envs : std::vector<std::string>{};
}

std::vector<std::string> slug_values(const Fleet& fleet, const CommandContext& ctx,
                                     const std::string& environment) {
  std::vector<std::string> envs;
  if (!environment.empty())
    envs.push_back(environment);
  else if (auto here = fleet.infer(ctx.cwd))
    envs.push_back(here->environment);
  else
    envs = environment_values(fleet);
  std::vector<std::string> values;
  for (const auto& env : envs) {
    auto scanned = scan_instances(fleet, env, ScanOptions{});
    if (!scanned) continue;
    for (const auto& one : *scanned) {
      values.push_back(slug_of(one.instance, one.ref.id));
      values.push_back(one.ref.id);
    }
  }
  return values;
}

std::vector<std::string> plugin_values(const CommandContext& ctx) {
  auto dirs = plugin_search_path(ctx.global.plugin_dirs);
  if (auto fleet = Fleet::discover(ctx.cwd))
    if (auto config = load_fleet_config(fleet->config_file()))
      dirs.insert(dirs.begin(), config->plugin_dirs.begin(), config->plugin_dirs.end());
  std::vector<std::string> names;
  const std::string prefix = "mi2-plugin-", suffix = ".so";
  for (const auto& dir : dirs) {
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
      std::string file = entry.path().filename().string();
      if (file.size() > prefix.size() + suffix.size() && file.rfind(prefix, 0) == 0 &&
          file.compare(file.size() - suffix.size(), suffix.size(), suffix) == 0)
        names.push_back(file.substr(prefix.size(), file.size() - prefix.size() - suffix.size()));
    }
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::vector<std::string> instance_values(const CommandContext& ctx, const std::string& kind,
                                         const std::string& environment, const std::string& slug) {
  auto session = open_instance_session(
      ctx, environment, slug,
      kind == "checks" ? std::vector<std::string>{"healthcheck"} : std::vector<std::string>{});
  if (!session) return {};
  std::vector<std::string> values;
  if (kind == "runs") {
    for (const auto& path : run_journals(runs_dir(*session->fleet, session->instance)))
      values.push_back(path.stem().string());
    return values;
  }
  for (Provider* p : session->providers->for_role("healthcheck"))
    for (const auto& check : p->plugin->description().checks) values.push_back(check);
  return values;
}

}  // namespace

std::vector<CompletionPath> completion_paths() {
  std::map<std::string, CompletionPath> by_path;
  std::vector<std::string> order;
  CommandSpec globals = global_spec();
  auto add = [&](const std::string& path, CommandSpec spec) -> CompletionPath& {
    auto [it, inserted] = by_path.emplace(path, CompletionPath{path, std::move(spec), {}, ""});
    if (inserted) order.push_back(path);
    return it->second;
  };
  add("", globals);
  for (const auto& entry : command_table()) {
    if (entry.hidden) continue;
    std::vector<std::string> words = split_words(entry.name);
    std::string prefix;
    for (size_t i = 0; i < words.size(); ++i) {
      CompletionPath& parent = add(prefix, globals);
      if (std::find(parent.next.begin(), parent.next.end(), words[i]) == parent.next.end())
        parent.next.push_back(words[i]);
      prefix += (prefix.empty() ? "" : " ") + words[i];
    }
    CompletionPath& command = add(prefix, {});
    command.spec = describe(entry, {});
    command.positional = std::string(entry.positional_values);
    for (const auto& sub : split_words(entry.subcommands)) {
      command.next.push_back(sub);
      add(prefix + " " + sub, describe(entry, {sub}));
    }
  }
  std::vector<CompletionPath> paths;
  for (const auto& path : order) paths.push_back(by_path.at(path));
  return paths;
}

std::string option_values(const std::string& long_name) {
  static const std::map<std::string, std::string> kValues = {
      {"environment", "environments"},
      {"slug", "slugs"},
      {"provider", "plugins"},
      {"resume", "runs"},
      {"plugin-dir", "dirs"},
      {"log-format", "text json"},
      {"isolation", "process in-process"},
      {"format", "text json"},
      {"output", "json table"},
      {"state", "open closed merged all"},
  };
  auto it = kValues.find(long_name);
  return it == kValues.end() ? "" : it->second;
}

bool is_dynamic_kind(const std::string& kind) {
  return kind == "environments" || kind == "slugs" || kind == "plugins" || kind == "runs" ||
         kind == "checks";
}

int completion(CommandContext& ctx) {
  int code = 0;
  po::options_description options("Options");
  auto parsed = parse(ctx,
                      "bash|zsh|fish\n\n"
                      "  bash: source <(mi2 completion bash)   (or save it as\n"
                      "        /etc/bash_completion.d/mi2)\n"
                      "  zsh:  source <(mi2 completion zsh)    (or save it as _mi2 on $fpath)\n"
                      "  fish: mi2 completion fish > ~/.config/fish/completions/mi2.fish",
                      options, code, "shell", 1);
  if (!parsed) return code;
  std::string shell = parsed->positional.empty() ? "" : parsed->positional[0];
  auto paths = completion_paths();
  if (shell == "bash") {
    *ctx.out << bash_script(paths);
  } else if (shell == "zsh") {
    *ctx.out << zsh_script(paths);
  } else if (shell == "fish") {
    *ctx.out << fish_script(paths);
  } else {
    return usage_error(ctx, shell.empty() ? "name the shell: bash, zsh or fish"
                                          : "no completion for '" + shell +
                                                "'; the shells are bash, zsh and fish");
  }
  return kExitOk;
}

int complete_values(CommandContext& ctx) {
  int code = 0;
  po::options_description options("Options");
  add_instance_options(options);
  auto parsed = parse(ctx, "environments|slugs|plugins|runs|checks [-e ENV] [--slug S]", options,
                      code, "kind", 1);
  if (!parsed) return code;
  std::string kind = parsed->positional.empty() ? "" : parsed->positional[0];
  std::string environment = option_string(*parsed, "environment");
  std::string slug = option_string(*parsed, "slug");
  if (kind == "plugins") {
    print_lines(ctx, plugin_values(ctx));
    return kExitOk;
  }
  if (kind == "runs" || kind == "checks") {
    print_lines(ctx, instance_values(ctx, kind, environment, slug));
    return kExitOk;
  }
  auto fleet = Fleet::discover(ctx.cwd);
  if (!fleet) return kExitOk;  // outside a fleet: nothing to offer
  if (kind == "environments") print_lines(ctx, environment_values(*fleet));
  if (kind == "slugs") print_lines(ctx, slug_values(*fleet, ctx, environment));
  return kExitOk;
}

}  // namespace mi2::cli
