// mi2: parses the command's name and dispatches. Nothing else lives here.
#include <filesystem>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/version.h"
#include "core/cli/commands.h"

namespace {

using mi2::cli::CommandContext;

struct CommandEntry {
  std::string_view name;  // words, space-separated
  std::string_view summary;
  int (*run)(CommandContext&);
};

constexpr CommandEntry kCommands[] = {
    {"instance get", "Print an instance's config.yaml as JSON", mi2::cli::instance_get},
    {"instance list", "Print an environment's instances as a JSON array", mi2::cli::instance_list},
    {"instance upgrade", "Upgrade an instance to a version (the upgrade-instance recipe)",
     mi2::cli::instance_upgrade},
    {"instance check", "Run health checks on an instance", mi2::cli::instance_check},
    {"instance rollback", "Roll the workload back to the version before the last upgrade",
     mi2::cli::instance_rollback},
    {"instance unlock", "Release an instance's run lock by its lock id", mi2::cli::instance_unlock},
    {"instance workon", "Print (or run) the commands that target the instance's cluster",
     mi2::cli::instance_workon},
    {"instance backup", "List or create checkpoints of an instance", mi2::cli::instance_backup},
    {"instance restore", "Restore an instance from a checkpoint", mi2::cli::instance_restore},
    {"instance db", "Show or repair the instance database's migration state",
     mi2::cli::instance_db},
    {"env create-tracking-issue", "Create (or find) the tracking issue for a version",
     mi2::cli::env_create_tracking_issue},
    {"env workflow run", "Render or dispatch a workflow for every selected instance",
     mi2::cli::env_workflow_run},
    {"env workflow status", "Watch a dispatched batch's CI runs until they finish",
     mi2::cli::env_workflow_status},
    {"env upgrade", "Upgrade the selected instances of an environment in waves",
     mi2::cli::env_upgrade_batch},
    {"plugin list", "List the plugins found on the search path", mi2::cli::plugin_list},
    {"plugin describe", "Show a plugin's roles, actions, checks and config schema",
     mi2::cli::plugin_describe},
    {"run list", "List an instance's runs", mi2::cli::run_list},
    {"run show", "Show a run's journal", mi2::cli::run_show},
    {"pr", "Review upgrade pull requests on any forge (list|view|approve|merge)",
     mi2::cli::pr_command},
};

void print_commands(std::ostream& os, std::string_view prefix) {
  os << "Usage: mi2 " << (prefix.empty() ? "<command>" : std::string(prefix) + " <command>")
     << " [options]\n\nCommands:\n";
  for (const auto& c : kCommands) {
    if (!prefix.empty() && c.name.substr(0, prefix.size() + 1) != std::string(prefix) + " ")
      continue;
    os << "  mi2 " << c.name;
    for (size_t pad = c.name.size(); pad < 28; ++pad) os << ' ';
    os << c.summary << '\n';
  }
  os << "\nEvery command takes --help. Options may be spelled -flag or --flag.\n"
        "Global options: --plugin-dir DIR, --log-format text|json, -v.\n";
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  // Global options may come before the command: move them after it.
  std::vector<std::string> leading;
  while (!args.empty()) {
    const std::string& a = args[0];
    bool takes_value =
        a == "--plugin-dir" || a == "-plugin-dir" || a == "--log-format" || a == "-log-format";
    bool flag = a == "-v" || a == "--verbose" || a.rfind("--plugin-dir=", 0) == 0 ||
                a.rfind("--log-format=", 0) == 0;
    if (!takes_value && !flag) break;
    size_t n = takes_value && args.size() > 1 ? 2 : 1;
    leading.insert(leading.end(), args.begin(), args.begin() + static_cast<long>(n));
    args.erase(args.begin(), args.begin() + static_cast<long>(n));
  }
  if (args.empty() || args[0] == "--help" || args[0] == "-help" || args[0] == "-h" ||
      args[0] == "help") {
    print_commands(std::cout, "");
    return args.empty() ? mi2::cli::kExitUsage : mi2::cli::kExitOk;
  }
  if (args[0] == "--version" || args[0] == "-version") {
    std::cout << "mi2 " << mi2::kVersion << " (plugin ABI " << MI2_ABI_VERSION_MAJOR << '.'
              << MI2_ABI_VERSION_MINOR << ")\n";
    return mi2::cli::kExitOk;
  }

  // The longest command name that prefixes the arguments.
  const CommandEntry* best = nullptr;
  size_t best_words = 0;
  for (const auto& c : kCommands) {
    std::vector<std::string> words;
    for (size_t start = 0; start <= c.name.size();) {
      size_t end = c.name.find(' ', start);
      if (end == std::string_view::npos) end = c.name.size();
      words.emplace_back(c.name.substr(start, end - start));
      start = end + 1;
    }
    if (words.size() > args.size() || words.size() <= best_words) continue;
    if (std::equal(words.begin(), words.end(), args.begin())) {
      best = &c;
      best_words = words.size();
    }
  }
  if (!best) {
    bool is_group = false;
    for (const auto& c : kCommands)
      is_group |= c.name.substr(0, args[0].size() + 1) == args[0] + " ";
    if (is_group && (args.size() == 1 || args[1] == "--help" || args[1] == "-h")) {
      print_commands(std::cout, args[0]);
      return args.size() == 1 ? mi2::cli::kExitUsage : mi2::cli::kExitOk;
    }
    std::cerr << "mi2: unknown command '" << args[0]
              << (args.size() > 1 && is_group ? " " + args[1] : "")
              << "'; run 'mi2 --help' for the list of commands.\n";
    return mi2::cli::kExitUsage;
  }

  CommandContext ctx;
  ctx.name = std::string(best->name);
  ctx.summary = std::string(best->summary);
  ctx.args.assign(args.begin() + static_cast<long>(best_words), args.end());
  ctx.args.insert(ctx.args.end(), leading.begin(), leading.end());
  std::error_code ec;
  ctx.cwd = std::filesystem::current_path(ec);
  ctx.out = &std::cout;
  ctx.err = &std::cerr;
  return best->run(ctx);
}
