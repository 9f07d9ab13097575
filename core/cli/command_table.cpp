#include "core/cli/command_table.h"

#include <algorithm>
#include <string>
#include <vector>

#include "core/cli/commands.h"

namespace mi2::cli {
namespace {

constexpr CommandEntry kCommands[] = {
    {"instance get", "Print an instance's config.yaml as JSON", instance_get},
    {"instance list", "List an environment's instances (a table; --json for the JSON array)",
     instance_list},
    {"instance upgrade", "Upgrade an instance to a version (the upgrade-instance recipe)",
     instance_upgrade},
    {"instance check", "Run health checks on an instance", instance_check, {}, "checks"},
    {"instance rollback", "Roll the workload back to the version before the last upgrade",
     instance_rollback},
    {"instance unlock", "Release an instance's run lock by its lock id", instance_unlock},
    {"instance workon", "Print (or run) the commands that target the instance's cluster",
     instance_workon},
    {"instance backup", "List or create checkpoints of an instance", instance_backup,
     "list create"},
    {"instance restore", "Restore an instance from a checkpoint", instance_restore, "create"},
    {"instance db", "Show or repair the instance database's migration state", instance_db,
     "status repair"},
    {"env create-tracking-issue", "Create (or find) the tracking issue for a version",
     env_create_tracking_issue},
    {"env tracking-issue",
     "Update a version's tracking issue: tick merged upgrades, mark failed runs (sync)",
     env_tracking_issue, "sync"},
    {"env workflow run", "Render or dispatch a workflow for every selected instance",
     env_workflow_run},
    {"env workflow status", "Watch a dispatched batch's CI runs until they finish",
     env_workflow_status},
    {"env upgrade", "Upgrade the selected instances of an environment in waves", env_upgrade_batch},
    {"env status",
     "Where an environment stands: each instance's version, last run, upgrade PR and lock",
     env_status},
    {"plugin list", "List the plugins found on the search path", plugin_list},
    {"plugin describe",
     "Show a plugin's roles, actions, checks and config schema",
     plugin_describe,
     {},
     "plugins"},
    {"run list", "List an instance's runs", run_list},
    {"run show", "Show a run's journal", run_show, {}, "runs"},
    {"pr", "Review upgrade pull requests on any forge (list|view|approve|merge)", pr_command,
     "list view approve merge"},
    {"completion", "Print the shell completion script: mi2 completion bash|zsh|fish", completion,
     "bash zsh fish"},
    {"__complete",
     "Print completion values (environments, slugs, plugins, runs, checks)",
     complete_values,
     {},
     {},
     true},
    {"__plugin-host",
     "Serve one plugin to the mi2 that started this process (isolation: process)",
     plugin_host,
     {},
     {},
     true},
};

std::vector<std::string> words_of(std::string_view name) {
  std::vector<std::string> words;
  for (size_t start = 0; start <= name.size();) {
    size_t end = name.find(' ', start);
    if (end == std::string_view::npos) end = name.size();
    words.emplace_back(name.substr(start, end - start));
    start = end + 1;
  }
  return words;
}

}  // namespace

std::span<const CommandEntry> command_table() {
  return kCommands;
}

const CommandEntry* find_command(const std::vector<std::string>& args, size_t& words) {
  const CommandEntry* best = nullptr;
  words = 0;
  for (const auto& c : kCommands) {
    std::vector<std::string> name = words_of(c.name);
    if (name.size() > args.size() || name.size() <= words) continue;
    if (std::equal(name.begin(), name.end(), args.begin())) {
      best = &c;
      words = name.size();
    }
  }
  return best;
}

}  // namespace mi2::cli
