// Every command mi2 has. main.cpp maps names to these; each lives in the file
// of its group under core/cli/.
#pragma once

#include "core/cli/cli.h"

namespace mi2::cli {

// plugin_commands.cpp
int plugin_list(CommandContext& ctx);
int plugin_describe(CommandContext& ctx);
int plugin_host(CommandContext& ctx);  // __plugin-host PLUGIN_FILE (hidden; isolation: process)

// instance_query_commands.cpp
int instance_get(CommandContext& ctx);
int instance_list(CommandContext& ctx);

// instance_run_commands.cpp
int instance_upgrade(CommandContext& ctx);
int instance_check(CommandContext& ctx);
int instance_rollback(CommandContext& ctx);
int instance_unlock(CommandContext& ctx);
int instance_workon(CommandContext& ctx);
int instance_backup(CommandContext& ctx);   // backup list|create
int instance_restore(CommandContext& ctx);  // restore create
int instance_db(CommandContext& ctx);       // db status|repair

// run_commands.cpp
int run_list(CommandContext& ctx);
int run_show(CommandContext& ctx);

// env_commands.cpp
int env_workflow_run(CommandContext& ctx);

// workflow_status.cpp
int env_workflow_status(CommandContext& ctx);

// env_upgrade_command.cpp
int env_upgrade_batch(CommandContext& ctx);

// env_status_command.cpp
int env_status(CommandContext& ctx);

// forge_commands.cpp
int env_create_tracking_issue(CommandContext& ctx);
int pr_command(CommandContext& ctx);  // pr list|view|approve|merge

// tracking_issue_command.cpp
int env_tracking_issue(CommandContext& ctx);  // env tracking-issue sync

// completion.cpp
int completion(CommandContext& ctx);       // completion bash|zsh|fish
int complete_values(CommandContext& ctx);  // __complete KIND: values for the scripts

}  // namespace mi2::cli
