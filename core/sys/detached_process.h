// Long-running detached processes, started for plugins (ABI 1.1 spawn,
// process_signal, process_wait): the host's exec waits for its child, so a
// workload that must outlive the step is started here, always with an argv
// array, never a shell. Also the free loopback port such a process binds.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <string>
#include <vector>

namespace mi2 {

struct DetachedRequest {
  std::vector<std::string> argv;  // argv[0] an absolute path
  std::vector<std::string> env;   // "NAME=value" added to / replacing in the environment
  std::string cwd;                // empty: the current directory
  std::string log_path;           // stdout+stderr appended; empty: /dev/null
  std::string pid_file;           // written by the forked helper itself; may be empty
};

// Starts the process detached from the caller (own session, reparented to
// init, stdin from /dev/null). Its pid is written to `pid_file` by the forked
// helper, so the file exists even when the caller is killed right after the
// fork. Returns the pid, or -1 with `error` set to a sentence.
pid_t spawn_detached(const DetachedRequest& request, std::string& error);

// True when `pid` runs, is not a zombie, and (when `program` is not empty) its
// executable's file name is `program` (guards against a reused pid).
bool process_alive(pid_t pid, const std::string& program);

// Waits until the process is gone; false when it still runs after `timeout`
// or `cancelled()` said stop.
bool wait_process_gone(pid_t pid, const std::string& program, std::chrono::milliseconds timeout,
                       const std::function<bool()>& cancelled);

// A TCP port on 127.0.0.1 the kernel just handed out, or 0.
unsigned short free_loopback_port();

}  // namespace mi2
