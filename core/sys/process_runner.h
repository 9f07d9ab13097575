// Runs a program with an argv array (never a shell), capturing its output.
// The interface lets tests swap the real runner for a fake.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <vector>

namespace mi2 {

struct ProcessRequest {
  std::vector<std::string> argv;         // argv[0] looked up on PATH when it has no '/'
  std::vector<std::string> env;          // "NAME=value" added to / replacing in the environment
  std::string cwd;                       // empty: current directory
  std::string stdin_data;                // empty: stdin is /dev/null
  std::chrono::milliseconds timeout{0};  // 0: none; on expiry stop_signal, then SIGKILL
  std::function<bool()> cancelled;       // polled; true ends the child like a timeout
  int stop_signal = 15;                  // SIGTERM; terraform wants SIGINT to release its lock
  std::chrono::milliseconds kill_grace{2000};  // between stop_signal and SIGKILL
};

struct ProcessResult {
  int exit_code = -1;   // exit status when the child exited normally, else -1
  int term_signal = 0;  // signal that ended the child, else 0
  bool timed_out = false;
  bool cancelled = false;
  std::string out;
  std::string err;
  std::string spawn_error;  // non-empty when the program could not be started
  bool started() const { return spawn_error.empty(); }
  bool ok() const { return started() && exit_code == 0 && !timed_out && !cancelled; }
};

class ProcessRunner {
 public:
  virtual ~ProcessRunner() = default;
  virtual ProcessResult run(const ProcessRequest& request) = 0;
};

// fork/exec with pipes and poll(); the child gets its own process group so a
// timeout or cancel ends the whole tree it started.
class SystemProcessRunner : public ProcessRunner {
 public:
  ProcessResult run(const ProcessRequest& request) override;
};

}  // namespace mi2
