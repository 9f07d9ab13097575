// Long-running workload processes. The host's exec service waits for its
// child, so the local apply starts its daemons itself: this file is the one
// place where the plugin forks, always with an argv array, never a shell.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <vector>

namespace mi2::local {

// Starts argv[0] (an absolute path) detached from the caller (own session,
// reparented to init), stdin from /dev/null, stdout and stderr appended to
// `log`. Its pid is written to `pid_file` by the forked helper itself, so the
// file exists even when the caller is killed right after the fork. Returns
// the pid, or throws failed with the reason it could not start.
pid_t spawn_daemon(const std::vector<std::string>& argv, const std::filesystem::path& log,
                   const std::filesystem::path& pid_file);

// True when `pid` runs, is not a zombie, and its executable's file name is
// `program` (guards against a reused pid).
bool daemon_alive(pid_t pid, const std::string& program);

// SIGTERM, then SIGKILL after `grace_ms`; returns once the process is gone.
void stop_daemon(pid_t pid, const std::string& program, int grace_ms = 3000);

}  // namespace mi2::local
