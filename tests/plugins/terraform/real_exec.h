// Real processes for the terraform plugin's tests: a FakeHost whose exec runs
// the argv for real (what the host would do, minus the journal), and a
// background process with an open stdin (a second terraform holding a lock).
#pragma once

#include <sys/types.h>
#include <mi2/sdk/fake_host.hpp>

#include <string>
#include <vector>

namespace mi2::terraform::test {

struct RunRequest {
  std::vector<std::string> argv;
  std::vector<std::string> env;  // "NAME=value" added to this process's environment
  std::string cwd;
  std::string stdin_data;
  int timeout_ms = 60000;
};

// Runs argv (no shell) and collects its output; exit_code -1 when it could not start.
sdk::ExecResult run_process(const RunRequest& request);

// Makes `fake` run every exec for real; `seen` (optional) gets every result.
void make_exec_real(sdk::FakeHost& fake, std::vector<sdk::ExecResult>* seen = nullptr);

// A child with a pipe to its stdin and its output in a file.
class BackgroundProcess {
 public:
  BackgroundProcess(const RunRequest& request, const std::string& log_path);
  ~BackgroundProcess();
  BackgroundProcess(const BackgroundProcess&) = delete;
  BackgroundProcess& operator=(const BackgroundProcess&) = delete;

  pid_t pid() const { return pid_; }
  void write_stdin(const std::string& text);
  void close_stdin();
  // Waits up to timeout_ms; the exit code, or -1 when it still runs.
  int wait(int timeout_ms);

 private:
  pid_t pid_ = -1;
  int stdin_fd_ = -1;
  bool reaped_ = false;
};

// The absolute path of `program` on PATH ("" when absent).
std::string find_on_path(const std::string& program);

}  // namespace mi2::terraform::test
